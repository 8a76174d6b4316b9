"""The forms of a layer-sizes parameter (``hidden_layer_sizes``) and their check."""

from numbers import Integral

import numpy as np


def is_int(value):
    """An integer that is not a boolean (``True`` is an ``Integral``)."""
    return isinstance(value, Integral | np.integer) and not isinstance(
        value, bool | np.bool_
    )


def layer_widths(sizes):
    """The widths of ``hidden_layer_sizes``, a tuple.

    An int is one hidden layer of that width, as in scikit-learn's
    ``MLPRegressor``.
    """
    return (sizes,) if is_int(sizes) else tuple(sizes)


def check_layer_sizes(name, sizes, *, allow_int=False):
    """Raise a ValueError unless ``sizes`` is a sequence of positive ints.

    ``allow_int``: one positive int is allowed too (see :func:`layer_widths`).
    """
    try:
        widths = layer_widths(sizes) if allow_int else tuple(sizes)
    except TypeError:
        widths = None
    if widths is None or any(not is_int(w) or w < 1 for w in widths):
        allowed = "a positive integer or " if allow_int else ""
        raise ValueError(
            f"{name}={sizes!r} must be {allowed}a sequence of positive "
            "integers, e.g. (256, 128)."
        )
