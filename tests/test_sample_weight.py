"""Tests of sample weights (sklearn_ae/_sample_weight.py) on every estimator."""

import numpy as np
import pytest
import sklearn
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import AutoEncoder, VariationalAutoEncoder
from sklearn_ae._random import torch_seed
from sklearn_ae._rows import Batch, split_rows
from sklearn_ae._sample_weight import SAMPLE_WEIGHT, training_weights
from tests._support import small_estimators

ESTIMATORS = small_estimators()
estimators = pytest.mark.parametrize(
    "estimator", ESTIMATORS, ids=lambda est: type(est).__name__
)
streaming = pytest.mark.parametrize(
    "estimator",
    [est for est in ESTIMATORS if hasattr(est, "partial_fit")],
    ids=lambda est: type(est).__name__,
)


def _weights(n):
    return np.random.default_rng(0).uniform(0.0, 2.0, n)


@estimators
@pytest.mark.parametrize("constant", [1.0, 3.0])
def test_equal_weights_give_the_unweighted_fit_bit_for_bit(
    estimator, constant, small_data
):
    plain = clone(estimator).fit(small_data)
    weighted = clone(estimator).fit(
        small_data, sample_weight=np.full(len(small_data), constant)
    )
    np.testing.assert_array_equal(
        weighted.transform(small_data), plain.transform(small_data)
    )
    np.testing.assert_array_equal(weighted.loss_curve_, plain.loss_curve_)


@streaming
def test_equal_weights_give_the_unweighted_partial_fit_bit_for_bit(
    estimator, small_data
):
    plain = clone(estimator).partial_fit(small_data).partial_fit(small_data)
    ones = np.ones(len(small_data))
    weighted = clone(estimator).partial_fit(small_data, sample_weight=ones)
    weighted.partial_fit(small_data, sample_weight=ones)
    np.testing.assert_array_equal(
        weighted.transform(small_data), plain.transform(small_data)
    )


@streaming
def test_partial_fit_weighs_one_chunk_against_another(estimator, small_data):
    # fit uses only the weights' ratios; partial_fit uses them as given.
    plain = clone(estimator).partial_fit(small_data)
    tripled = clone(estimator).partial_fit(
        small_data, sample_weight=np.full(len(small_data), 3.0)
    )
    assert not np.array_equal(tripled.loss_curve_, plain.loss_curve_)


@estimators
def test_weights_change_the_fit_and_partial_fit(estimator, small_data):
    weights = _weights(len(small_data))
    plain = clone(estimator).fit(small_data)
    weighted = clone(estimator).fit(small_data, sample_weight=weights)
    assert not np.allclose(weighted.loss_curve_, plain.loss_curve_)
    if hasattr(estimator, "partial_fit"):
        streamed = clone(estimator).partial_fit(small_data, sample_weight=weights)
        assert np.isfinite(streamed.transform(small_data)).all()


@estimators
@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (lambda n: np.ones(n - 1), r"sample_weight.shape == \(\d+,\), expected"),
        (lambda n: -np.ones(n), "Negative values"),
        (lambda n: np.r_[np.nan, np.ones(n - 1)], "sample_weight contains NaN"),
        (lambda n: np.zeros(n), "at least one non-zero"),
        (lambda n: np.ones((n, 2)), "1D array or scalar"),
    ],
    ids=["length", "negative", "nan", "zeros", "2d"],
)
def test_bad_weights_are_refused_and_leave_the_estimator_unfitted(
    estimator, weights, match, small_data
):
    est = clone(estimator)
    with pytest.raises(ValueError, match=match):
        est.fit(small_data, sample_weight=weights(len(small_data)))
    with pytest.raises(NotFittedError):
        est.transform(small_data)
    if hasattr(est, "partial_fit"):
        with pytest.raises(ValueError, match=match):
            est.partial_fit(small_data, sample_weight=weights(len(small_data)))
        assert not hasattr(est, "n_features_in_")
    # A fitted estimator keeps its model.
    est.fit(small_data)
    codes, n_iter = est.transform(small_data), est.n_iter_
    with pytest.raises(ValueError, match=match):
        est.set_params(warm_start=True).fit(
            small_data, sample_weight=weights(len(small_data))
        )
    np.testing.assert_array_equal(est.transform(small_data), codes)
    assert est.n_iter_ == n_iter


def test_weighted_loss_is_the_loss_of_repeated_rows(small_data):
    """Integer weights count a row's terms as that many copies of it."""
    vae = VariationalAutoEncoder(
        2, hidden_layer_sizes=(8,), max_iter=2, random_state=0
    ).fit(small_data)
    module, objective = vae.net_.module_.eval(), vae.net_.criterion_
    counts = np.random.default_rng(1).integers(0, 4, len(small_data))
    counts[0] = 1  # at least one row counts
    X = torch.as_tensor(small_data, dtype=torch.float32)
    repeated = X[torch.as_tensor(np.repeat(np.arange(len(X)), counts))]

    def loss(rows, side):
        # The VAE's sample of the codes is the posterior mean in eval mode.
        batch = Batch(rows, rows, side, torch.Generator().manual_seed(0))
        with torch.no_grad():
            output = module(rows, generator=batch.generator)
            values = objective.phase_loss(objective.phases[0], output, batch, module)
        return values[1]

    side = training_weights({SAMPLE_WEIGHT: counts.astype(float)}, relative=True)
    weighted = loss(X, {SAMPLE_WEIGHT: torch.as_tensor(side[SAMPLE_WEIGHT])})
    copies = loss(repeated, {})
    for term in ("reconstruction", "kl"):
        assert float(weighted[term]) == pytest.approx(float(copies[term]), rel=1e-5)


def _two_clusters(n=300):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 6))
    # The second cluster lives in other directions, far from the first.
    X[n // 2 :, 3:] = 4.0 + 2.0 * rng.normal(size=(n - n // 2, 3))
    X[n // 2 :, :3] *= 0.1
    return X, np.arange(n) >= n // 2


@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_cluster_without_weight_is_reconstructed_worse(early_stopping):
    X, second = _two_clusters()
    params = dict(
        hidden_layer_sizes=(16,),
        max_iter=60,
        random_state=0,
        early_stopping=early_stopping,
    )
    plain = AutoEncoder(2, **params).fit(X)
    ignored = AutoEncoder(2, **params).fit(X, sample_weight=(~second).astype(float))

    def error(model, rows):
        return float(
            np.mean((model.inverse_transform(model.transform(rows)) - rows) ** 2)
        )

    # Without weight, the second cluster's error is far above the plain fit's,
    # and the first cluster's, which had all the weight, is no worse.
    assert error(ignored, X[second]) > 2 * error(plain, X[second]), (
        error(ignored, X[second]),
        error(plain, X[second]),
    )
    assert error(ignored, X[~second]) < 1.1 * error(plain, X[~second])


def test_validation_loss_is_weighted():
    """The held-out rows' loss is their weighted mean loss."""
    X, _ = _two_clusters()
    weights = _weights(len(X))
    model = AutoEncoder(
        2,
        hidden_layer_sizes=(16,),
        max_iter=1,
        n_iter_no_change=None,
        random_state=0,
        early_stopping=True,
    ).fit(X, sample_weight=weights)
    # The held-out rows, as the fit split them.
    _, (X_valid, side) = split_rows(
        X, {SAMPLE_WEIGHT: weights}, torch_seed(0), model.validation_fraction
    )
    module = model.net_.module_.eval()
    rows = torch.as_tensor(X_valid, dtype=torch.float32)
    with torch.no_grad():
        losses = module.likelihood.nll(module(rows).decoded, rows).numpy()
    expected = np.average(losses, weights=side[SAMPLE_WEIGHT])
    assert model.validation_loss_curve_[0] == pytest.approx(expected, rel=1e-5)
    assert abs(expected - losses.mean()) > 1e-3 * expected  # weights matter


def test_score_weighs_the_rows(small_data):
    model = AutoEncoder(2, hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    model.fit(small_data)
    weights = _weights(len(small_data))
    expected = np.average(model.score_samples(small_data), weights=weights)
    assert model.score(small_data, sample_weight=weights) == pytest.approx(expected)
    assert model.score(small_data) == np.mean(model.score_samples(small_data))
    with pytest.raises(ValueError, match="Negative values"):
        model.score(small_data, sample_weight=-weights)


@estimators
def test_fit_and_partial_fit_request_sample_weight(estimator):
    with sklearn.config_context(enable_metadata_routing=True):
        routing = clone(estimator).set_fit_request(sample_weight=True)
        requests = routing.get_metadata_routing().fit.requests
        assert requests["sample_weight"] is True
        if hasattr(estimator, "partial_fit"):
            streamed = clone(estimator).set_partial_fit_request(sample_weight=True)
            partial = streamed.get_metadata_routing().partial_fit.requests
            assert partial["sample_weight"] is True


def test_pipeline_and_search_route_sample_weight(small_data):
    X, weights = small_data, _weights(len(small_data))
    model = AutoEncoder(2, hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    scaled = StandardScaler().fit_transform(X)
    direct = clone(model).fit(scaled, sample_weight=weights).transform(scaled)
    unweighted = clone(model).fit(scaled).transform(scaled)
    assert not np.allclose(direct, unweighted)
    with sklearn.config_context(enable_metadata_routing=True):
        pipeline = make_pipeline(
            StandardScaler().set_fit_request(sample_weight=False),
            clone(model)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=True),
        )
        routed = clone(pipeline).fit(X, sample_weight=weights).transform(X)
        np.testing.assert_array_equal(routed, direct)
        # Pipeline.score takes sample_weight itself: scikit-learn 1.6 and 1.7
        # asks the pipeline's own request too.
        pipeline.set_score_request(sample_weight=True)
        search = GridSearchCV(pipeline, {"autoencoder__n_components": [2]}, cv=2)
        search.fit(X, sample_weight=weights)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # The search refits the best pipeline on all rows, with their weights.
    np.testing.assert_array_equal(search.transform(X), direct)
