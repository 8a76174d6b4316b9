"""Saving and loading any scikit-learn estimator that holds ours, without pickle.

:func:`save` and :func:`load` are the package's public pair. An estimator
of this package goes to :mod:`sklearn_ae._persistence`'s archive
(``model.json`` and ``weights.safetensors``). Anything else (a
``Pipeline``, a ``ColumnTransformer``, a fitted ``GridSearchCV``) becomes a
*bundle*, one zip archive of:

``bundle.json``
    The format and package versions and the list of our estimators inside.
``estimator.skops``
    The scikit-learn object in `skops <https://skops.readthedocs.io>`__'s
    format, each of our estimators replaced by a placeholder
    ``{"__sklearn_ae_model__": i}``.
``models/<i>.skae``
    Our ``i``-th estimator, fitted, in :func:`save`'s own archive format;
    ``models/<i>.json`` for an unfitted one (its class and parameters, as a
    ``ColumnTransformer`` keeps the transformers it was given unfitted).

Loading reads only data. skops builds the scikit-learn part only from the
types it trusts by default (scikit-learn's estimators, numpy, scipy);
:func:`load` trusts nothing more and refuses a file that needs more.
:func:`save` checks this too, so that a bundle it writes always loads.
"""

import copy
import json
import tempfile
import types
import zipfile
from pathlib import Path

from sklearn.base import BaseEstimator

from . import _persistence
from ._archive import write_zip
from ._base import _BaseAutoEncoder
from ._model_json import decode_params, encode_params
from ._networks import check_networks_used, take_networks

BUNDLE_FORMAT = "sklearn-ae-bundle"
BUNDLE_VERSION = 1
BUNDLE_NAME = "bundle.json"
SKOPS_NAME = "estimator.skops"
PLACEHOLDER = "__sklearn_ae_model__"
# bundle.json lists a few models; the cap keeps a hostile file small.
MAX_BUNDLE_JSON_BYTES = 2**20


def save(estimator, path):
    """Save a fitted estimator, or any scikit-learn estimator holding one.

    An estimator of this package is written as a zip archive of
    ``model.json`` (its class, parameters, fitted attributes that are not
    tensors, training history's epoch rows and the SHA-256 of the weights)
    and ``weights.safetensors`` (the network's weights, as CPU tensors).

    Any other scikit-learn estimator, such as a ``Pipeline``,
    ``ColumnTransformer`` or a grid search's ``best_estimator_``, is written
    as a bundle: the scikit-learn part in `skops
    <https://skops.readthedocs.io>`__'s format and each of our estimators in
    the archive format above. Neither part is a pickle. See
    :ref:`saving_and_loading`.

    The optimizer's state and the per-batch training records are not saved:
    a warm start after :func:`load` restarts the optimizer. Of an encoder or
    decoder of your own, the weights are saved but not the code: :func:`load`
    takes the network again (see :ref:`saving_custom_networks`).

    Parameters
    ----------
    estimator : estimator
        A fitted estimator of one of the classes in ``sklearn_ae.__all__``
        (not a subclass: :func:`load` only builds the package's own
        classes), or a scikit-learn estimator that holds such estimators.
    path : str or path-like
        Where to write the archive (conventionally ending in ``.skae``); an
        existing file is replaced. The archive is written to a file of its
        own in the same folder and renamed over ``path``, so a concurrent
        :func:`load` sees the old model or the new one, whole.

    Raises
    ------
    TypeError
        If ``estimator`` is not a scikit-learn estimator, or holds a subclass
        of our estimators.
    ValueError
        If a parameter or fitted attribute of our estimators cannot be
        written as JSON (a callable ``prior``, a ``RandomState`` as
        ``random_state``), or the scikit-learn part holds objects that skops
        does not trust by default (a ``FunctionTransformer``'s function), so
        that :func:`load` would refuse the file.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is one of ours and is not fitted.

    See Also
    --------
    load : Read the archive back.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from sklearn_ae import AutoEncoder, load, save
    >>> X = np.random.RandomState(0).rand(100, 8)
    >>> pipe = make_pipeline(
    ...     MinMaxScaler(), AutoEncoder(n_components=2, max_iter=3, random_state=0)
    ... ).fit(X)
    >>> path = Path(tempfile.mkdtemp()) / "pipeline.skae"
    >>> save(pipe, path)
    >>> loaded = load(path)
    >>> bool(np.array_equal(loaded.transform(X), pipe.transform(X)))
    True
    """
    if isinstance(estimator, _BaseAutoEncoder):
        _persistence.save(estimator, path)
        return
    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            "save takes a scikit-learn estimator (one of sklearn_ae's, or a "
            "Pipeline, ColumnTransformer, ... holding them), got "
            f"{type(estimator).__qualname__}."
        )
    import skops.io as sio

    models = []

    def to_placeholder(obj):
        if isinstance(obj, _BaseAutoEncoder):
            models.append(obj)
            return {PLACEHOLDER: len(models) - 1}
        return None

    shell = sio.dumps(_substitute(estimator, to_placeholder, {}))
    untrusted = sio.get_untrusted_types(data=shell)
    if untrusted:
        raise ValueError(
            f"Cannot save this {type(estimator).__name__}: it holds objects "
            f"that skops does not trust by default, {untrusted}, so "
            "sklearn_ae.load would refuse the file. Save the estimators of "
            "sklearn_ae with sklearn_ae.save and the rest with skops.io.dump "
            "(whose load takes a list of types you trust)."
        )
    members = {SKOPS_NAME: shell}
    listing = []
    with tempfile.TemporaryDirectory() as folder:
        for index, model in enumerate(models):
            _check_class(model)
            if hasattr(model, "net_"):
                model_path = Path(folder) / f"{index}.skae"
                _persistence.save(model, model_path)
                name = f"models/{index}.skae"
                members[name] = model_path.read_bytes()
            else:
                name = f"models/{index}.json"
                members[name] = json.dumps(
                    {
                        "class": type(model).__name__,
                        "params": encode_params(model),
                    },
                    indent=1,
                    sort_keys=True,
                ).encode()
            listing.append(name)
    members[BUNDLE_NAME] = json.dumps(
        {
            "format": BUNDLE_FORMAT,
            "format_version": BUNDLE_VERSION,
            "sklearn_ae_version": _persistence._package_version(),
            "class": type(estimator).__qualname__,
            "models": listing,
        },
        indent=1,
        sort_keys=True,
    ).encode()
    write_zip(
        path,
        [(name, data, zipfile.ZIP_STORED) for name, data in members.items()],
    )


def load(path, *, device=None, encoder=None, decoder=None):
    """Load an estimator written by :func:`save`; never unpickles.

    An archive of one of our estimators is rebuilt from its JSON and
    safetensors members: the class must be one of ``sklearn_ae.__all__``,
    the parameters are checked against its constraints and the weights must
    fit the network they describe. A bundle's scikit-learn part is read by
    skops, trusting only the types skops trusts by default; each of our
    estimators inside it is read as above. The result transforms, decodes,
    scores and samples bit-identically to the saved model on the same kind
    of device.

    Parameters
    ----------
    path : str or path-like
        An archive written by :func:`save`.
    device : str, default=None
        Where to put the networks, as the estimators' ``device`` parameter
        (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ``"auto"``); it
        also becomes each loaded estimator's ``device`` parameter, used by
        later fits. None keeps the saved parameter and resolves it on this
        machine: ``"auto"`` picks what is here, and a model saved with a
        device this machine lacks (``"cuda"`` on a CPU-only machine) is
        loaded onto the CPU with a warning.

    encoder : torch.nn.Module, callable or None, default=None
        The encoder of your own the model was fitted with (the module or
        the callable it was given; see :ref:`custom_networks`), needed when
        the file holds one: a file holds a network's weights, never its
        code. The network is built as ``fit`` builds it and takes the saved
        weights, which must fit it tensor by tensor.

    decoder : torch.nn.Module, callable or None, default=None
        The decoder of your own, as ``encoder``.

    Returns
    -------
    estimator : estimator
        The fitted estimator, or the scikit-learn estimator holding ours.

    Raises
    ------
    ValueError
        If the file is not a complete archive of these formats (truncated,
        another format, an unknown format version), names a class outside
        ``sklearn_ae.__all__``, holds unknown or invalid parameters, types
        that skops does not trust by default, weights that do not match
        their SHA-256, a tensor that is missing, extra, or of the wrong
        shape or dtype for the model the parameters describe, a weight that
        is not finite or an input scale that is not positive, a network of
        your own that ``encoder`` or ``decoder`` does not give (or one given
        for a model without one), a fitted attribute that contradicts the
        weights (the code width, the epoch count, a curve's length, the
        decoder's variance), or if a parser fails on a crafted file (an
        encrypted or unknown-compression member, a number beyond its type's
        range, JSON nested too deep): the message names the member or field.

    See Also
    --------
    save : Write the archive.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VariationalAutoEncoder, load, save
    >>> X = load_digits().data / 16
    >>> vae = VariationalAutoEncoder(loss="bce", max_iter=3, random_state=0).fit(X)
    >>> path = Path(tempfile.mkdtemp()) / "vae.skae"
    >>> save(vae, path)
    >>> load(path, device="cpu").sample(4, random_state=0).shape
    (4, 64)
    """
    given = {"encoder": encoder, "decoder": decoder}
    members = _bundle_members(path)
    if members is None:
        return _persistence.load(path, device=device, **given)
    import skops.io as sio

    document = _bundle_document(path, members)
    shell = members[SKOPS_NAME]
    untrusted = _read_skops(path, sio.get_untrusted_types, data=shell)
    if untrusted:
        raise ValueError(
            f"{path}: the scikit-learn part holds types that skops does not "
            f"trust by default, {untrusted}; sklearn_ae.load builds none of "
            "them. The file was not written by sklearn_ae.save."
        )
    models, used = [], set()
    with tempfile.TemporaryDirectory() as folder:
        for index, name in enumerate(document["models"]):
            if name == f"models/{index}.skae":
                model_path = Path(folder) / f"{index}.skae"
                model_path.write_bytes(members[name])
                # Each model takes only the networks its file saved.
                model, taken = _persistence.load_model(model_path, device, given)
            else:
                model, taken = _unfitted(path, name, members[name], device, given)
            models.append(model)
            used.update(taken)
    check_networks_used(given, used)

    def from_placeholder(obj):
        if isinstance(obj, dict) and set(obj) == {PLACEHOLDER}:
            index = obj[PLACEHOLDER]
            if not isinstance(index, int) or not 0 <= index < len(models):
                raise ValueError(f"{path}: a placeholder names no model: {obj}.")
            return models[index]
        return None

    return _substitute(_read_skops(path, sio.loads, shell), from_placeholder, {})


def _read_skops(path, read, *args, **kwargs):
    """``read(*args, **kwargs)``, a malformed skops member named as a ValueError."""
    try:
        return read(*args, **kwargs)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        raise ValueError(
            f"{path}: {SKOPS_NAME} is not a valid skops file: {exc!r}"
        ) from exc


def _check_class(model):
    """Raise a TypeError unless :func:`load` can build ``model``'s class."""
    if type(model) is not _persistence._estimator_class(type(model).__name__):
        raise TypeError(
            "save writes only the classes of sklearn_ae, not the subclass "
            f"{type(model).__qualname__} found inside the estimator."
        )


def _unfitted(path, name, text, device, networks):
    """``(estimator, names used)``: the unfitted estimator of ``models/<i>.json``.

    It takes what it needs of ``networks``, as :func:`_persistence.load_model`.
    """
    try:
        spec = json.loads(text.decode("utf-8"))
        cls = _persistence._estimator_class(spec["class"])
        params = spec["params"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: {name} is not a model description: {exc}") from exc
    if cls is None:
        raise ValueError(
            f"{path}: {name} names the class {spec['class']!r}, which is not "
            "an estimator of sklearn_ae."
        )
    estimator = cls(**decode_params(cls, params))
    used = take_networks(estimator, networks)
    if device is not None:
        estimator.set_params(device=device)
    try:
        estimator._validate_params()
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{path}: {name} holds an invalid parameter of {cls.__name__}: {exc}"
        ) from exc
    return estimator, used


# -------------------------------------------------------------- the archive
def _bundle_members(path):
    """A bundle's members by name, or None for an archive of one model."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if BUNDLE_NAME not in names:
                return None
            if archive.getinfo(BUNDLE_NAME).file_size > MAX_BUNDLE_JSON_BYTES:
                raise ValueError(f"{path}: {BUNDLE_NAME} is too large.")
            return {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile, OSError):
        # Not a readable zip: the model loader says what is wrong with it.
        return None


def _bundle_document(path, members):
    """``bundle.json``, checked against the members present."""
    try:
        document = json.loads(members[BUNDLE_NAME].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: {BUNDLE_NAME} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        raise ValueError(f"{path} is not an sklearn-ae bundle.")
    if document.get("format_version") != BUNDLE_VERSION:
        raise ValueError(
            f"{path} has bundle version {document.get('format_version')!r}; this "
            f"sklearn-ae reads version {BUNDLE_VERSION} only."
        )
    listing = document.get("models")
    expected = {
        f"models/{index}.{kind}"
        for index in range(len(listing) if isinstance(listing, list) else 0)
        for kind in ("skae", "json")
    }
    if (
        not isinstance(listing, list)
        or not set(listing) <= expected
        or len(set(listing)) != len(listing)
        or any(not name.startswith(f"models/{i}.") for i, name in enumerate(listing))
        or set(members) != {BUNDLE_NAME, SKOPS_NAME, *listing}
    ):
        raise ValueError(
            f"{path}: the bundle's members {sorted(members)} do not match its "
            f"listing {listing!r}."
        )
    return document


# ------------------------------------------------------------ the placeholders
def _substitute(obj, replace, memo):
    """``obj`` with every part that ``replace`` maps to a value replaced.

    Walks objects' attributes (an estimator's, a grid search's scorer's),
    lists, tuples and dicts;
    ``obj`` itself is never changed (an estimator with a replaced part is a
    shallow copy), and an object reached twice is replaced by the same value.
    """
    key = id(obj)
    if key in memo:
        return memo[key]
    new = replace(obj)
    if new is None:
        if type(obj) in (list, tuple):
            items = [_substitute(item, replace, memo) for item in obj]
            if any(a is not b for a, b in zip(items, obj, strict=True)):
                new = type(obj)(items)
        elif isinstance(obj, dict):
            items = {k: _substitute(v, replace, memo) for k, v in obj.items()}
            if any(items[k] is not v for k, v in obj.items()):
                # A copy of its own class (a Bunch stays a Bunch).
                new = copy.copy(obj)
                new.update(items)
        elif _has_parts(obj):
            changed = {
                name: sub
                for name, value in vars(obj).items()
                if (sub := _substitute(value, replace, memo)) is not value
            }
            if changed:
                new = copy.copy(obj)
                vars(new).update(changed)
    if new is None:
        new = obj
    memo[key] = new
    return new


def _has_parts(obj):
    """Whether ``obj`` is an instance whose attributes may hold estimators."""
    return isinstance(getattr(obj, "__dict__", None), dict) and not isinstance(
        obj, type | types.ModuleType | types.FunctionType | types.MethodType
    )


__all__ = ["load", "save"]
