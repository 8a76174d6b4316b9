"""Sample weights: validated at fit, normalised, carried with the rows.

A row's weight multiplies its loss: every per-row term of the objective
averages ``weight * loss`` over a batch (:func:`weighted_mean`). The weights
travel with the rows as side data ``"sample_weight"``. ``fit`` normalises
them to mean 1 over each set of rows (the training rows, the validation
rows), so the loss of a set is its weighted mean, on the scale of the
unweighted loss, and integer weights act as repeated rows do in
expectation. ``partial_fit`` uses them as given, so that they also weigh
one chunk against another. Weights that change nothing (all ones; in
``fit``, all equal) are dropped: such a fit is the unweighted fit, bit for
bit.
"""

import numpy as np

from ._compat import _check_sample_weight

# The side-data name of the rows' weights.
SAMPLE_WEIGHT = "sample_weight"


def check_sample_weight(sample_weight, X, *, relative):
    """Validated weights of the rows X, or None where they change nothing.

    ``relative``: only the weights' ratios matter (``fit``, which
    normalises them), so equal weights change nothing; otherwise only
    ones do. A ValueError names a wrong length or shape, a negative or
    non-finite weight, or weights that are all zero.
    """
    if sample_weight is None:
        return None
    weights = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    # scikit-learn refuses all-zero weights itself only from 1.7 on.
    if len(weights) and not weights.any():
        raise ValueError(
            "sample_weight must contain at least one non-zero weight: a fit "
            "on rows that all weigh zero learns nothing."
        )
    if np.all(weights == (weights[0] if relative else 1.0)):
        return None
    return weights


def training_weights(side, *, relative):
    """``side`` with its sample weights (if any) as float32, the training dtype.

    ``relative``: divided by their mean first. A set of rows whose weights
    are all zero keeps them: its loss is 0.
    """
    weights = side.get(SAMPLE_WEIGHT)
    if weights is None:
        return side
    mean = weights.mean()
    if relative and mean > 0:
        weights = weights / mean
    return {**side, SAMPLE_WEIGHT: weights.astype(np.float32)}


def weighted_mean(values, batch, dim=None):
    """Mean of per-row ``values`` over a batch, each row times its weight.

    ``values`` has one entry (or row) per batch row; ``dim`` as in
    ``Tensor.mean`` (all dimensions when None). Without sample weights,
    the plain mean.
    """
    weights = batch.side.get(SAMPLE_WEIGHT)
    if weights is None:
        return values.mean() if dim is None else values.mean(dim=dim)
    weighted = values * weights.reshape(-1, *(1,) * (values.ndim - 1))
    return weighted.mean() if dim is None else weighted.mean(dim=dim)
