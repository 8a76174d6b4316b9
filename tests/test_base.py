"""The shared base estimator's contract, run for every public estimator."""

import os
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from skorch.callbacks import Callback

from sklearn_ae import (
    AdversarialAutoEncoder,
    AutoEncoder,
    LinearAutoEncoder,
    VariationalAutoEncoder,
)
from tests._support import small_estimators

ESTIMATORS = small_estimators()


def _ids(estimators):
    return [type(est).__name__ for est in estimators]


estimators = pytest.mark.parametrize("estimator", ESTIMATORS, ids=_ids(ESTIMATORS))


@estimators
def test_shapes_and_dtypes(estimator, small_data):
    X = small_data
    est = clone(estimator).fit(X)
    Z = est.transform(X)
    assert Z.shape == (X.shape[0], est.n_components)
    assert Z.dtype == np.float64
    assert est.inverse_transform(Z).shape == X.shape
    assert est.score_samples(X).shape == (X.shape[0],)
    assert np.isfinite(est.score(X))
    assert est.transform(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(est.fit_transform(X), est.transform(X), rtol=1e-5)


@estimators
def test_pickle_round_trip_gives_identical_transform(estimator, small_data):
    est = clone(estimator).fit(small_data)
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(
        restored.transform(small_data), est.transform(small_data)
    )


@estimators
def test_same_random_state_same_model(estimator, small_data):
    first = clone(estimator).set_params(random_state=3).fit_transform(small_data)
    second = clone(estimator).set_params(random_state=3).fit_transform(small_data)
    other = clone(estimator).set_params(random_state=4).fit_transform(small_data)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)


def test_fit_leaves_global_torch_rng_untouched(small_data):
    state = torch.get_rng_state()
    AutoEncoder(max_iter=2, random_state=0, device="cpu").fit(small_data)
    assert torch.equal(state, torch.get_rng_state())


def test_pipeline_in_grid_search_with_two_jobs(digits):
    X_train, X_test, y_train, y_test = digits
    pipe = Pipeline(
        [
            ("scale", MinMaxScaler()),
            ("ae", AutoEncoder(max_iter=30, random_state=0, device="cpu")),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    search = GridSearchCV(pipe, {"ae__n_components": [2, 8]}, cv=2, n_jobs=2)
    search.fit(X_train, y_train)
    assert search.best_params_["ae__n_components"] == 8
    accuracy = search.score(X_test, y_test)
    assert accuracy > 0.8, f"held-out accuracy {accuracy:.3f}"


def test_unsupervised_grid_search_uses_score(digits):
    X_train = digits[0]
    search = GridSearchCV(
        AutoEncoder(max_iter=30, random_state=0, device="cpu"),
        {"n_components": [1, 12]},
        cv=2,
    )
    search.fit(X_train)
    # More components reconstruct better: a higher log-likelihood.
    scores = search.cv_results_["mean_test_score"]
    assert scores[1] > scores[0], scores
    assert search.best_params_ == {"n_components": 12}


def test_score_samples_is_the_gaussian_log_likelihood(small_data):
    est = AutoEncoder(max_iter=3, random_state=0, device="cpu").fit(small_data)
    reconstruction = est.inverse_transform(est.transform(small_data))
    n_features = small_data.shape[1]
    expected = -0.5 * ((small_data - reconstruction) ** 2).sum(axis=1)
    expected -= 0.5 * n_features * np.log(2 * np.pi)
    np.testing.assert_allclose(est.score_samples(small_data), expected, rtol=1e-6)
    assert est.score(small_data) == pytest.approx(expected.mean())


def test_score_samples_is_the_bernoulli_log_likelihood(digits):
    X = digits[0][:100]
    est = AutoEncoder(loss="bce", max_iter=3, random_state=0, device="cpu").fit(X)
    p = est.inverse_transform(est.transform(X)).astype(np.float64)
    assert 0 < p.min() and p.max() < 1
    expected = (X * np.log(p) + (1 - X) * np.log1p(-p)).sum(axis=1)
    np.testing.assert_allclose(est.score_samples(X), expected, rtol=1e-4)


@pytest.mark.parametrize("output", ["pandas", "polars"])
def test_set_output(output, small_data):
    pytest.importorskip(output)
    est = AutoEncoder(n_components=3, max_iter=2, random_state=0, device="cpu")
    frame = est.set_output(transform=output).fit_transform(small_data)
    assert list(frame.columns) == ["autoencoder0", "autoencoder1", "autoencoder2"]
    assert frame.shape == (small_data.shape[0], 3)


def test_feature_names_in_and_out(small_data):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(small_data, columns=[f"f{i}" for i in range(6)])
    est = AutoEncoder(max_iter=2, random_state=0, device="cpu").fit(df)
    assert list(est.feature_names_in_) == list(df.columns)
    assert list(est.get_feature_names_out()) == ["autoencoder0", "autoencoder1"]


def test_early_stopping_records_validation_and_stops(digits):
    X = digits[0]
    est = AutoEncoder(
        max_iter=300,
        early_stopping=True,
        n_iter_no_change=3,
        tol=0.05,
        random_state=0,
        device="cpu",
    ).fit(X)
    assert est.n_iter_ < 300
    assert est.validation_loss_curve_.shape == (est.n_iter_,)
    assert est.loss_curve_.shape == (est.n_iter_,)
    # Refitting without early stopping drops the stale validation curve.
    est.set_params(early_stopping=False, max_iter=2).fit(X)
    assert not hasattr(est, "validation_loss_curve_")


def test_warm_start_continues_training(small_data):
    est = AutoEncoder(
        max_iter=3, warm_start=True, n_iter_no_change=None, random_state=0
    )
    est.set_params(device="cpu").fit(small_data)
    first_loss = est.loss_curve_[-1]
    est.fit(small_data)
    assert est.n_iter_ == 6
    assert est.loss_curve_[-1] < first_loss


def test_cosine_schedule_anneals_to_zero_and_restarts_on_warm_start(small_data):
    est = AutoEncoder(
        learning_rate="cosine",
        max_iter=4,
        batch_size=20,
        learning_rate_init=0.01,
        n_iter_no_change=None,
        warm_start=True,
        random_state=0,
        device="cpu",
    ).fit(small_data)
    # 60 samples in batches of 20: 12 steps, epoch e starts at step 3 e.
    expected = 0.005 * (1 + np.cos(np.pi * np.arange(4) / 4))
    np.testing.assert_allclose(est.net_.history[:, "lr"], expected, rtol=1e-6)
    last = 0.005 * (1 + np.cos(np.pi * 11 / 12))
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(last)
    est.fit(small_data)
    np.testing.assert_allclose(est.net_.history[4:, "lr"], expected, rtol=1e-6)


def test_constant_learning_rate_is_not_scheduled(small_data):
    est = AutoEncoder(
        max_iter=3, learning_rate="constant", random_state=0, device="cpu"
    ).fit(small_data)
    assert est.net_.optimizer_.param_groups[0]["lr"] == est.learning_rate_init
    assert "lr" not in est.net_.history[-1]


def _squared_weight_norm(estimator):
    return sum(
        float((param.detach() ** 2).sum())
        for name, param in estimator.net_.module_.named_parameters()
        if name.endswith("weight")
    )


def test_weight_decay_shrinks_the_weights(digits):
    params = {"max_iter": 20, "n_iter_no_change": None, "random_state": 0}
    norms = [
        _squared_weight_norm(
            AutoEncoder(8, weight_decay=decay, device="cpu", **params).fit(digits[0])
        )
        for decay in (0.0, 0.1, 1.0)
    ]
    assert norms[0] > norms[1] > norms[2], norms


def test_adversarial_weight_decay_acts_in_the_reconstruction_step_only(small_data):
    est = AdversarialAutoEncoder(
        weight_decay=0.5, max_iter=1, random_state=0, device="cpu"
    ).fit(small_data)
    net = est.net_
    assert net.optimizer_.param_groups[0]["weight_decay"] == 0.5
    for optimizer in (net.discriminator_optimizer_, net.generator_optimizer_):
        assert optimizer.param_groups[0]["weight_decay"] == 0.0


@pytest.mark.parametrize(
    "estimator_class", [AutoEncoder, LinearAutoEncoder, VariationalAutoEncoder]
)
def test_docstring_states_the_class_defaults(estimator_class):
    doc, est = estimator_class.__doc__, estimator_class()
    assert f"weight_decay : float, default={est.weight_decay!r}\n" in doc
    schedules = '{"auto", "constant", "cosine"}'
    assert f'learning_rate : {schedules}, default="{est.learning_rate}"\n' in doc
    assert "{default:" not in doc


def test_warm_start_refuses_other_columns(small_data):
    est = AutoEncoder(max_iter=1, warm_start=True, random_state=0, device="cpu")
    est.fit(small_data)
    with pytest.raises(ValueError, match="features"):
        est.fit(small_data[:, :4])


def test_verbose_shows_progress(small_data, capsys):
    AutoEncoder(max_iter=2, verbose=1, random_state=0, device="cpu").fit(small_data)
    assert "AutoEncoder" in capsys.readouterr().err


# --------------------------------------------------------------- bad input
@estimators
@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        (np.array([[1.0, np.nan], [2.0, 3.0]]), ValueError, "NaN"),
        (np.array([[1.0, np.inf], [2.0, 3.0]]), ValueError, "infinity"),
        (np.arange(6.0), ValueError, "2D array"),
        (np.empty((0, 3)), ValueError, "0 sample"),
        (np.array([["a", "b"], ["c", "d"]], dtype=object), ValueError, "convert"),
        (sparse.csr_matrix(np.array([[1.0, np.nan], [2.0, 3.0]])), ValueError, "NaN"),
    ],
    ids=["nan", "inf", "1d", "empty", "strings", "sparse-nan"],
)
def test_bad_training_data(estimator, X, error, match):
    with pytest.raises(error, match=match):
        clone(estimator).fit(X)


@estimators
def test_wrong_number_of_columns(estimator, small_data):
    est = clone(estimator).fit(small_data)
    wrong = small_data[:, :4]
    for method in ("transform", "score", "score_samples"):
        with pytest.raises(ValueError, match="features"):
            getattr(est, method)(wrong)
    with pytest.raises(ValueError, match="n_components"):
        est.inverse_transform(np.zeros((3, est.n_components + 1)))


@estimators
def test_not_fitted(estimator, small_data):
    for method in ("transform", "inverse_transform", "score"):
        with pytest.raises(NotFittedError):
            getattr(clone(estimator), method)(small_data)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_components": 0}, "n_components"),
        ({"n_components": 7}, "n_components=7 must be <= n_features=6"),
        ({"loss": "l2"}, "loss"),
        ({"activation": "swish"}, "activation"),
        ({"hidden_layer_sizes": (8, 0)}, "hidden_layer_sizes"),
        ({"batch_size": 0}, "batch_size"),
        ({"learning_rate_init": -1.0}, "learning_rate_init"),
        ({"learning_rate": "step"}, "learning_rate"),
        ({"learning_rate": 0.01}, "learning_rate"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"device": "tpu"}, "device"),
        ({"device": "not a device"}, "device"),
    ],
)
def test_invalid_parameters(params, match, small_data):
    with pytest.raises(ValueError, match=match):
        AutoEncoder(max_iter=1, **params).fit(small_data)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_cuda_without_cuda(small_data):
    with pytest.raises(ValueError, match="CUDA is not available"):
        AutoEncoder(max_iter=1, device="cuda").fit(small_data)


def test_bce_needs_data_in_unit_interval(small_data):
    with pytest.raises(ValueError, match=r"loss='bce'.*\[0, 1\]"):
        AutoEncoder(loss="bce", max_iter=1).fit(small_data)


def test_diverging_loss_stops_with_a_clear_error(small_data):
    est = AutoEncoder(learning_rate_init=1e6, max_iter=50, random_state=0, device="cpu")
    with pytest.raises(FloatingPointError, match="smaller learning_rate_init"):
        est.fit(small_data)
    assert not hasattr(est, "net_")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_model_unpickles_and_transforms_on_cpu_only_machine(small_data, tmp_path):
    est = AutoEncoder(max_iter=3, random_state=0, device="cuda").fit(small_data)
    expected = est.transform(small_data)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(est))
    np.save(tmp_path / "X.npy", small_data)
    script = (
        "import pickle, sys, warnings, numpy as np, torch\n"
        "assert not torch.cuda.is_available()\n"
        "warnings.simplefilter('ignore')\n"
        f"est = pickle.load(open({str(path)!r}, 'rb'))\n"
        f"np.save(sys.argv[1], est.transform(np.load({str(tmp_path / 'X.npy')!r})))\n"
    )
    out = tmp_path / "codes.npy"
    subprocess.run(
        [sys.executable, "-c", script, str(out)],
        check=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    np.testing.assert_allclose(np.load(out), expected, rtol=1e-4, atol=1e-5)


# ------------------------------------------------- a failed fit fails cleanly
def _fitted_state(est):
    """What a fitted estimator holds: its attributes, its weights."""
    weights = {k: v.clone() for k, v in est.net_.module_.state_dict().items()}
    attributes = {k: v for k, v in vars(est).items() if k.endswith("_")}
    return attributes, weights


def _assert_unfitted(est, X):
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]
    assert not fitted, f"a failed fit left fitted attributes {fitted}"
    with pytest.raises(NotFittedError):
        est.transform(X)


@estimators
def test_a_fit_refused_for_its_data_leaves_the_estimator_unfitted(estimator):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    est = clone(estimator).set_params(n_components=9)
    if getattr(est, "_allows_overcomplete", False):
        est.set_params(hidden_layer_sizes=(10**12,))  # refused another way
    with pytest.raises(ValueError):
        est.fit(X)
    _assert_unfitted(est, X)


@pytest.mark.parametrize(
    "failure",
    [
        "interrupt in the first epoch",
        "interrupt in a later epoch",
        "interrupt from a user's callback",
        "divergence",
    ],
)
@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_a_failed_fit_restores_the_estimator(failure, warm, small_data, monkeypatch):
    from sklearn_ae._net import AutoEncoderNet

    X = small_data
    est = VariationalAutoEncoder(
        hidden_layer_sizes=(8,),
        max_iter=2,
        batch_size=20,
        random_state=0,
        device="cpu",
        warm_start=warm,
    )
    before = None
    if warm:
        est.fit(X)
        before = _fitted_state(est)
        codes = est.transform(X)
    if failure == "divergence":
        data, error = X * 1e18, FloatingPointError
        est.set_params(learning_rate_init=1e30)
    elif "callback" in failure:
        data, error = X, KeyboardInterrupt

        class Interrupt(Callback):
            def initialize(self):
                self.epochs_ = 0
                return self

            def on_epoch_end(self, net, **kwargs):
                self.epochs_ += 1
                if self.epochs_ == 2:
                    raise KeyboardInterrupt

        est.set_params(callbacks=[Interrupt()])
    else:
        data, error = X, KeyboardInterrupt
        stop_at = 2 if "first" in failure else 5  # batches: 3 an epoch
        calls = []
        train_step = AutoEncoderNet.train_step

        def interrupted(self, batch, **fit_params):
            calls.append(1)
            if len(calls) == stop_at:
                raise KeyboardInterrupt
            return train_step(self, batch, **fit_params)

        monkeypatch.setattr(AutoEncoderNet, "train_step", interrupted)
    with pytest.raises(error):
        est.fit(data)
    if not warm:
        _assert_unfitted(est, X)
        return
    attributes, weights = _fitted_state(est)
    assert attributes.keys() == before[0].keys()
    for name, value in before[0].items():
        assert attributes[name] is value, f"{name} changed"
    for name, value in before[1].items():
        torch.testing.assert_close(weights[name], value, rtol=0, atol=0)
    np.testing.assert_array_equal(est.transform(X), codes)
    assert est.n_iter_ == len(est.loss_curve_) == 2


def test_a_raising_prior_callable_leaves_the_estimator_unfitted(small_data):
    calls = []

    def prior(n, rng):
        calls.append(n)
        if len(calls) > 3:
            raise RuntimeError("the user's sampler failed")
        return rng.normal(size=(n, 2))

    est = AdversarialAutoEncoder(
        prior=prior,
        hidden_layer_sizes=(8,),
        discriminator_layer_sizes=(8,),
        max_iter=2,
        random_state=0,
        device="cpu",
    )
    with pytest.raises(RuntimeError, match="sampler failed"):
        est.fit(small_data)
    _assert_unfitted(est, small_data)


def test_every_fit_restores_on_failure():
    # A new estimator's own fit must be wrapped too, or its failures would
    # leave n_features_in_ and friends behind.
    for est in ESTIMATORS:
        assert getattr(type(est).fit, "restores_on_failure", False), type(est)


# ------------------------------------------------ warm start honours set_params
def test_warm_start_applies_the_current_training_parameters(small_data):
    X = small_data
    est = AutoEncoder(
        hidden_layer_sizes=(8,),
        max_iter=1,
        n_iter_no_change=None,
        random_state=0,
        device="cpu",
        warm_start=True,
    ).fit(X)
    assert est.n_iter_ == 1
    steps_before = float(est.net_.optimizer_.state_dict()["state"][0]["step"])
    est.set_params(
        max_iter=3, learning_rate_init=0.05, weight_decay=0.01, batch_size=7
    ).fit(X)
    assert est.n_iter_ == 4
    assert est.net_.batch_size == 7
    (group,) = est.net_.optimizer_.param_groups
    assert group["lr"] == 0.05 and group["weight_decay"] == 0.01
    # The optimizer kept its state: Adam's step counts went on.
    steps = est.net_.optimizer_.state_dict()["state"][0]["step"]
    assert float(steps) == steps_before + 3 * 9
    est.set_params(max_iter=50, n_iter_no_change=1, tol=10.0).fit(X)
    assert est.n_iter_ == 4 + 2, "the new stopping rule was not applied"


def test_warm_start_applies_a_new_learning_rate_to_every_phase(small_data):
    est = AdversarialAutoEncoder(
        hidden_layer_sizes=(8,),
        discriminator_layer_sizes=(8,),
        max_iter=1,
        random_state=0,
        device="cpu",
        warm_start=True,
    ).fit(small_data)
    est.set_params(
        learning_rate_init=0.1,
        discriminator_learning_rate=0.2,
        generator_learning_rate=0.3,
        learning_rate="cosine",
    ).fit(small_data)
    rates = [
        group["initial_lr"]
        for optimizer in est.net_.phase_optimizers()
        for group in optimizer.param_groups
    ]
    assert rates == [0.1, 0.2, 0.3]


# ------------------------------------------------ scaling at rounding level
def test_identical_rows_scale_alike_in_float32_and_float64():
    from sklearn_ae._scaling import standardisation

    rng = np.random.default_rng(0)
    Xc = np.repeat(rng.normal(size=(1, 10)), 40, axis=0)
    assert Xc.std(axis=0).max() > 0, "the test needs rounding-level spread"
    for X in (Xc, Xc.astype(np.float32)):
        _, scale = standardisation(X)
        np.testing.assert_array_equal(scale.numpy(), 1.0)
    params = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0}
    codes64 = AutoEncoder(**params, device="cpu").fit(Xc).transform(Xc)
    codes32 = AutoEncoder(**params, device="cpu").fit(Xc.astype(np.float32))
    codes32 = codes32.transform(Xc.astype(np.float32))
    np.testing.assert_allclose(codes64, codes32, atol=1e-4)
    assert np.abs(codes64).max() < 10, codes64[0]
    vae = VariationalAutoEncoder(**params, device="cpu").fit(Xc)
    assert np.isfinite(vae.score_samples(Xc)).all()


# ------------------------------------------ no training data in a fitted model
def test_pickle_size_does_not_grow_with_the_training_data():
    rng = np.random.default_rng(0)
    sizes = []
    for n in (200, 2000):
        est = AutoEncoder(
            hidden_layer_sizes=(8,),
            max_iter=2,
            early_stopping=True,
            random_state=0,
            device="cpu",
        ).fit(rng.normal(size=(n, 784)))
        assert est.net_.train_split is None
        sizes.append(len(pickle.dumps(est)))
    # The 180 more validation rows would add 564,480 bytes; the history's
    # per-batch records add a few kB.
    assert sizes[1] - sizes[0] < 20_000, sizes


# ------------------------------------------ feature names from the fitted model
def test_feature_names_out_follow_the_fitted_model(small_data):
    est = AutoEncoder(hidden_layer_sizes=(8,), max_iter=2, device="cpu")
    with pytest.raises(NotFittedError):
        est.get_feature_names_out()
    est.fit(small_data).set_params(n_components=3)
    assert len(est.get_feature_names_out()) == 2
    codes = est.set_output(transform="pandas").transform(small_data)
    assert list(codes.columns) == ["autoencoder0", "autoencoder1"]
    assert est.inverse_transform(codes).shape == small_data.shape


# ------------------------------------------------------- absurd sizes refused
@pytest.mark.parametrize(
    "estimator, params, name",
    [
        (AutoEncoder, {"hidden_layer_sizes": (10**12,)}, "hidden_layer_sizes"),
        (AutoEncoder, {"hidden_layer_sizes": (True,)}, "hidden_layer_sizes"),
        (AutoEncoder, {"hidden_layer_sizes": (2**64,)}, "hidden_layer_sizes"),
        (AutoEncoder, {"hidden_layer_sizes": np.array(5)}, "hidden_layer_sizes"),
        (AutoEncoder, {"n_components": True}, "n_components"),
        (AutoEncoder, {"n_components": np.array(2)}, "n_components"),
        (AutoEncoder, {"max_iter": True}, "max_iter"),
        (AutoEncoder, {"batch_size": False}, "batch_size"),
        ("SparseAutoEncoder", {"n_components": 10**12}, "n_components"),
        (
            AdversarialAutoEncoder,
            {"discriminator_layer_sizes": (10**12,)},
            "discriminator_layer_sizes",
        ),
        (
            AdversarialAutoEncoder,
            {"discriminator_layer_sizes": (True, 4)},
            "discriminator_layer_sizes",
        ),
        (
            AdversarialAutoEncoder,
            {"prior": "gaussian_mixture", "n_prior_components": 10**12},
            "n_prior_components",
        ),
    ],
)
def test_absurd_sizes_are_refused_naming_the_parameter(
    estimator, params, name, small_data
):
    import sklearn_ae

    if isinstance(estimator, str):
        estimator = getattr(sklearn_ae, estimator)
    est = estimator(max_iter=1, device="cpu").set_params(**params)
    y = np.arange(len(small_data)) % 3
    with pytest.raises((ValueError, TypeError), match=name):
        est.fit(small_data, y)
    _assert_unfitted(est, small_data)


@pytest.mark.parametrize(
    "change",
    [{"n_components": 1}, {"hidden_layer_sizes": (4,)}, {"activation": "tanh"}],
)
def test_warm_start_refuses_another_network(change, small_data):
    est = AdversarialAutoEncoder(
        hidden_layer_sizes=(8,),
        discriminator_layer_sizes=(8,),
        max_iter=1,
        random_state=0,
        device="cpu",
        warm_start=True,
    ).fit(small_data)
    codes = est.transform(small_data)
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"built with {name}="):
        est.set_params(**change).fit(small_data)
    np.testing.assert_array_equal(est.transform(small_data), codes)


@estimators
def test_a_network_over_the_weight_budget_is_refused_before_allocating(
    estimator, small_data
):
    # Each layer of 46,340 x 46,340 passes the per-layer cap (2**31); the
    # network's layers together hold over 4 billion weights.
    est = clone(estimator)
    if "hidden_layer_sizes" not in est.get_params():
        pytest.skip("no hidden_layer_sizes")
    est.set_params(hidden_layer_sizes=(46340, 46340))
    with pytest.raises(ValueError, match=r"network would hold [\d,]+ values"):
        est.fit(small_data)
    _assert_unfitted(est, small_data)


@estimators
@pytest.mark.parametrize("name", ["learning_rate_init", "weight_decay"])
def test_a_rate_beyond_float32s_range_is_refused_by_name(estimator, name, small_data):
    est = clone(estimator).set_params(**{name: 1e39})
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        est.fit(small_data)
    _assert_unfitted(est, small_data)


def _methods(est, X):
    """The inference calls of a fitted estimator on rows X."""
    calls = {"transform": lambda: est.transform(X), "score": lambda: est.score(X)}
    calls["score_samples"] = lambda: est.score_samples(X)
    calls["inverse_transform"] = lambda: est.inverse_transform(
        np.full((len(X), est._n_features_out), np.finfo(X.dtype).max, X.dtype)
    )
    for name in ("predict", "predict_proba", "log_likelihood"):
        if hasattr(est, name):
            calls[name] = lambda name=name: getattr(est, name)(X)
    return calls


@estimators
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_inputs_at_the_dtypes_largest_value_never_give_nan_silently(
    estimator, dtype, small_data
):
    est = clone(estimator).fit(small_data)
    extreme = np.full((2, small_data.shape[1]), np.finfo(dtype).max, dtype=dtype)
    extreme[1] *= -1
    for name, call in _methods(est, extreme).items():
        try:
            result = np.asarray(call())
        except ValueError as exc:
            assert re.search("overflowed|range|Bernoulli", str(exc)), (name, exc)
            continue
        if result.dtype.kind == "f":
            assert np.isfinite(result).all(), f"{name} gave {result}"


def test_a_float64_fit_beyond_float32s_range_is_an_input_error(small_data):
    X = small_data.astype(np.float64)
    X[0, 0] = 1e39
    est = AutoEncoder(hidden_layer_sizes=(8,), max_iter=2, device="cpu")
    with pytest.raises(ValueError, match="beyond the range of float32"):
        est.fit(X)
    _assert_unfitted(est, X)


def test_a_warm_start_turning_on_early_stopping_keeps_one_entry_per_epoch(
    small_data,
):
    est = AutoEncoder(hidden_layer_sizes=(8,), max_iter=3, device="cpu")
    est.fit(small_data)
    est.set_params(warm_start=True, early_stopping=True, n_iter_no_change=None)
    est.fit(small_data)
    assert est.n_iter_ == 6
    assert len(est.validation_loss_curve_) == len(est.loss_curve_) == 6
    assert np.isnan(est.validation_loss_curve_[:3]).all()
    assert np.isfinite(est.validation_loss_curve_[3:]).all()


# ----------------------------------------------- float64 inference is cached
def test_float64_transform_copies_the_network_once(small_data, monkeypatch):
    import sklearn_ae._inference as inference

    est = AutoEncoder(max_iter=2, random_state=0, device="cpu").fit(small_data)
    copies = []
    deepcopy = inference.copy.deepcopy

    def counting(obj, *args, **kwargs):
        if isinstance(obj, torch.nn.Module):
            copies.append(type(obj).__name__)
        return deepcopy(obj, *args, **kwargs)

    monkeypatch.setattr(inference.copy, "deepcopy", counting)
    first = est.transform(small_data)
    for _ in range(3):
        np.testing.assert_allclose(est.transform(small_data[:1]), first[:1])
    est.inverse_transform(first)
    assert len(copies) == 1, copies


def test_float64_transform_follows_further_training(small_data):
    est = AutoEncoder(max_iter=2, random_state=0, device="cpu").fit(small_data)
    before = est.transform(small_data)
    est.set_params(warm_start=True).fit(small_data)
    after = est.transform(small_data)
    assert not np.allclose(before, after)
    # A fresh copy of the trained weights gives the same codes.
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(est)).transform(small_data), after
    )
