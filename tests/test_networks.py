"""Networks of the user's own: ``encoder=`` and ``decoder=`` on every estimator."""

import copy
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from sklearn.utils.validation import check_is_fitted
from torch import nn

import sklearn_ae
from sklearn_ae import (
    AdversarialAutoEncoder,
    AutoEncoder,
    ConditionalVariationalAutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    ManifoldAutoEncoder,
    SparseAutoEncoder,
    StackedAutoEncoder,
    VariationalAutoEncoder,
)
from sklearn_ae._contractive import exact_sq_norm
from tests._support import SMALL, expected_failed_checks

FAST = {**SMALL, "max_iter": 2}

# Two epochs on a few hundred rows: a collapsed posterior is expected.
pytestmark = pytest.mark.filterwarnings("ignore:.*posterior collapsed")


def mlp_encoder(n_features, n_components):
    """A factory: module-level, so that a fitted estimator pickles."""
    return nn.Sequential(
        nn.Linear(n_features, 16), nn.Tanh(), nn.Linear(16, n_components)
    )


def mlp_decoder(n_features, n_components):
    return nn.Sequential(
        nn.Linear(n_components, 16), nn.Tanh(), nn.Linear(16, n_features)
    )


class ConvEncoder(nn.Module):
    """A convolutional encoder of 8x8 images, flattened to 64 columns."""

    def __init__(self, n_components):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(4 * 64, n_components),
        )

    def forward(self, x):
        return self.layers(x)


# Every estimator that takes networks of the user's own, with what it needs.
TAKING = [
    AutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    ContractiveAutoEncoder,
    VariationalAutoEncoder,
    ConditionalVariationalAutoEncoder,
    AdversarialAutoEncoder,
    ManifoldAutoEncoder,
]
LABELLED = (ConditionalVariationalAutoEncoder, AdversarialAutoEncoder)
EXTRA = {
    ManifoldAutoEncoder: {"n_neighbors": 5, "geometry": "umap"},
    AdversarialAutoEncoder: {"prior": "gaussian_mixture"},
}


def _fit(cls, X, y, **params):
    estimator = cls(n_components=2, **FAST, **EXTRA.get(cls, {}), **params)
    if cls in LABELLED:
        labels = y.copy()
        labels[len(labels) // 2 :] = -1
        return estimator.fit(X, labels)
    return estimator.fit(X)


def _weights(module):
    return {name: value.clone() for name, value in module.state_dict().items()}


@pytest.mark.parametrize("cls", TAKING, ids=lambda cls: cls.__name__)
def test_factories_train_every_variant_reproducibly(cls, digits):
    X, _, y, _ = digits
    X, y = X[:300], y[:300]
    state = torch.random.get_rng_state()
    first = _fit(cls, X, y, encoder=mlp_encoder, decoder=mlp_decoder)
    # The factories were seeded from random_state, and torch's global
    # generator was put back.
    assert torch.equal(torch.random.get_rng_state(), state)
    second = _fit(cls, X, y, encoder=mlp_encoder, decoder=mlp_decoder)
    codes = first.transform(X[:20])
    assert codes.shape == (20, 2)
    np.testing.assert_array_equal(codes, second.transform(X[:20]))
    assert first.inverse_transform(codes).shape == (20, X.shape[1])
    assert np.isfinite(first.score(X[:20]))
    # The user's networks are in the trained module, as built.
    module = first.net_.module_
    assert module.own_encoder and module.own_decoder
    assert isinstance(module.encoder, nn.Sequential)
    assert module.encoder[0].in_features == X.shape[1]


@pytest.mark.parametrize("cls", TAKING, ids=lambda cls: cls.__name__)
def test_modules_are_copied_and_keep_their_weights(cls, digits):
    X, _, y, _ = digits
    X, y = X[:300], y[:300]
    torch.manual_seed(0)
    encoder = mlp_encoder(X.shape[1], 2)
    # The conditional VAE's decoder reads the one-hot label beside the code.
    n_inputs = 2 + len(np.unique(y)) if cls in LABELLED[:1] else 2
    decoder = mlp_decoder(X.shape[1], n_inputs)
    before = _weights(encoder), _weights(decoder)
    # A learning rate too small to move a float32 weight: the trained
    # networks still hold the weights given, not a fresh initialisation.
    params = {"learning_rate_init": 1e-30}
    if cls is AdversarialAutoEncoder:
        params |= {
            "discriminator_learning_rate": 1e-30,
            "generator_learning_rate": 1e-30,
        }
    fitted = _fit(cls, X, y, encoder=encoder, decoder=decoder, **params)
    module = fitted.net_.module_
    assert module.encoder is not encoder and module.decoder is not decoder
    for given, trained in zip(before, (module.encoder, module.decoder), strict=True):
        for name, value in given.items():
            torch.testing.assert_close(
                trained.state_dict()[name], value, rtol=0, atol=0
            )
    # The parameters themselves were never trained in place.
    for given, network in zip(before, (encoder, decoder), strict=True):
        for name, value in network.state_dict().items():
            assert torch.equal(value, given[name])
    assert fitted.encoder is encoder and fitted.decoder is decoder


def test_a_convolutional_encoder_in_a_pipeline(digits):
    X, X_test, _, _ = digits
    pipe = make_pipeline(
        AutoEncoder(n_components=3, encoder=ConvEncoder(3), **FAST)
    ).fit(X[:300])
    codes = pipe.transform(X_test[:10])
    assert codes.shape == (10, 3)
    # float64 rows are encoded by a float64 copy of the user's network.
    codes64 = pipe.transform(X_test[:10].astype(np.float64))
    assert codes64.dtype == np.float64
    np.testing.assert_allclose(codes64, codes, rtol=1e-4, atol=1e-5)


def test_only_one_network_of_ones_own(digits):
    X = digits[0][:200]
    ae = AutoEncoder(n_components=2, decoder=mlp_decoder, **FAST).fit(X)
    module = ae.net_.module_
    assert module.own_decoder and not module.own_encoder
    # The encoder is the MLP of hidden_layer_sizes.
    assert module.encoder[0].out_features == ae.hidden_layer_sizes[0]


def test_variational_models_put_their_layer_on_the_encoder(digits):
    X, _, y, _ = digits
    # The encoder's output may have any width: the model maps it to the
    # posterior's mean and log-variance.
    encoder = nn.Sequential(nn.Linear(64, 24), nn.ReLU())
    vae = VariationalAutoEncoder(n_components=3, encoder=encoder, **FAST).fit(X[:200])
    head = vae.net_.module_.code_layer[0]
    assert (head.in_features, head.out_features) == (24, 6)
    mean, log_var = vae.net_.module_.encode_distribution(torch.as_tensor(X[:5]))
    assert mean.shape == log_var.shape == (5, 3)
    # The conditional VAE's label joins that layer and the decoder's input.
    seen = {}

    def decoder(n_features, n_inputs):
        seen["shape"] = (n_features, n_inputs)
        return mlp_decoder(n_features, n_inputs)

    labels = y[:200].copy()
    labels[100:] = -1
    cvae = ConditionalVariationalAutoEncoder(
        n_components=2, encoder=encoder, decoder=decoder, **FAST
    ).fit(X[:200], labels)
    n_classes = len(cvae.classes_)
    assert seen["shape"] == (64, 2 + n_classes)
    assert cvae.net_.module_.code_layer[0].in_features == 24 + n_classes
    assert cvae.transform(X[:4]).shape == (4, 2)


def test_a_code_activation_sits_on_the_users_encoder(digits):
    X = digits[0][:200]
    sparse = SparseAutoEncoder(n_components=4, encoder=mlp_encoder, **FAST).fit(X)
    codes = sparse.transform(X)
    # The sparse model's logistic code activation, applied to the output.
    assert codes.min() > 0 and codes.max() < 1


def test_contractive_penalty_of_any_encoder_is_the_jacobian_norm(digits):
    X = digits[0][:200]
    cae = ContractiveAutoEncoder(
        n_components=3, encoder=ConvEncoder(3), jacobian="exact", **FAST
    ).fit(X)
    module = cae.net_.module_.eval()
    x = torch.as_tensor(X[:6])

    def encode_row(row):
        return module.encode(row[None])[0]

    reference = torch.stack(
        [torch.autograd.functional.jacobian(encode_row, row).pow(2).sum() for row in x]
    )
    torch.testing.assert_close(exact_sq_norm(module, x), reference)
    assert cae.loss_terms_["contraction"].shape == (cae.n_iter_,)


def test_clone_and_grid_search(digits):
    X = digits[0][:200]
    first, second = mlp_encoder(64, 2), mlp_encoder(64, 2)
    ae = AutoEncoder(n_components=2, encoder=first, **FAST)
    copied = clone(ae)
    assert copied.encoder is not first
    assert isinstance(copied.encoder, nn.Sequential)
    search = GridSearchCV(
        AutoEncoder(n_components=2, decoder=mlp_decoder, **FAST),
        {"encoder": [first, second, mlp_encoder]},
        cv=2,
    ).fit(X)
    assert len(search.cv_results_["mean_test_score"]) == 3
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # A factory follows a searched n_components.
    search = GridSearchCV(
        AutoEncoder(encoder=mlp_encoder, decoder=mlp_decoder, **FAST),
        {"n_components": [2, 3]},
        cv=2,
    ).fit(X)
    assert search.best_estimator_.transform(X[:2]).shape[1] in (2, 3)


@pytest.mark.parametrize("cls", [AutoEncoder, VariationalAutoEncoder])
def test_pickle_keeps_the_network_and_its_training(cls, digits):
    X = digits[0][:200]
    fitted = cls(n_components=2, encoder=ConvEncoder(2), decoder=mlp_decoder, **FAST)
    fitted.fit(X)
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(
        loaded.inverse_transform(loaded.transform(X[:5])),
        fitted.inverse_transform(fitted.transform(X[:5])),
    )
    # The optimizer's state came back too: a warm start continues both alike.
    for estimator in (loaded, fitted):
        estimator.set_params(warm_start=True, max_iter=1).fit(X)
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))


@pytest.mark.parametrize("cls", [AutoEncoder, ConditionalVariationalAutoEncoder])
def test_save_keeps_the_weights_and_load_takes_the_network(cls, digits, tmp_path):
    X, _, y, _ = digits
    X, y = X[:200], y[:200]
    encoder = ConvEncoder(2)
    fitted = _fit(cls, X, y, encoder=encoder, decoder=mlp_decoder)
    path = tmp_path / "model.skae"
    sklearn_ae.save(fitted, path)
    # The file holds the networks' weights and descriptions, not their code.
    with zipfile.ZipFile(path) as archive:
        document = json.loads(archive.read("model.json"))
    assert document["params"]["encoder"] == {
        "__network__": "module tests.test_networks.ConvEncoder"
    }
    assert document["params"]["decoder"] == {
        "__network__": "callable tests.test_networks.mlp_decoder"
    }
    with pytest.raises(ValueError, match=r"encoder of your own.*load\(path, encoder="):
        sklearn_ae.load(path, decoder=mlp_decoder)
    loaded = sklearn_ae.load(path, encoder=ConvEncoder(2), decoder=mlp_decoder)
    np.testing.assert_array_equal(loaded.transform(X), fitted.transform(X))
    assert loaded.decoder is mlp_decoder
    assert isinstance(loaded.encoder, ConvEncoder)
    # The loaded model trains further.
    loaded.set_params(warm_start=True, max_iter=1).fit(
        X, *([y] if cls in LABELLED else [])
    )


def test_load_refuses_networks_that_do_not_fit_the_file(digits, tmp_path):
    X = digits[0][:100]
    path = tmp_path / "model.skae"
    sklearn_ae.save(
        AutoEncoder(n_components=2, encoder=mlp_encoder, **FAST).fit(X), path
    )
    with pytest.raises(ValueError, match=r"weights do not fit.*encoder\.layers"):
        sklearn_ae.load(path, encoder=ConvEncoder(2))
    with pytest.raises(
        ValueError, match="no network of your own there: leave decoder=None"
    ):
        sklearn_ae.load(path, encoder=mlp_encoder, decoder=mlp_decoder)
    plain = tmp_path / "plain.skae"
    sklearn_ae.save(AutoEncoder(n_components=2, **FAST).fit(X), plain)
    with pytest.raises(ValueError, match="leave encoder=None"):
        sklearn_ae.load(plain, encoder=mlp_encoder)


def test_a_pipeline_saves_and_loads_with_its_network(digits, tmp_path):
    X = digits[0][:200]
    pipe = make_pipeline(
        MinMaxScaler(), AutoEncoder(n_components=2, encoder=ConvEncoder(2), **FAST)
    ).fit(X)
    path = tmp_path / "pipeline.skae"
    sklearn_ae.save(pipe, path)
    with pytest.raises(ValueError, match="encoder of your own"):
        sklearn_ae.load(path)
    loaded = sklearn_ae.load(path, encoder=ConvEncoder(2))
    np.testing.assert_array_equal(loaded.transform(X), pipe.transform(X))


def test_warm_start_refuses_another_network(digits):
    X = digits[0][:100]
    ae = AutoEncoder(n_components=2, encoder=mlp_encoder, **FAST).fit(X)
    ae.set_params(warm_start=True, encoder=ConvEncoder(2))
    with pytest.raises(ValueError, match="warm_start=True continues the fitted"):
        ae.fit(X)
    ae.set_params(encoder=None)
    with pytest.raises(ValueError, match="encoder="):
        ae.fit(X)


@pytest.mark.parametrize("cls", [LinearAutoEncoder, StackedAutoEncoder])
def test_models_without_a_place_for_them_refuse_them(cls, digits):
    X = digits[0][:100]
    for params in ({"encoder": mlp_encoder}, {"decoder": mlp_decoder(64, 2)}):
        estimator = cls(n_components=2, **FAST, **params)
        with pytest.raises(ValueError, match=f"{cls.__name__} takes no encoder"):
            estimator.fit(X)
        with pytest.raises(NotFittedError):
            check_is_fitted(estimator)


class ReturnsTuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(64, 2)

    def forward(self, x):
        return self.layer(x), None


class ReturnsImages(nn.Module):
    def forward(self, x):
        return x.reshape(-1, 1, 8, 8)


BAD = [
    ({"encoder": "conv"}, ValueError, "'encoder' parameter"),
    ({"encoder": lambda n, k: "a network"}, TypeError, "returned a str, not a torch"),
    ({"encoder": mlp_encoder(64, 3)}, ValueError, "3 columns.*n_components=2"),
    (
        {"encoder": mlp_encoder(10, 2)},
        ValueError,
        r"encoder fails on a batch of shape \(2, 64\)",
    ),
    (
        {"decoder": mlp_decoder(10, 2)},
        ValueError,
        "decoder returns 10 columns.*n_features_in_=64",
    ),
    (
        {"decoder": mlp_decoder(64, 5)},
        ValueError,
        r"decoder fails on a batch of shape \(2, 2\)",
    ),
    (
        {"encoder": mlp_encoder(64, 2).double()},
        TypeError,
        r"float64 weights.*\.float\(\)",
    ),
    ({"encoder": ReturnsTuple()}, TypeError, "returns a tuple"),
    ({"encoder": ReturnsImages()}, ValueError, r"shape \(2, 1, 8, 8\).*flatten"),
    (
        {"encoder": nn.Sequential(nn.Linear(64, 2), nn.Flatten(0))},
        ValueError,
        r"returns shape \(4,\)",
    ),
]


@pytest.mark.parametrize("params, error, match", BAD)
def test_a_network_that_does_not_fit_is_refused(params, error, match, digits):
    X = digits[0][:100]
    ae = AutoEncoder(n_components=2, **FAST, **params)
    with pytest.raises(error, match=match):
        ae.fit(X)
    with pytest.raises(NotFittedError):
        check_is_fitted(ae)


def test_an_integer_output_is_refused(digits):
    class Rounds(nn.Module):
        def forward(self, x):
            return x[:, :2].round().long()

    with pytest.raises(TypeError, match=r"returns torch\.int64.*float32"):
        AutoEncoder(n_components=2, encoder=Rounds(), **FAST).fit(digits[0][:50])


def test_refitting_leaves_the_given_module_untouched(digits):
    X = digits[0][:100]
    encoder = mlp_encoder(64, 2)
    snapshot = copy.deepcopy(encoder.state_dict())
    ae = AutoEncoder(n_components=2, encoder=encoder, **FAST)
    for _ in range(2):
        ae.fit(X)
    assert all(torch.equal(v, snapshot[k]) for k, v in encoder.state_dict().items())


class _Factory:
    """A network factory whose repr is its name, not its address.

    The checks' test ids show the estimators' reprs: with a function's
    address in them, each pytest-xdist worker collected other ids and
    ``pytest -n auto`` refused to run.
    """

    def __init__(self, factory):
        self.factory = factory

    def __call__(self, n_features, n_components):
        return self.factory(n_features, n_components)

    def __repr__(self):
        return self.factory.__name__


@parametrize_with_checks(
    [
        AutoEncoder(
            encoder=_Factory(mlp_encoder), decoder=_Factory(mlp_decoder), **FAST
        ),
        VariationalAutoEncoder(encoder=_Factory(mlp_encoder), **FAST),
        ContractiveAutoEncoder(
            encoder=_Factory(mlp_encoder), decoder=_Factory(mlp_decoder), **FAST
        ),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_scikit_learn_checks_with_networks_of_ones_own(estimator, check):
    check(estimator)


def _streamed(encoder, X):
    ae = AutoEncoder(n_components=2, encoder=encoder, **FAST)
    for chunk in np.array_split(X, 3):
        ae.partial_fit(chunk)
    return ae


def test_partial_fit_trains_the_same_copy(digits):
    X = digits[0][:300]
    streamed = _streamed(ConvEncoder(2), X)
    assert streamed.n_iter_ == 3
    # Two ConvEncoder(2) instances start from different weights, the same
    # instance from the same ones.
    other = _streamed(ConvEncoder(2), X)
    assert not np.array_equal(other.transform(X), streamed.transform(X))
    again = _streamed(streamed.encoder, X)
    np.testing.assert_array_equal(again.transform(X), streamed.transform(X))


@pytest.fixture(scope="module")
def conv_autoencoder(digits):
    """A fitted autoencoder with a convolutional encoder, and its rows."""
    X = digits[0][:100]
    return AutoEncoder(n_components=2, encoder=ConvEncoder(2), **FAST).fit(X), X


def test_joblib_round_trip(conv_autoencoder, tmp_path):
    joblib = pytest.importorskip("joblib")
    ae, X = conv_autoencoder
    joblib.dump(ae, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))


def test_onnx_export_of_a_convolutional_encoder(conv_autoencoder, tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    ae, X = conv_autoencoder
    sklearn_ae.export_onnx(ae, tmp_path / "encoder.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "encoder.onnx"))
    codes = session.run(None, {"X": X[:10]})[0]
    np.testing.assert_allclose(codes, ae.transform(X[:10]), rtol=1e-5, atol=1e-5)
