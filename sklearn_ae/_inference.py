"""Inference: a trained network applied to rows, a block at a time."""

import copy
import itertools

import numpy as np
import torch

from ._config import bounded_threads
from ._limits import check_finite_outputs
from ._sparse_input import block_rows, densify

# Rows per forward pass in transform/score: bounds memory on large X.
INFERENCE_BATCH_SIZE = 4096


def inference_module(net, dtype):
    """The trained module in the input's dtype, in eval mode.

    Training runs in float32; float64 input is computed by a float64 copy
    of the weights, so results do not depend on how rows are batched
    (scikit-learn's subset-invariance check) and keep float64 precision.
    """
    module = net.module_
    device = net.device
    if dtype == np.float64 and torch.device(device).type != "mps":
        module = _float64_copy(net)
    return module.eval()


def map_batches(net, X, function, owner, **side):
    """``function(module, batch, **side_batch)`` on row blocks, no_grad.

    ``side`` holds per-row arrays (labels) sliced with the rows; ``owner``
    names the estimator in the error raised for non-finite outputs.
    """
    module = inference_module(net, X.dtype)
    device = net.device
    param = next(module.parameters())
    step = block_rows(X, INFERENCE_BATCH_SIZE)
    outputs = []
    with torch.no_grad(), bounded_threads():
        for start in range(0, X.shape[0], step):
            rows = slice(start, start + step)
            # Sparse rows are densified here, a block at a time.
            block = densify(X[rows])
            batch = torch.tensor(block, dtype=param.dtype, device=device)
            side_batch = {
                name: torch.as_tensor(values[rows], device=device)
                for name, values in side.items()
            }
            output = function(module, batch, **side_batch).cpu().numpy()
            check_finite_outputs(block, output, owner)
            outputs.append(output)
    return np.concatenate(outputs).astype(X.dtype, copy=False)


def _float64_copy(net):
    """The float64 copy of the net's module, made once per state of the weights.

    Kept on the net (a refit makes a new net) beside the identity and
    version counter of every weight and buffer: training, a warm start or a
    ``load_state_dict`` changes them in place, which bumps the counters, and
    the next call makes a fresh copy. Copying on every call made a one-row
    ``transform`` of the default network on MNIST take 2.3 ms instead of
    0.5 ms (``python -m benchmarks.latency``).
    """
    module = net.module_
    key = tuple(
        (id(tensor), tensor._version)
        for tensor in itertools.chain(module.parameters(), module.buffers())
    )
    cached = getattr(net, "_float64_module", None)
    if cached is None or cached[0] != key:
        cached = (key, copy.deepcopy(module).to(torch.float64).eval())
        net._float64_module = cached
    return cached[1]


def encode_rows(module, batch, **side):
    """``transform``'s computation on a batch: the conditioned code."""
    return module.encode(batch, module.condition(batch, **side))


def decode_rows(module, codes, **side):
    """``inverse_transform``'s computation on a batch: the decoder's mean."""
    return module.reconstruct(codes, module.condition(like=codes, **side))
