"""Tests shared by the generative models: priors, sampling, likelihoods."""

import numpy as np
import pytest

from sklearn_ae import (
    AdversarialAutoEncoder,
    ConditionalVariationalAutoEncoder,
    VariationalAutoEncoder,
)
from tests._support import public_estimator_classes

FAST = {
    "hidden_layer_sizes": (64,),
    "loss": "bce",
    "max_iter": 30,
    "n_iter_no_change": None,
    "random_state": 0,
    "device": "cpu",
}

WITH_LIKELIHOOD = [
    cls for cls in public_estimator_classes() if hasattr(cls, "log_likelihood")
]


def test_every_model_with_a_likelihood_is_tested_here():
    assert set(WITH_LIKELIHOOD) == {
        VariationalAutoEncoder,
        ConditionalVariationalAutoEncoder,
    }


@pytest.fixture(scope="module", params=WITH_LIKELIHOOD, ids=lambda c: c.__name__)
def likelihood_model(request, digits):
    X_train, _, y_train, _ = digits
    return request.param(**FAST).fit(X_train, y_train)


def test_log_likelihood_is_a_tighter_bound_than_the_score(digits, likelihood_model):
    """The importance-weighted estimate is finite and above the ELBO bound.

    For the conditional model this is the case that used to raise a
    TypeError: it inherited the VAE's unconditioned posterior.
    """
    X_test = digits[1][:200]
    log_likelihood = likelihood_model.log_likelihood(X_test, n_importance=200)
    assert log_likelihood.shape == (len(X_test),)
    assert np.all(np.isfinite(log_likelihood))
    bound = likelihood_model.score_samples(X_test)
    assert log_likelihood.mean() > bound.mean(), (log_likelihood.mean(), bound.mean())
    # Seeded by random_state and each row's values: subset invariant.
    np.testing.assert_allclose(
        likelihood_model.log_likelihood(X_test[:5], n_importance=200),
        log_likelihood[:5],
        rtol=1e-5,
    )


@pytest.mark.parametrize(
    "model",
    [
        VariationalAutoEncoder(n_components=3, **FAST),
        ConditionalVariationalAutoEncoder(n_components=3, **FAST),
        AdversarialAutoEncoder(n_components=3, **{**FAST, "max_iter": 3}),
    ],
    ids=lambda m: type(m).__name__,
)
def test_sample_decodes_draws_from_the_fitted_prior(digits, model):
    X_train = digits[0]
    model.fit(X_train)
    codes = model.sample_prior(50, random_state=0)
    assert codes.shape == (50, 3)
    np.testing.assert_array_equal(codes, model.sample_prior(50, random_state=0))
    assert not np.array_equal(codes, model.sample_prior(50, random_state=1))
    assert type(model.prior_).__module__ == "sklearn_ae.priors"
    if not isinstance(model, ConditionalVariationalAutoEncoder):
        np.testing.assert_allclose(
            model.sample(50, random_state=0), model.inverse_transform(codes)
        )


def test_labelled_prior_draws_need_a_labelled_prior(digits):
    model = VariationalAutoEncoder(**{**FAST, "max_iter": 1}).fit(digits[0])
    with pytest.raises(ValueError, match="no labelled prior components"):
        model.sample_prior(3, y=1)


GENERATIVE = [cls for cls in public_estimator_classes() if hasattr(cls, "sample_prior")]


@pytest.fixture(scope="module", params=GENERATIVE, ids=lambda c: c.__name__)
def generative_model(request, digits):
    X_train = digits[0][:100]
    return request.param(hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(
        X_train
    )


def test_sample_over_the_size_budget_is_refused_before_drawing(generative_model):
    with pytest.raises(ValueError, match=r"n_samples=1000000000 .*in chunks"):
        generative_model.sample(10**9)
    with pytest.raises(ValueError, match="would hold"):
        generative_model.sample_prior(10**9)
    assert generative_model.sample(3, random_state=0).shape == (3, 64)


@pytest.mark.parametrize("bad", [True, np.True_, 2.0, 0])
def test_sample_refuses_booleans_and_non_integers(generative_model, bad):
    with pytest.raises(ValueError, match=r"n_samples=.*positive integer"):
        generative_model.sample(bad)


def test_log_likelihood_over_the_size_budget_is_refused(digits, likelihood_model):
    X = digits[1][:10]
    with pytest.raises(ValueError, match=r"n_importance=1000000000.*would hold"):
        likelihood_model.log_likelihood(X, n_importance=10**9)


@pytest.mark.parametrize("bad", [True, np.True_, 2.5, 0])
def test_log_likelihood_refuses_booleans_as_counts(digits, likelihood_model, bad):
    with pytest.raises(ValueError, match=r"n_importance=.*positive integer"):
        likelihood_model.log_likelihood(digits[1][:5], n_importance=bad)
