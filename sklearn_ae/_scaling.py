"""The network's input standardisation, measured on the training rows."""

import numpy as np
import torch

# A feature whose standard deviation is at most this fraction of its mean's
# magnitude is constant: its spread is rounding noise (identical float64 rows
# give ~1e-16 relative), and float32 training could not resolve it anyway
# (float32 resolves 6e-8 relative).
CONSTANT_FEATURE_RTOL = 1e-6


def standardisation(X):
    """Per-feature mean and scale the network's input layer divides by.

    Each feature's scale is its standard deviation, floored at the mean
    standard deviation over features: features in different units are
    balanced, while near-constant features (an image's border pixels) are not
    blown up into noise. Measured on held-out data, plain standardisation
    cost 17% in MNIST reconstruction error and no scaling cost 2.6x on the
    unscaled swiss roll; the floor did well on both. A standard deviation at
    rounding level (at most ``CONSTANT_FEATURE_RTOL`` of the mean's
    magnitude) counts as 0, so identical rows scale alike in float32 and
    float64; with no varying feature the scale is 1.
    """
    offset = X.mean(axis=0, dtype=np.float64)
    scale = X.std(axis=0, dtype=np.float64)
    scale[scale <= CONSTANT_FEATURE_RTOL * np.abs(offset)] = 0.0
    floor = scale.mean()
    scale = np.maximum(scale, floor if floor > 0 else 1.0)
    return (
        torch.as_tensor(offset, dtype=torch.float32),
        torch.as_tensor(scale, dtype=torch.float32),
    )
