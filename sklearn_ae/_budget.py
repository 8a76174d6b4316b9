"""Size budgets: an absurd size fails with a clear error before any allocation.

A size that is a typo (``sample(10**9)``, ``n_importance=10**9``, two hidden
layers of 46,340 units) would otherwise allocate until the process is
killed, or fail inside torch with an error that names no parameter. Each
kind of size is checked in the one place it is formed: the network's weight
count where a fit builds the module (on the ``meta`` device, where building
allocates nothing), an output's elements where ``sample`` draws its codes,
the importance draws where ``log_likelihood`` sets up its batches.
"""

import torch

# Most weights and buffers a network may hold: 2**31 float32 values are
# 8 GiB, before Adam's two moments double it twice. The same figure caps one
# layer (``MAX_LAYER_WEIGHTS``), so this only adds a bound on their sum.
MAX_NETWORK_WEIGHTS = 2**31

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
