"""Saving and loading fitted estimators without pickle.

A saved model is one zip archive holding two members:

``model.json``
    What the model is: the format and package versions, the class name, the
    parameters, the fitted attributes that are not tensors (curves,
    ``classes_``, ``feature_names_in_``, ...), the training history's epoch
    rows, a description of the prior, and the SHA-256 and layout (name, shape,
    dtype) of every tensor.
``weights.safetensors``
    The network's state dict (and the per-feature tensors of a denoising
    model's noise), CPU tensors in the safetensors format.

Loading reads only data: JSON, and tensors through safetensors, a format
that cannot hold code. The class is looked up by name among the package's
own estimators (never imported from a name in the file), the parameters are
checked against that class's ``_parameter_constraints``, the network is
rebuilt by the estimator's own ``_build_module`` and the tensors must match
it name by name, shape by shape and dtype by dtype. A pickle, by contrast,
runs whatever code its file names when it is loaded.
"""

import hashlib
import json
import zipfile

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from ._archive import JSON_NAME, WEIGHTS_NAME, read_archive, write_zip
from ._base import _BaseAutoEncoder
from ._device import resolve_device
from ._load_checks import check_fitted, check_input_scale, check_weights
from ._model_json import (
    decode_params,
    describe_prior,
    encode_fitted,
    encode_params,
    epoch_rows,
    set_fitted,
)
from ._net import make_net
from ._networks import check_networks_used, take_networks
from ._warm_start import fitted_network
from ._warnings import warn

FORMAT = "sklearn-ae"
FORMAT_VERSION = 1
# Prefixes of the tensors in the weights file: the module's state dict, and
# the tensors a training-batch corruption keeps (a denoising model's
# per-feature noise scale and range), needed to warm-start after loading.
MODULE_PREFIX = "module."
CORRUPT_PREFIX = "corrupt."


def save(estimator, path):
    """Write one fitted estimator of ours as ``model.json`` + ``weights.safetensors``.

    The archive format behind :func:`sklearn_ae.save` (documented there);
    the class must be one of ``sklearn_ae.__all__`` exactly.
    """
    cls = _estimator_class(type(estimator).__name__)
    if cls is None or type(estimator) is not cls:
        raise TypeError(
            f"save takes an estimator of sklearn_ae (one of {sorted(_classes())}), "
            f"got {type(estimator).__qualname__}. Save the autoencoder itself, "
            "not a pipeline or a subclass."
        )
    check_is_fitted(estimator)
    net = estimator.net_
    corrupt = getattr(net, "corrupt", None)
    tensors = {
        MODULE_PREFIX + name: _cpu(value)
        for name, value in net.module_.state_dict().items()
    }
    if corrupt is not None:
        tensors.update(
            {
                CORRUPT_PREFIX + name: _cpu(value)
                for name, value in vars(corrupt).items()
                if isinstance(value, torch.Tensor)
            }
        )
    weights = save_tensors(tensors)
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sklearn_ae_version": _package_version(),
        "versions": _library_versions(),
        "class": cls.__name__,
        "params": encode_params(estimator),
        "fitted": encode_fitted(estimator),
        "prior": describe_prior(net.criterion_.prior),
        "corruption": None if corrupt is None else type(corrupt).__name__,
        "history": epoch_rows(net.history),
        "weights": {
            "sha256": hashlib.sha256(weights).hexdigest(),
            "tensors": {
                name: {"dtype": str(t.dtype), "shape": list(t.shape)}
                for name, t in sorted(tensors.items())
            },
        },
    }
    text = json.dumps(document, indent=1, sort_keys=True)
    write_zip(
        path,
        [
            (JSON_NAME, text.encode(), zipfile.ZIP_DEFLATED),
            # Stored, not compressed: float weights barely compress, and a
            # stored member can be read in place by other tools.
            (WEIGHTS_NAME, weights, zipfile.ZIP_STORED),
        ],
    )


def load(path, *, device=None, encoder=None, decoder=None):
    """Read one estimator written by :func:`save`; never unpickles.

    The archive format behind :func:`sklearn_ae.load` (documented there,
    with every check a file must pass).
    """
    given = {"encoder": encoder, "decoder": decoder}
    estimator, used = load_model(path, device, given)
    check_networks_used(given, used)
    return estimator


def load_model(path, device, networks):
    """``(estimator, names used)``: :func:`load`, taking what it needs of ``networks``.

    ``networks`` maps ``"encoder"`` and ``"decoder"`` to the caller's
    networks; the model takes those it saved weights of, and a network it
    saved but ``networks`` lacks is a ValueError.
    """
    document, weights = read_archive(path)
    cls = _check_header(document)
    estimator = cls(**decode_params(cls, document.get("params")))
    used = take_networks(estimator, networks)
    try:
        estimator._validate_params()
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise ValueError(
            f"The file holds an invalid parameter of {cls.__name__}: {exc}"
        ) from exc
    placement = _placement(estimator, device)
    if device is not None:
        estimator.set_params(device=device)
    set_fitted(estimator, document.get("fitted"))
    take_networks(estimator, networks)
    tensors = _read_weights(document, weights)
    check_weights(tensors)
    estimator.net_ = _rebuild_net(estimator, document, tensors, placement)
    if estimator.net_.criterion_.prior is not None:
        estimator.prior_ = estimator.net_.criterion_.prior
    check_fitted(estimator)
    return estimator, used


# ---------------------------------------------------------------- the classes
def _classes():
    """The package's estimator classes, by name: all ``load`` builds."""
    import sklearn_ae

    return {
        name: obj
        for name in sklearn_ae.__all__
        if isinstance(obj := getattr(sklearn_ae, name), type)
        and issubclass(obj, _BaseAutoEncoder)
    }


def _estimator_class(name):
    return _classes().get(name) if isinstance(name, str) else None


def _package_version():
    import sklearn_ae

    return sklearn_ae.__version__


def _library_versions():
    """Versions of the libraries that compute a loaded model: for the record."""
    import sklearn
    import skorch

    return {
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
        "torch": torch.__version__,
    }


def _cpu(tensor):
    # A copy: safetensors refuses tensors that share storage or are strided.
    return tensor.detach().to("cpu", copy=True).contiguous()


# ------------------------------------------------------------------- reading
def _check_header(document):
    """The estimator class the document names, after checking the format."""
    if document.get("format") != FORMAT:
        raise ValueError(
            f"The file is not in the {FORMAT} format (its 'format' is "
            f"{document.get('format')!r})."
        )
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"The file has format version {version!r}; this sklearn-ae "
            f"({_package_version()}) reads version {FORMAT_VERSION} only. "
            "Load it with the sklearn-ae version that saved it "
            f"({document.get('sklearn_ae_version')!r})."
        )
    name = document.get("class")
    cls = _estimator_class(name)
    if cls is None:
        raise ValueError(
            f"The file names the class {name!r}, which is not an estimator of "
            f"sklearn_ae; load builds only {sorted(_classes())}."
        )
    saved_by = document.get("sklearn_ae_version")
    if saved_by != _package_version():
        warn(
            f"The model was saved by sklearn-ae {saved_by!r} and is loaded by "
            f"{_package_version()!r}; its results may differ."
        )
    return cls


def _placement(estimator, device):
    """The torch device to load onto: ``device``, else the saved parameter."""
    if device is not None:
        return resolve_device(device)
    try:
        return resolve_device(estimator.device)
    except ValueError as exc:
        warn(
            f"Loading onto the CPU: {exc} Pass device='cpu' to load to make "
            "the CPU the model's device for later fits too."
        )
        return torch.device("cpu")


def _read_weights(document, weights):
    """The file's tensors, after checking their hash and their listing."""
    listing = document.get("weights")
    if not isinstance(listing, dict) or not isinstance(listing.get("sha256"), str):
        raise ValueError("The file's description has no SHA-256 of the weights.")
    digest = hashlib.sha256(weights).hexdigest()
    if digest != listing["sha256"]:
        raise ValueError(
            f"The weights do not match their SHA-256 (the file says "
            f"{listing['sha256'][:16]}..., the weights hash to {digest[:16]}...): "
            "the file was corrupted or altered."
        )
    try:
        tensors = load_tensors(weights)
    except (SafetensorError, ValueError, RuntimeError, OverflowError) as exc:
        raise ValueError(
            f"{WEIGHTS_NAME} is not a valid safetensors file (truncated?): {exc}"
        ) from exc
    expected = listing.get("tensors")
    found = {
        name: {"dtype": str(t.dtype), "shape": list(t.shape)}
        for name, t in tensors.items()
    }
    if found != expected:
        raise ValueError(
            "The weights file's tensors differ from those the description "
            f"lists: {_differences(expected or {}, found)}."
        )
    return tensors


def _rebuild_net(estimator, document, tensors, device):
    """A fresh, initialised net around the rebuilt module with the saved state."""
    unexpected = [
        name for name in tensors if not name.startswith((MODULE_PREFIX, CORRUPT_PREFIX))
    ]
    if unexpected:
        raise ValueError(f"The weights file holds unexpected tensors {unexpected}.")
    module_state = _strip(tensors, MODULE_PREFIX)
    n_features = estimator.n_features_in_
    offset, scale = _tensor(module_state, "offset"), _tensor(module_state, "scale")
    if offset.shape != (n_features,) or scale.shape != (n_features,):
        raise ValueError(
            f"The input offset and scale have shapes {tuple(offset.shape)} and "
            f"{tuple(scale.shape)}; n_features_in_={n_features} needs "
            f"({n_features},)."
        )
    check_input_scale(scale)
    # The layout is checked on the meta device first, where nothing is
    # allocated: parameters describing a huge network fail here, before any
    # memory is spent on them.
    with torch.device("meta"):
        skeleton = _built(
            estimator,
            lambda: estimator._build_module(
                n_features, offset.to("meta"), scale.to("meta")
            ),
        )
    _check_state(skeleton.state_dict(), module_state, "module")
    # The real module's random initialisation is overwritten by the saved
    # state; a forked RNG keeps loading from changing torch's global state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        module = _built(
            estimator, lambda: estimator._build_module(n_features, offset, scale)
        )
        module.load_state_dict(module_state, strict=True)
        objective = _built(estimator, estimator._make_objective)
        corrupt = _built(
            estimator,
            lambda: estimator._corruption(
                module, np.zeros((2, n_features), dtype=np.float32)
            ),
        )
    _restore_corruption(corrupt, document, _strip(tensors, CORRUPT_PREFIX))
    prior = objective.prior
    if describe_prior(prior) != document.get("prior"):
        raise ValueError(
            f"The file's prior {document.get('prior')!r} is not the one its "
            f"parameters define, {describe_prior(prior)!r}."
        )
    net = make_net(
        module,
        objective,
        estimator._training_settings(),
        device=device,
        corrupt=corrupt,
        sampler=estimator._batch_sampler,
    )
    net.initialize()
    net.history_ = History(_history(document.get("history")))
    net.module_.eval()
    return net


def _built(estimator, build):
    """``build()``, its errors turned into a ValueError about the file."""
    try:
        return build()
    except (ValueError, TypeError, RuntimeError, IndexError, OverflowError) as exc:
        # torch's messages carry a C++ stack trace after their first line.
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise ValueError(
            f"The file's parameters and fitted attributes do not build a "
            f"{type(estimator).__name__} (its network: {fitted_network(estimator)!r}): "
            f"{reason}"
        ) from exc


def _restore_corruption(corrupt, document, saved):
    """Put the saved tensors of a training corruption back into ``corrupt``."""
    name = None if corrupt is None else type(corrupt).__name__
    if document.get("corruption") != name or (corrupt is None and saved):
        raise ValueError(
            f"The file's training corruption {document.get('corruption')!r} is "
            f"not the one its parameters define, {name!r}."
        )
    if corrupt is None:
        return
    expected = {
        key: value
        for key, value in vars(corrupt).items()
        if isinstance(value, torch.Tensor)
    }
    _check_state(expected, saved, "training corruption")
    for key, value in saved.items():
        setattr(corrupt, key, value)


def _strip(tensors, prefix):
    return {
        name.removeprefix(prefix): value
        for name, value in tensors.items()
        if name.startswith(prefix)
    }


def _tensor(state, name):
    if name not in state:
        raise ValueError(f"The weights file lacks the tensor 'module.{name}'.")
    return state[name]


def _check_state(expected, saved, what):
    """Raise a ValueError naming every missing, extra or mis-shaped tensor."""
    problems = []
    missing = sorted(set(expected) - set(saved))
    extra = sorted(set(saved) - set(expected))
    if missing:
        problems.append(f"missing tensors {missing}")
    if extra:
        problems.append(f"unexpected tensors {extra}")
    for name in sorted(set(expected) & set(saved)):
        want, got = expected[name], saved[name]
        if tuple(want.shape) != tuple(got.shape):
            problems.append(
                f"tensor {name!r} has shape {tuple(got.shape)} in the file but "
                f"the model its parameters describe needs {tuple(want.shape)}"
            )
        elif want.dtype != got.dtype:
            problems.append(
                f"tensor {name!r} has dtype {got.dtype} in the file but the "
                f"model needs {want.dtype}"
            )
    if problems:
        raise ValueError(
            f"The weights do not fit the {what} built from the file's "
            f"parameters: {'; '.join(problems)}."
        )


def _history(rows):
    if rows is None:
        return []
    if not isinstance(rows, list) or not all(
        isinstance(row, dict)
        and all(
            v is None or isinstance(v, bool | int | float | str) for v in row.values()
        )
        for row in rows
    ):
        raise ValueError("The file's history is not a list of rows of scalars.")
    return rows


def _differences(expected, found):
    parts = []
    for name in sorted(set(expected) | set(found)):
        if name not in found:
            parts.append(f"{name!r} is missing")
        elif name not in expected:
            parts.append(f"{name!r} is extra")
        elif expected[name] != found[name]:
            parts.append(f"{name!r} is {found[name]}, listed as {expected[name]}")
    return "; ".join(parts) or "their listing is malformed"


__all__ = ["load", "save"]
