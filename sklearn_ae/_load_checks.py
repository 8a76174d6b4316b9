"""What a loaded model must satisfy: fitted attributes that agree with its weights.

A model file is data that anyone may have written. :mod:`~sklearn_ae._persistence`
validates its parameters and matches its tensors, name by name and shape by
shape, to the network the parameters build; this module checks the rest.
Every weight must be finite and the input scale positive (else every output
is NaN), and each fitted attribute must say what the weights say: the code
width, the epoch count, the curves' lengths, the decoder's variance, the
network's description. A contradiction would otherwise surface later, as an
allocation without bound (a code width of 10**10 in
``get_feature_names_out``), a raw torch error or NaN outputs.
"""

import numpy as np
import torch

from ._layer_sizes import is_int
from ._record import noise_variance
from ._warm_start import fitted_network


def check_weights(tensors):
    """Raise a ValueError naming a tensor that holds NaN or infinity."""
    for name, tensor in sorted(tensors.items()):
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ValueError(
                f"The weights file's tensor {name!r} holds non-finite values "
                "(NaN or infinity): the file was corrupted or altered, or the "
                "model saved after its training diverged."
            )


def check_input_scale(scale):
    """Raise a ValueError unless every feature's input scale is positive."""
    if not bool((scale > 0).all()):
        raise ValueError(
            "The weights file's input scale ('module.scale') has zero or "
            "negative entries; a fitted model divides each feature by a "
            "positive scale."
        )


def check_fitted(estimator):
    """Raise a ValueError if a fitted attribute contradicts the loaded net."""
    n_features = estimator.n_features_in_
    # The encoder's output on one row (the training mean, which its input
    # scaling maps to zero) is the code width the weights define.
    row = estimator.net_.module_.offset.detach().cpu().numpy()[None]
    width = estimator._encode(row.astype(np.float32)).shape[1]
    n_codes = getattr(estimator, "_n_codes", None)
    if not is_int(n_codes) or n_codes != width:
        raise ValueError(
            f"The file records a code width (_n_codes) of {n_codes!r}, but its "
            f"weights encode each row in {width} values."
        )
    n_iter = _count(estimator, "n_iter_")
    if n_iter != len(estimator.net_.history):
        raise ValueError(
            f"The file records n_iter_={n_iter} but its history holds "
            f"{len(estimator.net_.history)} epochs."
        )
    _count(estimator, "n_updates_")
    terms = getattr(estimator, "loss_terms_", None)
    if not isinstance(terms, dict):
        raise ValueError("The file's loss_terms_ is not a mapping of curves.")
    curves = {
        "loss_curve_": getattr(estimator, "loss_curve_", None),
        **{f"loss_terms_[{name!r}]": curve for name, curve in terms.items()},
    }
    for name, curve in curves.items():
        _check_curve(name, curve, n_iter, exact=True)
    if hasattr(estimator, "validation_loss_curve_"):
        # Files of earlier versions may hold fewer entries after a warm start.
        _check_curve("validation_loss_curve_", estimator.validation_loss_curve_, n_iter)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and (
        not isinstance(names, np.ndarray) or names.shape != (n_features,)
    ):
        raise ValueError(
            f"The file's feature_names_in_ must be an array of "
            f"n_features_in_={n_features} names."
        )
    _check_noise_variance(estimator, n_features)
    recorded = getattr(estimator, "_fitted_network", None)
    if recorded is not None and recorded != fitted_network(estimator):
        raise ValueError(
            f"The file records a network built with {recorded!r}, but its "
            f"parameters describe {fitted_network(estimator)!r}."
        )


def _count(estimator, name):
    value = getattr(estimator, name, None)
    if not is_int(value) or value < 0:
        raise ValueError(f"The file's {name}={value!r} is not a count.")
    return value


def _check_curve(name, curve, n_iter, *, exact=False):
    """A curve is a 1-D array of floats, one per epoch (at most, unless exact)."""
    length_ok = (
        isinstance(curve, np.ndarray)
        and curve.ndim == 1
        and curve.dtype.kind == "f"
        and (len(curve) == n_iter if exact else len(curve) <= n_iter)
    )
    if not length_ok:
        shape = getattr(curve, "shape", type(curve).__name__)
        raise ValueError(
            f"The file's {name} must be a float array with one entry per epoch "
            f"(n_iter_={n_iter}), got {shape}."
        )


def _check_noise_variance(estimator, n_features):
    """The decoder's variance recorded must be the one its weights give."""
    recorded = getattr(estimator, "noise_variance_", None)
    expected = noise_variance(estimator.net_.module_, n_features)
    if expected is None or recorded is None:
        agrees = expected is None and recorded is None
    else:
        agrees = (
            isinstance(recorded, np.ndarray)
            and recorded.dtype.kind == "f"
            and recorded.shape == expected.shape
            and bool(np.allclose(recorded, expected, rtol=1e-5, atol=0))
        )
    if not agrees:
        raise ValueError(
            "The file's noise_variance_ is not the decoder variance its weights define."
        )
