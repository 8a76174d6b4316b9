"""Limits: absurd sizes and out-of-range values fail with a clear error.

A size that is a typo (``sample(10**9)``, ``n_importance=10**9``, two hidden
layers of 46,340 units) would otherwise allocate until the process is
killed, or fail inside torch with an error that names no parameter. Each
kind of size is checked in the one place it is formed: the network's weight
count where a fit builds the module (on the ``meta`` device, where building
allocates nothing), an output's elements where ``sample`` draws its codes,
the importance draws where ``log_likelihood`` sets up its batches.

Values beyond what the arithmetic holds are named the same way: float64
training data beyond float32 (the training dtype), and an inference row so
far from the training data that the network overflows, which would
otherwise come back as NaN codes or an infinite score.
"""

import itertools

import numpy as np
import torch

# The largest float32: training computes in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# Most weights and buffers a network may hold: 2**31 float32 values are
# 8 GiB, before Adam's two moments double it twice. The same figure caps one
# layer (``MAX_LAYER_WEIGHTS``), so this only adds a bound on their sum.
MAX_NETWORK_WEIGHTS = 2**31

# Most weights one layer may have: 2**31 float32 weights are 8 GiB, before
# Adam's two moments. Beyond it a size is a typo (10**12 for 10**2), and
# torch would fail to allocate with an error that names no parameter.
MAX_LAYER_WEIGHTS = 2**31

# Most elements an array built for the caller may have: 2**30 float64 values
# are 8 GiB. A million samples of a 784-pixel image are 0.78 * 2**30.
MAX_ARRAY_ELEMENTS = 2**30


def check_size(size, limit, what, fix):
    """Raise a ValueError if ``size`` elements exceed ``limit``.

    ``what`` describes the size (a sentence's subject), ``fix`` how to lower
    it.
    """
    if size > limit:
        raise ValueError(
            f"{what} would hold {size:,} values, more than the limit of "
            f"{limit:,}: {fix}."
        )


def check_network_size(owner, build, *args):
    """Raise a ValueError if ``build(*args)`` would exceed the weight budget.

    The module is built on the ``meta`` device (tensors in ``args`` moved
    there), which records shapes but allocates nothing.
    """
    meta = [a.to("meta") if isinstance(a, torch.Tensor) else a for a in args]
    with torch.device("meta"):
        module = build(*meta)
    size = sum(t.numel() for t in (*module.parameters(), *module.buffers()))
    check_size(
        size,
        MAX_NETWORK_WEIGHTS,
        f"{owner}'s network",
        "use smaller hidden_layer_sizes or n_components",
    )


def allocate(owner, build, *args):
    """``build(*args)``, with a failed allocation named as a ValueError.

    ``owner`` names the estimator in the message.
    """
    try:
        return build(*args)
    except (RuntimeError, MemoryError) as exc:
        if isinstance(exc, RuntimeError) and "alloc" not in str(exc).lower():
            raise
        raise ValueError(
            f"{owner}'s network does not fit in memory "
            f"({exc}); use smaller hidden_layer_sizes or n_components."
        ) from exc


def check_float32_range(X):
    """Raise a ValueError if float64 training data overflow float32.

    The network trains in float32: a larger value would become infinite in
    its first batch and surface as a divergence, not as the input's fault.
    """
    if X.dtype != np.float64 or not X.size:
        return
    largest = max(float(X.max()), -float(X.min()))
    if largest > FLOAT32_MAX:
        raise ValueError(
            f"X holds values up to {largest:.4g} in magnitude, beyond the "
            f"range of float32 ({FLOAT32_MAX:.4g}), in which the network trains. "
            "Rescale X (StandardScaler, or divide it by a constant)."
        )


def check_finite_outputs(batch, outputs, owner):
    """Raise a ValueError if finite rows gave non-finite outputs.

    The input is finite (validated) and so are the weights (checked after
    training and on load), so a non-finite output means the network's
    arithmetic overflowed: the row lies too far outside the training data
    for its dtype. A clear error beats NaN codes or an infinite score.
    """
    # One float64 sum first: NaN and infinity propagate to it, and float32
    # outputs cannot overflow it; only a non-finite sum looks at each row.
    if np.isfinite(np.sum(outputs, dtype=np.float64)):
        return
    finite = np.isfinite(outputs).reshape(len(outputs), -1).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        largest = float(np.abs(batch[row]).max()) if batch.shape[1] else 0.0
        raise ValueError(
            f"{owner}'s computation overflowed {batch.dtype} for an input row "
            f"whose values reach {largest:.4g} in magnitude: it lies too far "
            "outside the range of the training data for the model to give a "
            "finite result. Rescale the input as the training data were, or "
            "leave such rows out."
        )


def check_layer_weights(widths):
    """Raise a ValueError if a layer of a stack would be absurdly large.

    ``widths`` is a sequence of ``(width, name)``, input first; ``name`` is
    the parameter that sets the width, or None for the data's.
    """
    for (fan_in, name_in), (fan_out, name_out) in itertools.pairwise(widths):
        if int(fan_in) * int(fan_out) > MAX_LAYER_WEIGHTS:
            named = " and ".join(n for n in dict.fromkeys((name_in, name_out)) if n)
            raise ValueError(
                f"{named} give a layer of {int(fan_in)} x {int(fan_out)} "
                "weights, more than the limit of 2**31 (8 GiB of float32): "
                f"use smaller values of {named}."
            )
