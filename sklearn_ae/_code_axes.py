"""Codes rotated onto their principal axes, as PCA's and Isomap's components are."""

import numpy as np
import torch


def align_code_axes(module, codes_of_rows):
    """Rotate ``module``'s codes onto their principal axes, largest variance first.

    A geometry term fixes the codes only up to a rotation. The encoder's
    last linear layer and the decoder's first absorb the rotation, so
    reconstructions are unchanged. ``codes_of_rows`` is called for the
    training rows' codes. Codes of a network of the user's own are left as
    trained: an arbitrary network has no last linear layer known to set the
    codes alone.
    """
    if module.own_networks():
        return
    codes = codes_of_rows().astype(np.float64)
    _, _, axes = np.linalg.svd(codes - codes.mean(0), full_matrices=False)
    rotation = torch.as_tensor(axes, dtype=torch.float32)
    encoder = [m for m in module.encoder if isinstance(m, torch.nn.Linear)][-1]
    decoder = next(m for m in module.decoder if isinstance(m, torch.nn.Linear))
    with torch.no_grad():
        rotation = rotation.to(encoder.weight.device)
        encoder.weight.copy_(rotation @ encoder.weight)
        encoder.bias.copy_(rotation @ encoder.bias)
        decoder.weight.copy_(decoder.weight @ rotation.T)
