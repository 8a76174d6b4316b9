"""Saving and loading without pickle (``sklearn_ae.save``/``load``), and pickle."""

import hashlib
import json
import os
import pickle
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import sklearn_ae
from sklearn_ae import (
    AdversarialAutoEncoder,
    AutoEncoder,
    ConditionalVariationalAutoEncoder,
    DenoisingAutoEncoder,
    load,
    save,
)
from tests._support import small_estimators

ESTIMATORS = small_estimators()
IDS = [
    f"{i}-{type(est).__name__}" for i, est in enumerate(ESTIMATORS)
]  # a class may appear in several configurations
ROOT = Path(sklearn_ae.__file__).resolve().parents[1]

# Run by a fresh interpreter: load every saved model with pickle and
# torch.load disabled, and write each one's outputs next to it.
LOAD_AND_PREDICT = """
import pickle, sys, warnings
from pathlib import Path
import numpy as np
import torch

def refuse(*args, **kwargs):
    raise AssertionError("load must not unpickle")

pickle.load = pickle.loads = torch.load = refuse
warnings.simplefilter("error")
import sklearn_ae

folder = Path(sys.argv[1])
X = np.load(folder / "X.npy")
for model in sorted(folder.glob("*.skae")):
    est = sklearn_ae.load(model)
    codes = np.load(model.with_suffix(".codes.npy"))
    out = {
        "transform": est.transform(X),
        "inverse_transform": est.inverse_transform(codes),
        "score_samples": est.score_samples(X),
        "loss_curve_": est.loss_curve_,
    }
    if hasattr(est, "sample"):
        out["sample"] = est.sample(7, random_state=0)
    if hasattr(est, "predict"):
        out["predict"] = est.predict(X)
    np.savez(model.with_suffix(".loaded.npz"), **out)
    model.with_suffix(".params.txt").write_text(repr(est.get_params(deep=False)))
"""


def _outputs(est, X, codes):
    out = {
        "transform": est.transform(X),
        "inverse_transform": est.inverse_transform(codes),
        "score_samples": est.score_samples(X),
        "loss_curve_": est.loss_curve_,
    }
    if hasattr(est, "sample"):
        out["sample"] = est.sample(7, random_state=0)
    if hasattr(est, "predict"):
        out["predict"] = est.predict(X)
    return out


@pytest.fixture(scope="module")
def round_trip(digits, tmp_path_factory):
    """Each small estimator fitted, saved, and loaded by a fresh process.

    Returns ``{index: (saved estimator's outputs, loaded outputs, params)}``.
    """
    X_train, X_test, y_train, _ = digits
    folder = tmp_path_factory.mktemp("saved")
    np.save(folder / "X.npy", X_test)
    expected = {}
    for i, estimator in enumerate(ESTIMATORS):
        with warnings.catch_warnings():
            # A VAE's posterior collapses in 5 epochs; beside the point here.
            warnings.simplefilter("ignore", UserWarning)
            est = clone(estimator).fit(X_train[:400], y_train[:400])
        codes = est.transform(X_test)[::-1].copy()
        np.save(folder / f"{i:02d}.codes.npy", codes)
        save(est, folder / f"{i:02d}.skae")
        expected[i] = (_outputs(est, X_test, codes), repr(est.get_params(deep=False)))
    subprocess.run(
        [sys.executable, "-c", LOAD_AND_PREDICT, str(folder)],
        check=True,
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
    )
    return {
        i: (
            outputs,
            dict(np.load(folder / f"{i:02d}.loaded.npz")),
            params,
            (folder / f"{i:02d}.params.txt").read_text(),
        )
        for i, (outputs, params) in expected.items()
    }


@pytest.mark.parametrize("index", range(len(ESTIMATORS)), ids=IDS)
def test_round_trip_in_a_fresh_process_is_bit_identical(round_trip, index):
    expected, loaded, params, loaded_params = round_trip[index]
    assert loaded_params == params
    assert set(loaded) == set(expected)
    for name, values in expected.items():
        np.testing.assert_array_equal(loaded[name], values, err_msg=name)


@pytest.fixture
def fitted(small_data):
    return AutoEncoder(
        n_components=2,
        hidden_layer_sizes=(8,),
        max_iter=3,
        random_state=0,
        device="cpu",
    ).fit(small_data)


@pytest.fixture
def saved(fitted, tmp_path):
    path = tmp_path / "model.skae"
    save(fitted, path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return (
            json.loads(archive.read("model.json")),
            archive.read("weights.safetensors"),
        )


def _rewrite(path, document, weights, *, rehash=True, relist=False):
    """Write ``document`` and ``weights`` back, as a forger would."""
    if relist:
        tensors = load_tensors(weights)
        document["weights"]["tensors"] = {
            name: {"dtype": str(t.dtype), "shape": list(t.shape)}
            for name, t in tensors.items()
        }
    if rehash:
        document["weights"]["sha256"] = hashlib.sha256(weights).hexdigest()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", json.dumps(document))
        archive.writestr("weights.safetensors", weights)


def _with_tensors(weights, change):
    tensors = load_tensors(weights)
    change(tensors)
    return save_tensors(tensors)


def test_archive_holds_json_and_safetensors(saved, fitted):
    document, weights = _members(saved)
    assert document["format"] == "sklearn-ae"
    assert document["format_version"] == 1
    assert document["class"] == "AutoEncoder"
    assert document["sklearn_ae_version"] == sklearn_ae.__version__
    # Tuples stay tuples; numpy arrays keep their dtype.
    assert document["params"]["hidden_layer_sizes"] == {"__tuple__": [8]}
    assert document["fitted"]["loss_curve_"]["__ndarray__"]["dtype"] == "<f8"
    assert document["weights"]["sha256"] == hashlib.sha256(weights).hexdigest()
    tensors = load_tensors(weights)
    state = fitted.net_.module_.state_dict()
    assert set(tensors) == {f"module.{name}" for name in state}
    for name, value in state.items():
        assert torch.equal(tensors[f"module.{name}"], value)
    assert len(document["history"]) == fitted.n_iter_
    assert all("batches" not in row for row in document["history"])


def test_saving_twice_writes_the_same_bytes(fitted, saved, tmp_path):
    again = tmp_path / "again.skae"
    save(fitted, again)
    assert again.read_bytes() == saved.read_bytes()
    # Saving over a file replaces it, leaving nothing else behind.
    save(fitted, again)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.skae", "model.skae"]


def test_load_restores_params_and_fitted_attributes(fitted, saved, small_data):
    loaded = load(saved)
    assert type(loaded) is AutoEncoder
    assert loaded.get_params() == fitted.get_params()
    assert loaded.hidden_layer_sizes == (8,)
    assert loaded.n_features_in_ == fitted.n_features_in_
    assert loaded.n_iter_ == fitted.n_iter_
    np.testing.assert_array_equal(loaded.loss_curve_, fitted.loss_curve_)
    assert loaded.loss_terms_.keys() == fitted.loss_terms_.keys()
    assert len(loaded.net_.history) == len(fitted.net_.history)
    assert not loaded.net_.module_.training
    np.testing.assert_array_equal(
        loaded.transform(small_data), fitted.transform(small_data)
    )


def test_numpy_parameters_are_saved_as_python_scalars(small_data, tmp_path):
    # As a grid built with numpy hands them over.
    est = AutoEncoder(
        n_components=np.int64(2),
        hidden_layer_sizes=np.array([8, 4]),
        learning_rate_init=np.float32(0.01),
        early_stopping=np.True_,
        max_iter=3,
        device="cpu",
        random_state=0,
    ).fit(small_data)
    save(est, tmp_path / "ae.skae")
    loaded = load(tmp_path / "ae.skae")
    assert loaded.n_components == 2 and type(loaded.n_components) is int
    assert loaded.early_stopping is True
    assert loaded.learning_rate_init == np.float32(0.01)
    np.testing.assert_array_equal(loaded.hidden_layer_sizes, [8, 4])
    assert loaded.hidden_layer_sizes.dtype == est.hidden_layer_sizes.dtype
    np.testing.assert_array_equal(
        loaded.validation_loss_curve_, est.validation_loss_curve_
    )
    np.testing.assert_array_equal(
        loaded.transform(small_data), est.transform(small_data)
    )


def test_load_leaves_torch_random_state_alone(saved):
    before = torch.random.get_rng_state()
    load(saved)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_load_never_unpickles(saved, small_data, fitted, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("load must not unpickle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    loaded = load(saved)
    np.testing.assert_array_equal(
        loaded.transform(small_data), fitted.transform(small_data)
    )


def test_feature_names_and_labels_survive(digits, tmp_path):
    pd = pytest.importorskip("pandas")
    X, _, y, _ = digits
    frame = pd.DataFrame(X[:300], columns=[f"pixel{i}" for i in range(X.shape[1])])
    labels = np.array(["zero", "one", "two"])[y[:300] % 3]
    est = ConditionalVariationalAutoEncoder(
        hidden_layer_sizes=(8,), max_iter=2, random_state=0, device="cpu"
    ).fit(frame, labels)
    save(est, tmp_path / "cvae.skae")
    loaded = load(tmp_path / "cvae.skae")
    np.testing.assert_array_equal(loaded.feature_names_in_, est.feature_names_in_)
    assert loaded.feature_names_in_.dtype == object
    np.testing.assert_array_equal(loaded.classes_, est.classes_)
    assert loaded.classes_.dtype == est.classes_.dtype
    np.testing.assert_array_equal(loaded.predict(frame), est.predict(frame))
    np.testing.assert_array_equal(
        loaded.sample(5, y="two", random_state=1),
        est.sample(5, y="two", random_state=1),
    )


def test_warm_start_after_load_continues_training(digits, tmp_path):
    X = digits[0][:300]
    est = DenoisingAutoEncoder(
        noise="salt_and_pepper",
        hidden_layer_sizes=(8,),
        max_iter=3,
        random_state=0,
        device="cpu",
    ).fit(X)
    save(est, tmp_path / "dae.skae")
    loaded = load(tmp_path / "dae.skae")
    # The corruption's per-feature range is kept for further training.
    corrupt, original = loaded.net_.corrupt, est.net_.corrupt
    assert torch.equal(corrupt.low, original.low)
    assert torch.equal(corrupt.high, original.high)
    # As for any warm start, the net trains max_iter more epochs.
    loaded.set_params(warm_start=True).fit(X)
    assert loaded.n_iter_ == 6
    np.testing.assert_array_equal(loaded.loss_curve_[:3], est.loss_curve_)
    assert not np.array_equal(loaded.transform(X), est.transform(X))
    # A cold refit of the loaded model is the original fit again.
    refit = load(tmp_path / "dae.skae").fit(X)
    np.testing.assert_array_equal(refit.transform(X), est.transform(X))


def test_adversarial_prior_is_rebuilt_and_checked(digits, tmp_path):
    X, _, y, _ = digits
    est = AdversarialAutoEncoder(
        prior="gaussian_mixture",
        n_prior_components=10,
        prior_radius=3.0,
        hidden_layer_sizes=(8,),
        discriminator_layer_sizes=(8,),
        max_iter=2,
        random_state=0,
        device="cpu",
    ).fit(X[:300], y[:300])
    path = tmp_path / "aae.skae"
    save(est, path)
    loaded = load(path)
    assert type(loaded.prior_) is type(est.prior_)
    assert loaded.prior_.radius == 3.0
    np.testing.assert_array_equal(
        loaded.sample(6, y=4, random_state=0), est.sample(6, y=4, random_state=0)
    )
    document, weights = _members(path)
    document["prior"]["radius"] = 5.0
    _rewrite(path, document, weights)
    with pytest.raises(ValueError, match="prior"):
        load(path)


# ------------------------------------------------------------------ refusals
def test_refuses_a_flipped_byte_in_the_weights(saved):
    document, weights = _members(saved)
    flipped = bytearray(weights)
    flipped[-5] ^= 0x01
    _rewrite(saved, document, bytes(flipped), rehash=False)
    with pytest.raises(ValueError, match="SHA-256"):
        load(saved)


def test_refuses_a_flipped_byte_in_the_file(saved):
    # Flipping a byte of the archive itself trips the zip's checksum first.
    data = bytearray(saved.read_bytes())
    offset = data.index(b"weights.safetensors") + 200
    data[offset] ^= 0xFF
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"corrupted .*Bad CRC-32"):
        load(saved)


def test_refuses_a_changed_shape(saved):
    document, weights = _members(saved)

    def widen(tensors):
        name = "module.encoder.0.weight"
        tensors[name] = torch.zeros(tensors[name].shape[0] + 1, tensors[name].shape[1])

    _rewrite(saved, document, _with_tensors(weights, widen), relist=True)
    with pytest.raises(ValueError, match=r"'encoder.0.weight' has shape \(9, 6\)"):
        load(saved)


def test_refuses_a_shape_that_differs_from_the_listing(saved):
    document, weights = _members(saved)

    def widen(tensors):
        tensors["module.offset"] = torch.zeros(7)

    _rewrite(saved, document, _with_tensors(weights, widen))
    with pytest.raises(ValueError, match=r"'module.offset' is .*shape.*listed as"):
        load(saved)


def test_refuses_parameters_of_another_network_before_building_it(saved):
    # The layout is compared on torch's meta device: a file claiming a huge
    # network is refused without allocating it.
    document, weights = _members(saved)
    document["params"]["hidden_layer_sizes"] = {"__tuple__": [2**20]}
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=r"needs \(1048576, 6\)"):
        load(saved)


def test_refuses_an_input_scale_of_the_wrong_width(saved):
    document, weights = _members(saved)
    document["fitted"]["n_features_in_"] = 7
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=r"n_features_in_=7 needs \(7,\)"):
        load(saved)


def test_refuses_a_changed_dtype(saved):
    document, weights = _members(saved)

    def double(tensors):
        tensors["module.decoder.0.bias"] = tensors["module.decoder.0.bias"].double()

    _rewrite(saved, document, _with_tensors(weights, double), relist=True)
    with pytest.raises(ValueError, match=r"dtype torch\.float64"):
        load(saved)


@pytest.mark.parametrize(
    "change, match",
    [
        (
            lambda t: t.pop("module.decoder.0.bias"),
            r"missing tensors \['decoder.0.bias",
        ),
        (
            lambda t: t.update({"module.backdoor": torch.zeros(2)}),
            r"unexpected tensors \['backdoor'\]",
        ),
        (
            lambda t: t.update({"elsewhere.x": torch.zeros(2)}),
            r"unexpected tensors \['elsewhere.x'\]",
        ),
    ],
)
def test_refuses_missing_or_extra_tensors(saved, change, match):
    document, weights = _members(saved)
    _rewrite(saved, document, _with_tensors(weights, change), relist=True)
    with pytest.raises(ValueError, match=match):
        load(saved)


@pytest.mark.parametrize(
    "name", ["sklearn.decomposition.PCA", "os.system", "_BaseAutoEncoder", "load"]
)
def test_refuses_a_class_outside_the_package(saved, name):
    document, weights = _members(saved)
    document["class"] = name
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match="not an estimator of sklearn_ae"):
        load(saved)


def test_refuses_an_unknown_parameter(saved):
    document, weights = _members(saved)
    document["params"]["evil"] = 1
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=r"unknown to AutoEncoder: \['evil'\]"):
        load(saved)


def test_refuses_a_missing_parameter(saved):
    document, weights = _members(saved)
    del document["params"]["activation"]
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=r"lacks parameters .*\['activation'\]"):
        load(saved)


@pytest.mark.parametrize(
    "name, value, match",
    [
        ("n_components", -1, "n_components"),
        ("activation", "os.system", "activation"),
        ("batch_size", {"__tuple__": [1]}, "batch_size"),
        ("hidden_layer_sizes", {"__code__": "print(1)"}, "unknown tagged value"),
        ("optimizer", {"__torch_optim__": "os.system"}, "not an optimizer"),
        ("optimizer", {"__torch_optim__": "Optimizer"}, "optimizer"),
        ("optimizer", "SGD", "optimizer"),
        ("optimizer_params", {"momentum": 0.9}, "takes no argument 'momentum'"),
        (
            "max_iter",
            {"__ndarray__": {"dtype": "|V8", "shape": [1], "data": [1]}},
            "dtype",
        ),
    ],
)
def test_refuses_an_invalid_parameter(saved, name, value, match):
    document, weights = _members(saved)
    document["params"][name] = value
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=match):
        load(saved)


@pytest.mark.parametrize("name", ["transform", "__class__", "net_", "n_components"])
def test_refuses_a_fitted_attribute_that_is_not_data(saved, name):
    document, weights = _members(saved)
    document["fitted"][name] = 1
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=f"attribute '{name}'"):
        load(saved)


def test_refuses_an_unknown_format_version(saved):
    document, weights = _members(saved)
    document["format_version"] = 2
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match="format version 2"):
        load(saved)


def test_refuses_compressed_weights(saved):
    # A compressed member could inflate far beyond the file's size.
    document, weights = _members(saved)
    with zipfile.ZipFile(saved, "w") as archive:
        archive.writestr("model.json", json.dumps(document))
        archive.writestr("weights.safetensors", weights, zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match=r"weights\.safetensors is compressed"):
        load(saved)


def test_refuses_an_array_too_wide_to_allocate(saved):
    document, weights = _members(saved)
    wide = {"dtype": "<U100000000", "shape": [2], "data": ["a", "b"]}
    document["fitted"]["classes_"] = {"__ndarray__": wide}
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=r"classes_ is a malformed array.*too large"):
        load(saved)


def test_refuses_a_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a complete sklearn-ae archive"):
        load(saved)


def test_refuses_truncated_weights_even_with_a_matching_hash(saved):
    document, weights = _members(saved)
    _rewrite(saved, document, weights[: len(weights) // 2])
    with pytest.raises(ValueError, match="not a valid safetensors file"):
        load(saved)


def test_refuses_a_file_that_is_not_an_archive(tmp_path, fitted):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(fitted))
    with pytest.raises(ValueError, match="not a complete sklearn-ae archive"):
        load(path)


# -------------------------------------------------------------- saving errors
def test_save_refuses_a_callable_prior(small_data, tmp_path):
    def ring(n, rng):
        return rng.normal(size=(n, 2))

    est = AdversarialAutoEncoder(
        prior=ring,
        hidden_layer_sizes=(8,),
        discriminator_layer_sizes=(8,),
        max_iter=1,
        random_state=0,
        device="cpu",
    ).fit(small_data)
    with pytest.raises(ValueError, match="Cannot save the parameter prior=<function"):
        save(est, tmp_path / "aae.skae")
    assert not (tmp_path / "aae.skae").exists()


def test_the_optimizer_and_its_arguments_are_saved(small_data, tmp_path):
    est = AutoEncoder(
        hidden_layer_sizes=(8,),
        max_iter=2,
        random_state=0,
        device="cpu",
        optimizer=torch.optim.SGD,
        optimizer_params={"momentum": 0.9, "nesterov": True},
    ).fit(small_data)
    save(est, tmp_path / "ae.skae")
    document, _ = _members(tmp_path / "ae.skae")
    assert document["params"]["optimizer"] == {"__torch_optim__": "SGD"}
    loaded = load(tmp_path / "ae.skae")
    assert loaded.optimizer is torch.optim.SGD
    assert loaded.optimizer_params == {"momentum": 0.9, "nesterov": True}
    assert type(loaded.net_.optimizer_) is torch.optim.SGD
    assert loaded.net_.optimizer_.param_groups[0]["momentum"] == 0.9
    np.testing.assert_array_equal(
        loaded.transform(small_data), est.transform(small_data)
    )


def test_save_refuses_callbacks_and_an_optimizer_outside_torch(small_data, tmp_path):
    from skorch.callbacks import EpochTimer

    class Custom(torch.optim.SGD):
        pass

    est = AutoEncoder(
        hidden_layer_sizes=(8,), max_iter=1, random_state=0, device="cpu"
    ).fit(small_data)
    for params, match in [
        ({"callbacks": [EpochTimer()]}, "parameter callbacks="),
        ({"optimizer": Custom}, "parameter optimizer=<class"),
    ]:
        with pytest.raises(ValueError, match=match):
            save(clone(est).set_params(**params).fit(small_data), tmp_path / "a.skae")
    assert not (tmp_path / "a.skae").exists()


def test_save_refuses_a_random_state_instance(small_data, tmp_path):
    est = AutoEncoder(
        hidden_layer_sizes=(8,), max_iter=1, random_state=np.random.RandomState(0)
    ).fit(small_data)
    with pytest.raises(ValueError, match="parameter random_state=RandomState"):
        save(est, tmp_path / "ae.skae")
    save(est.set_params(random_state=None), tmp_path / "ae.skae")


def test_save_refuses_an_unfitted_estimator(tmp_path):
    with pytest.raises(NotFittedError):
        save(AutoEncoder(), tmp_path / "ae.skae")


def test_save_refuses_other_objects(fitted, tmp_path):
    # A pipeline holding ours is saved as a bundle (tests/test_bundle.py).
    with pytest.raises(TypeError, match="save takes a scikit-learn estimator"):
        save({"model": fitted}, tmp_path / "dict.skae")

    class MyAutoEncoder(AutoEncoder):
        pass

    with pytest.raises(TypeError, match=r"got .*MyAutoEncoder"):
        save(MyAutoEncoder(), tmp_path / "mine.skae")


# -------------------------------------------------------------------- device
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_model_saved_for_cuda_loads_on_the_cpu(saved, small_data, fitted):
    document, weights = _members(saved)
    document["params"]["device"] = "cuda"
    _rewrite(saved, document, weights)
    with pytest.warns(UserWarning, match="Loading onto the CPU.*CUDA is not"):
        loaded = load(saved)
    assert loaded.device == "cuda"
    assert loaded.net_.device.type == "cpu"
    np.testing.assert_array_equal(
        loaded.transform(small_data), fitted.transform(small_data)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        overridden = load(saved, device="cpu")
    assert overridden.device == "cpu"
    overridden.set_params(warm_start=True).fit(small_data)


def test_load_refuses_an_unknown_device(saved):
    with pytest.raises(ValueError, match="device='tpu'"):
        load(saved, device="tpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_model_loads_on_a_cpu_only_machine(small_data, tmp_path):
    est = AutoEncoder(max_iter=3, random_state=0, device="cuda").fit(small_data)
    path = tmp_path / "cuda.skae"
    save(est, path)
    np.testing.assert_array_equal(
        load(path).transform(small_data), est.transform(small_data)
    )
    np.save(tmp_path / "X.npy", small_data)
    script = (
        "import sys, warnings, numpy as np, torch, sklearn_ae\n"
        "assert not torch.cuda.is_available()\n"
        "warnings.simplefilter('ignore')\n"
        f"est = sklearn_ae.load({str(path)!r})\n"
        "assert est.net_.device.type == 'cpu'\n"
        f"np.save(sys.argv[1], est.transform(np.load({str(tmp_path / 'X.npy')!r})))\n"
    )
    out = tmp_path / "codes.npy"
    subprocess.run(
        [sys.executable, "-c", script, str(out)],
        check=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)},
    )
    np.testing.assert_allclose(
        np.load(out), est.transform(small_data), rtol=1e-4, atol=1e-5
    )


# -------------------------------------------------------------------- pickle
def _pickle_size(n_rows, **params):
    X = np.random.RandomState(0).rand(n_rows, 20)
    est = AutoEncoder(
        n_components=2,
        hidden_layer_sizes=(16,),
        max_iter=5,
        batch_size=32,
        random_state=0,
        device="cpu",
        **params,
    ).fit(X)
    return len(pickle.dumps(est))


def test_pickle_size_does_not_grow_with_the_training_data():
    small, large = _pickle_size(200), _pickle_size(2000)
    assert abs(large - small) < 2048, (
        f"pickle of a model fitted on 2000 rows is {large} bytes, on 200 rows {small}"
    )


def test_pickle_size_does_not_grow_with_the_training_data_with_early_stopping():
    small = _pickle_size(200, early_stopping=True)
    large = _pickle_size(2000, early_stopping=True)
    assert abs(large - small) < 2048, (
        f"pickle of a model fitted on 2000 rows is {large} bytes, on 200 rows {small}"
    )


def test_pickle_keeps_each_epoch_but_not_each_batch(fitted, small_data):
    restored = pickle.loads(pickle.dumps(fitted))
    assert (
        restored.net_.history[:, "train_loss"] == fitted.net_.history[:, "train_loss"]
    )
    assert all("batches" not in row for row in restored.net_.history)
    # The fitted net itself is unchanged.
    assert all(row["batches"] for row in fitted.net_.history)
    restored.set_params(warm_start=True).fit(small_data)
    assert restored.n_iter_ == 2 * fitted.n_iter_


# ------------------------------------- fitted attributes against the weights
@pytest.mark.parametrize("n_codes", [3, 10**10, 0, "2", True, None])
def test_refuses_a_code_width_that_contradicts_the_weights(saved, n_codes):
    document, weights = _members(saved)
    document["fitted"]["_n_codes"] = n_codes
    _rewrite(saved, document, weights)
    with pytest.raises(
        ValueError, match=r"code width \(_n_codes\).*encode each row in 2"
    ):
        load(saved)


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_refuses_non_finite_weights(saved, value):
    document, weights = _members(saved)

    def poison(tensors):
        tensors["module.encoder.0.weight"][0, 0] = value

    _rewrite(saved, document, _with_tensors(weights, poison))
    with pytest.raises(
        ValueError, match=r"'module\.encoder\.0\.weight' holds non-finite"
    ):
        load(saved)


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_refuses_a_zero_or_negative_input_scale(saved, value):
    document, weights = _members(saved)

    def zero(tensors):
        tensors["module.scale"][1] = value

    _rewrite(saved, document, _with_tensors(weights, zero))
    with pytest.raises(ValueError, match=r"input scale \('module.scale'\)"):
        load(saved)


@pytest.mark.parametrize(
    "name, value, match",
    [
        ("n_iter_", 10**12, "n_iter_=1000000000000 but its history holds 3"),
        ("n_iter_", -1, "n_iter_=-1 is not a count"),
        ("n_updates_", 2.5, "n_updates_=2.5 is not a count"),
        ("loss_curve_", [1.0], "loss_curve_ must be a float array"),
        ("feature_names_in_", None, "feature_names_in_ must be an array"),
        ("noise_variance_", None, "noise_variance_ is not the decoder variance"),
        ("loss_terms_", [], "loss_terms_ is not a mapping"),
    ],
)
def test_refuses_fitted_attributes_that_contradict_the_model(saved, name, value, match):
    document, weights = _members(saved)
    if name == "feature_names_in_":
        value = {"__ndarray__": {"dtype": "<U1", "shape": [3], "data": list("abc")}}
    document["fitted"][name] = value
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=match):
        load(saved)


def test_refuses_a_recorded_network_unlike_the_parameters(saved):
    document, weights = _members(saved)
    document["params"]["activation"] = "tanh"  # same shapes, other function
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match="records a network built with"):
        load(saved)


# ---------------------------------------------------- crafted files, parsers
def _rewrite_text(path, text, weights):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("model.json", text)
        archive.writestr("weights.safetensors", weights)


def _nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "where, value, match",
    [
        (
            "classes_",
            {"__ndarray__": {"dtype": "<i8", "shape": [float("inf")], "data": [1]}},
            "attribute classes_",
        ),
        (
            "classes_",
            {"__ndarray__": {"dtype": "<i8", "shape": [1], "data": [10**30]}},
            "attribute classes_",
        ),
        ("extra_", _nested(600), "attribute extra_"),
    ],
    ids=["infinite shape", "int out of range", "nested 600 deep"],
)
def test_a_crafted_value_is_refused_naming_its_field(saved, where, value, match):
    document, weights = _members(saved)
    document["fitted"][where] = value
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=match):
        load(saved)


@pytest.mark.parametrize(
    "name, value, match",
    [
        ("n_components", 10**30, "n_components"),
        ("hidden_layer_sizes", {"__tuple__": [10**30]}, "hidden_layer_sizes"),
        ("tol", float("inf"), "tol"),
    ],
)
def test_a_crafted_parameter_is_refused_naming_it(saved, name, value, match):
    document, weights = _members(saved)
    document["params"][name] = value
    _rewrite(saved, document, weights)
    with pytest.raises(ValueError, match=match):
        load(saved)


def test_json_numbers_beyond_any_range_are_refused(saved):
    document, weights = _members(saved)
    text = json.dumps(document).replace('"n_iter_": 3', '"n_iter_": 1e400')
    _rewrite_text(saved, text, weights)
    with pytest.raises(ValueError, match="n_iter_"):
        load(saved)
    digits = json.dumps(document).replace('"n_iter_": 3', '"n_iter_": ' + "9" * 5000)
    _rewrite_text(saved, digits, weights)
    with pytest.raises(ValueError, match=r"model\.json"):
        load(saved)


def _patch_member_header(path, name, offset_local, offset_central, value, size):
    """Overwrite a field of ``name``'s local and central zip headers."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, offset, name_at in (
        (b"PK\x03\x04", offset_local, 30),
        (b"PK\x01\x02", offset_central, 46),
    ):
        start = 0
        while (start := data.find(signature, start)) != -1:
            if data[start + name_at : start + name_at + len(encoded)] == encoded:
                data[start + offset : start + offset + size] = value.to_bytes(
                    size, "little"
                )
            start += 4
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "field, value, match",
    [
        # General-purpose flag bit 0: an encrypted member (RuntimeError).
        ((6, 8, 2), 0x1, r"reading model\.json: RuntimeError"),
        # Compression method 99: unsupported (NotImplementedError).
        ((8, 10, 2), 99, r"reading model\.json: NotImplementedError"),
    ],
    ids=["encrypted", "unknown compression"],
)
def test_a_crafted_zip_entry_is_refused_naming_it(saved, field, value, match):
    offset_local, offset_central, size = field
    _patch_member_header(saved, "model.json", offset_local, offset_central, value, size)
    with pytest.raises(ValueError, match=match):
        load(saved)


# ------------------------------------------------------------- atomic saves
def test_concurrent_saves_and_loads_of_one_path_see_whole_models(small_data, tmp_path):
    import threading

    models = [
        AutoEncoder(
            hidden_layer_sizes=(8,), max_iter=2, random_state=seed, device="cpu"
        ).fit(small_data)
        for seed in (0, 1)
    ]
    expected = [model.transform(small_data) for model in models]
    path = tmp_path / "shared.skae"
    save(models[0], path)
    errors, loaded = [], []
    done = threading.Event()

    def saver(model):
        try:
            for _ in range(15):
                save(model, path)
        except Exception as exc:
            errors.append(exc)

    def loader():
        try:
            while not done.is_set():
                codes = load(path).transform(small_data)
                loaded.append(any(np.array_equal(codes, e) for e in expected))
        except Exception as exc:
            errors.append(exc)

    savers = [threading.Thread(target=saver, args=(m,)) for m in models * 2]
    reader = threading.Thread(target=loader)
    reader.start()
    for thread in savers:
        thread.start()
    for thread in savers:
        thread.join()
    done.set()
    reader.join()
    assert not errors, errors
    assert loaded and all(loaded)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.skae"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_a_file_from_before_the_later_parameters_loads_with_their_defaults(
    fitted, saved, small_data
):
    # Files written before encoder, decoder, callbacks, optimizer and
    # optimizer_params existed lack them; their defaults are what those
    # models trained with.
    document, weights = _members(saved)
    for name in ("encoder", "decoder", "callbacks", "optimizer", "optimizer_params"):
        del document["params"][name]
    _rewrite(saved, document, weights)
    loaded = load(saved)
    assert loaded.get_params() == fitted.get_params()
    np.testing.assert_array_equal(
        loaded.transform(small_data), fitted.transform(small_data)
    )
