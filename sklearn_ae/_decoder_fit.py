"""Training a decoder alone on fixed codes, once the codes are trained.

A model whose codes answer to a geometry term (the manifold autoencoder's)
trains its decoder jointly with them, on codes of noisy inputs that are
still moving. Once the encoder is done, the decoder can be fitted to the
codes that :meth:`transform` gives, with nothing else pulling on it: the
codes stay as they are, and the held-out reconstruction only improves.
"""

import math

import numpy as np
import torch

from ._callbacks import DIVERGENCE_ADVICE
from ._extensions import decay_argument
from ._rows import Batch
from ._sample_weight import SAMPLE_WEIGHT, weighted_mean

# Rows a decoder update reads. The decoder maps a 2-D code to an image, a
# regression on fixed inputs that wants many rows per step more than many
# steps: on digits (seed 0 on both splits of benchmarks.manifold, a probe
# outside the package) 300 updates of 256 rows reached the held-out
# reconstruction of 1,200 updates of 64 rows (1.90 / 1.89 against 1.90 /
# 1.89) in half the time.
DECODER_BATCH_SIZE = 256

# Rows encoded at once for the fixed codes.
ENCODE_BLOCK_ROWS = 8192


def fit_decoder(net, train, *, n_updates, learning_rate, generator):
    """Train the decoder of ``net``'s module on the codes of the clean rows.

    The encoder is not updated: the codes of the training rows (without
    the training's input noise) are computed once, and the decoder, with
    the likelihood's learned variance if it has one, is trained to
    reconstruct the rows from them for ``n_updates`` updates of
    :data:`DECODER_BATCH_SIZE` shuffled rows, with the net's optimizer and
    its arguments at ``learning_rate``, annealed to 0 on a cosine. Each
    row counts with its sample weight.

    Parameters
    ----------
    net : AutoEncoderNet
        The trained net; its module is updated in place.
    train : RowDataset
        The training rows on the module's device, with their side data.
    n_updates : int
        Optimizer steps; 0 leaves the decoder as it is.
    learning_rate : float
        The step size at the start of the cosine.
    generator : torch.Generator
        Draws the shuffling, on the rows' device.

    Returns
    -------
    loss_curve : ndarray of shape (n_passes,)
        The mean reconstruction loss of each pass over the rows (the last
        one possibly partial).

    Raises
    ------
    FloatingPointError
        When the loss stops being finite.
    """
    module = net.module_
    if n_updates == 0 or len(train) == 0:
        return np.empty(0)
    codes = _codes(module, train.inputs)
    optimizer = net.optimizer(
        module.decoder.parameters(),
        **{**net.get_params_for("optimizer"), "lr": learning_rate},
    )
    variance = list(module.likelihood.parameters())
    if variance:
        # Not decayed, as in training: a learned variance is a statistic.
        optimizer.add_param_group(
            {"params": variance, **decay_argument(net.optimizer, 0.0)}
        )
    # The loss reads only the weights of the training rows' side data.
    weights = train.side.get(SAMPLE_WEIGHT)
    module.decoder.train()
    curve, update = [], 0
    try:
        while update < n_updates:
            order = torch.randperm(len(codes), generator=generator, device=codes.device)
            # Summed on the device and read once a pass: reading each
            # update's loss would wait for the device at every step.
            total, rows_seen = torch.zeros((), dtype=torch.float64), 0
            total = total.to(codes.device)
            for rows in order.split(DECODER_BATCH_SIZE)[: n_updates - update]:
                for group in optimizer.param_groups:
                    group["lr"] = _cosine(learning_rate, update, n_updates)
                side = {} if weights is None else {SAMPLE_WEIGHT: weights[rows]}
                batch = Batch(codes[rows], train.inputs[rows], side, generator)
                nll = module.likelihood.nll(module.decode(batch.inputs), batch.target)
                loss = weighted_mean(nll, batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += loss.detach().double() * len(rows)
                rows_seen += len(rows)
                update += 1
            curve.append(float(total) / rows_seen)
            if not math.isfinite(curve[-1]):
                raise FloatingPointError(
                    f"The decoder's reconstruction loss became {curve[-1]} while "
                    "it was fitted to the trained codes: training diverged. "
                    f"{DIVERGENCE_ADVICE}"
                )
    finally:
        module.eval()
    return np.asarray(curve)


def _codes(module, inputs):
    """The encoder's codes of ``inputs``, in blocks, without gradients."""
    module.eval()
    with torch.no_grad():
        return torch.cat(
            [
                module.encode(inputs[start : start + ENCODE_BLOCK_ROWS])
                for start in range(0, len(inputs), ENCODE_BLOCK_ROWS)
            ]
        )


def _cosine(start, update, n_updates):
    return 0.5 * start * (1 + math.cos(math.pi * update / n_updates))
