"""A model's description as JSON data: parameters and fitted attributes, and back.

:func:`~sklearn_ae.save` writes, and :func:`~sklearn_ae.load` reads, the
parameters, the fitted attributes that are not tensors, the prior's
description and the training history's epoch rows as JSON, tuples and
arrays tagged so that they come back as they were. Reading is the side a
hostile file reaches: every malformed value, including one nested beyond
Python's recursion limit or a number beyond its dtype, raises a ValueError
that names the field.
"""

import inspect
import re
from numbers import Integral, Real

import numpy as np

from ._extensions import torch_optimizer, torch_optimizer_name
from ._networks import SavedNetwork, describe_network, own_networks

# A model's JSON is a few hundred KB at most (curves and epoch rows); the
# cap keeps a hostile archive from inflating gigabytes into memory.
MAX_JSON_BYTES = 64 * 2**20
# Element kinds an array may have in the JSON: bool, ints, floats, unicode
# strings, and objects that are JSON scalars (``feature_names_in_``).
ARRAY_KINDS = "biufUO"
# A network of the user's own: its description, never its code (see
# sklearn_ae._networks.SavedNetwork).
NETWORK_TAG = "__network__"
_TAGS = ("__tuple__", "__ndarray__", "__torch_optim__", NETWORK_TAG)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _encode(value, where, networks=()):
    """``value`` as JSON data, tuples and arrays tagged; ValueError if impossible.

    ``where`` names the value in the error (``"parameter prior"``).
    ``networks`` are the model's networks of the user's own, written as
    their description wherever they are found.
    """
    if any(value is network for network in networks):
        return {NETWORK_TAG: describe_network(value)}
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        # A grid's np.int64 or np.bool_ is saved as the Python scalar.
        return _encode(value.item(), where)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real):
        return float(value)
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, where, networks) for v in value]}
    if isinstance(value, list):
        return [_encode(v, where, networks) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) and not k.startswith("__") for k in value):
            raise ValueError(
                f"Cannot save the {where}: its dict keys must be strings not "
                f"starting with '__', got {list(value)!r}."
            )
        return {k: _encode(v, f"{where}[{k!r}]", networks) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return _encode_array(value, where)
    if torch_optimizer_name(value) is not None:
        return {"__torch_optim__": torch_optimizer_name(value)}
    raise ValueError(
        f"Cannot save the {where}={value!r}: sklearn_ae.save writes "
        "parameters and fitted attributes as JSON (numbers, strings, tuples, "
        "lists, arrays), and this value is code or an object. Use a value "
        "JSON can hold (an int random_state, a named prior), or pickle the "
        "model instead (and load such a pickle only if you trust its source)."
    )


def _encode_array(array, where):
    if array.dtype.kind not in ARRAY_KINDS:
        raise ValueError(
            f"Cannot save the {where}: an array of dtype {array.dtype} has no "
            "JSON form; arrays of bools, numbers or strings can be saved."
        )
    data = array.ravel().tolist()
    if array.dtype.kind == "O":
        for item in data:
            if item is not None and not isinstance(item, bool | int | float | str):
                raise ValueError(
                    f"Cannot save the {where}: an object array may hold only "
                    f"strings, numbers, booleans or None, not {type(item).__name__}."
                )
    return {
        "__ndarray__": {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "data": data,
        }
    }


def _decode(value, where):
    """Inverse of :func:`_encode`; a ValueError names a malformed value.

    A value nested deeper than Python's recursion limit, or a number beyond
    what its array's dtype holds, is malformed too.
    """
    try:
        return _decode_value(value, where)
    except (RecursionError, OverflowError, MemoryError) as exc:
        raise ValueError(
            f"The file's {where} is malformed: {type(exc).__name__}: {exc}."
        ) from exc


def _decode_value(value, where):
    if isinstance(value, list):
        return [_decode_value(v, where) for v in value]
    if not isinstance(value, dict):
        return value
    tags = [key for key in value if key.startswith("__")]
    if tags:
        if len(value) != 1 or tags[0] not in _TAGS:
            raise ValueError(
                f"The file's {where} holds an unknown tagged value with keys "
                f"{sorted(value)}; the format knows only {list(_TAGS)}."
            )
        if NETWORK_TAG in value:
            if not isinstance(value[NETWORK_TAG], str):
                raise ValueError(f"The file's {where} holds a malformed network.")
            return SavedNetwork(value[NETWORK_TAG])
        if "__tuple__" in value:
            items = value["__tuple__"]
            if not isinstance(items, list):
                raise ValueError(f"The file's {where} holds a malformed tuple.")
            return tuple(_decode_value(v, where) for v in items)
        if "__torch_optim__" in value:
            optimizer = torch_optimizer(value["__torch_optim__"])
            if optimizer is None:
                raise ValueError(
                    f"The file's {where} names {value['__torch_optim__']!r}, "
                    "which is not an optimizer of torch.optim."
                )
            return optimizer
        return _decode_array(value["__ndarray__"], where)
    return {k: _decode_value(v, f"{where}[{k!r}]") for k, v in value.items()}


def _decode_array(spec, where):
    try:
        dtype = np.dtype(spec["dtype"])
        shape = tuple(int(n) for n in spec["shape"])
        data = spec["data"]
        if dtype.kind not in ARRAY_KINDS or dtype.fields is not None:
            raise ValueError(f"dtype {dtype} is not one the format allows")
        if not isinstance(data, list) or any(
            isinstance(item, dict | list) for item in data
        ):
            raise ValueError("its data must be a flat list of scalars")
        # A string dtype's width is the file's to choose: cap what it costs.
        if dtype.itemsize * len(data) > MAX_JSON_BYTES:
            raise ValueError(f"{len(data)} elements of {dtype} are too large")
        return np.array(data, dtype=dtype).reshape(shape)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"The file's {where} is a malformed array: {exc}.") from exc


def encode_params(estimator):
    networks = list(own_networks(estimator).values())
    return {
        name: _encode(value, f"parameter {name}", networks)
        for name, value in estimator.get_params(deep=False).items()
    }


# Parameters that came after the first models were saved: a file or pickle
# written before them lacks them, and their defaults (the MLP, no callbacks,
# AdamW with no further arguments) are what those models trained with.
LATER_PARAMETERS = ("encoder", "decoder", "callbacks", "optimizer", "optimizer_params")


def later_parameter_defaults(cls, present):
    """The defaults of ``cls``'s :data:`LATER_PARAMETERS` missing from ``present``."""
    signature = inspect.signature(cls)
    return {
        name: signature.parameters[name].default
        for name in LATER_PARAMETERS
        if name in signature.parameters and name not in present
    }


def decode_params(cls, params):
    if not isinstance(params, dict):
        raise ValueError("The file has no parameters object ('params').")
    known = set(cls._get_param_names())
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(
            f"The file holds parameters unknown to {cls.__name__}: {unknown}. "
            f"Its parameters are {sorted(known)}."
        )
    missing = sorted(known - set(params) - set(LATER_PARAMETERS))
    if missing:
        raise ValueError(
            f"The file lacks parameters of {cls.__name__}: {missing}; it was "
            "written by another version of sklearn-ae or edited."
        )
    decoded = {
        name: _decode(value, f"parameter {name}") for name, value in params.items()
    }
    return {**later_parameter_defaults(cls, decoded), **decoded}


def encode_fitted(estimator):
    """Every instance attribute that is not a parameter, the net or the prior."""
    skip = {*estimator._get_param_names(), "net_", "prior_"}
    networks = list(own_networks(estimator).values())
    return {
        name: _encode(value, f"attribute {name}", networks)
        for name, value in sorted(vars(estimator).items())
        if name not in skip
    }


def set_fitted(estimator, fitted):
    if not isinstance(fitted, dict) or "n_features_in_" not in fitted:
        raise ValueError(
            "The file has no fitted attributes ('fitted' with n_features_in_)."
        )
    cls = type(estimator)
    params = set(cls._get_param_names())
    for name, value in fitted.items():
        # Only data attributes: never one that shadows a method, a property
        # or anything else the class defines.
        if (
            not _NAME.match(name)
            or name in params
            or name in ("net_", "prior_")
            or hasattr(cls, name)
        ):
            raise ValueError(
                f"The file sets the attribute {name!r}, which a fitted "
                f"{cls.__name__} does not have as data."
            )
        setattr(estimator, name, _decode(value, f"attribute {name}"))
    n = estimator.n_features_in_
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"The file's n_features_in_={n!r} is not a positive int.")


def describe_prior(prior):
    """``{"class": name, **attributes}`` of a prior, or None.

    Load rebuilds the prior from the parameters and checks it against this.
    """
    if prior is None:
        return None
    return {
        "class": type(prior).__name__,
        **{
            name: _encode(value, f"prior's {name}")
            for name, value in sorted(vars(prior).items())
        },
    }


def epoch_rows(history):
    """The history's epoch rows without their per-batch records.

    Kept so that a warm start after loading continues the epoch count and
    the curves; the per-batch records (which grow with the training set) and
    non-scalar entries are dropped.
    """
    return [
        {
            key: value
            for key, value in row.items()
            if key != "batches"
            and (value is None or isinstance(value, bool | int | float | str))
        }
        for row in history
    ]
