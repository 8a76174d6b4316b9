"""Tests of the decoder likelihoods (sklearn_ae/_likelihoods.py)."""

import inspect
import math
import re

import numpy as np
import pytest
import torch

from sklearn_ae import AutoEncoder, VariationalAutoEncoder
from sklearn_ae._likelihoods import (
    LOG_VARIANCE_RATE,
    VARIANCE_FLOOR,
    make_likelihood,
)
from tests._support import small_estimators

NOISE_STD = 0.1


def _low_rank(n_samples, seed, *, n_features=20, rank=2, shift=0.0):
    """A linear rank-2 signal plus Gaussian noise of std 0.1 per feature."""
    rng = np.random.default_rng(seed)
    mixing = np.random.default_rng(0).standard_normal((rank, n_features))
    signal = rng.standard_normal((n_samples, rank)) @ mixing
    noise = NOISE_STD * rng.standard_normal((n_samples, n_features))
    return (signal + noise + shift).astype(np.float32)


def test_learned_nll_is_the_gaussian_formula():
    scale = torch.tensor([1.0, 2.0, 0.5])
    likelihood = make_likelihood("gaussian", scale)
    with torch.no_grad():
        likelihood.log_variance.copy_(torch.tensor([0.0, -0.1, 0.2]))
    variance = scale**2 * (VARIANCE_FLOOR + (10 * torch.tensor([0.0, -0.1, 0.2])).exp())
    decoded = torch.tensor([[0.1, -0.3, 2.0]])
    target = torch.tensor([[0.4, 0.2, 1.0]])
    expected = 0.5 * float(
        ((target - decoded) ** 2 / variance + variance.log()).sum()
        + 3 * math.log(2 * math.pi)
    )
    nll = likelihood.nll(decoded, target, constants=True)
    assert nll.item() == pytest.approx(expected, rel=1e-6)
    # Training drops only the constant: the log-variance term stays.
    without = likelihood.nll(decoded, target).item()
    assert without == pytest.approx(expected - 1.5 * math.log(2 * math.pi), rel=1e-6)


def test_constant_features_cannot_collapse_the_variance():
    X = _low_rank(300, 0)
    X[:, 0] = 0.5  # a constant feature: its residual can reach 0
    ae = AutoEncoder(
        2, loss="gaussian", hidden_layer_sizes=(32,), max_iter=60, random_state=0
    )
    ae.fit(X)
    reference = ae.net_.module_.scale.numpy().astype(float) ** 2
    assert np.all(ae.noise_variance_ >= VARIANCE_FLOOR * reference * (1 - 1e-6))
    assert np.all(np.isfinite(ae.score_samples(X)))


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow)])
@pytest.mark.parametrize("loss", ["gaussian", "gaussian_shared"])
def test_learned_variance_is_the_residual_variance(loss, seed):
    """Noise of std 0.1 on a rank-2 signal: the variance learns what is left.

    A 2-component reconstruction removes the signal and the noise's share in
    the signal's plane, so the per-feature residual variance is about
    0.01 * (20 - 2) / 20; the learned variance must equal the model's own
    mean squared training residual (its maximum-likelihood value).
    """
    X = _low_rank(2000, 0)
    ae = AutoEncoder(
        2,
        loss=loss,
        hidden_layer_sizes=(64,),
        weight_decay=0.0,
        max_iter=100,
        random_state=seed,
    ).fit(X)
    residual = ((ae.inverse_transform(ae.transform(X)) - X) ** 2).mean(axis=0)
    if loss == "gaussian_shared":
        residual = np.full_like(residual, residual.mean())
        assert np.ptp(ae.noise_variance_) == 0
    assert ae.noise_variance_.shape == (20,)
    # A per-feature variance learned from 64-row batches jitters: measured,
    # 14 of 20 features within 5% of their residual variance, the worst
    # 44% above it (seed 0); a shared one averages the jitter out.
    error = np.abs(ae.noise_variance_ / residual - 1)
    if loss == "gaussian":
        assert np.median(error) < 0.1 and error.max() < 0.6, np.round(error, 2)
    else:
        assert error.max() < 0.15, np.round(error, 2)
    expected = NOISE_STD**2 * 18 / 20
    mean = ae.noise_variance_.mean()
    assert abs(mean - expected) < 0.15 * expected, (
        f"mean learned variance {mean:.4g}, noise level {expected:.4g}"
    )


def test_score_is_the_log_density_with_the_learned_variance():
    X = _low_rank(500, 0)
    ae = AutoEncoder(2, loss="gaussian", hidden_layer_sizes=(32,), max_iter=20)
    ae.set_params(random_state=0).fit(X)
    X_test = _low_rank(50, 1).astype(np.float64)
    residual = ae.inverse_transform(ae.transform(X_test)) - X_test
    variance = ae.noise_variance_
    expected = -0.5 * (
        residual**2 / variance + np.log(variance) + math.log(2 * math.pi)
    ).sum(axis=1)
    np.testing.assert_allclose(ae.score_samples(X_test), expected, rtol=1e-5)


def test_unit_variance_and_bernoulli_report_their_variance(digits):
    X = digits[0][:200]
    mse = AutoEncoder(2, loss="mse", hidden_layer_sizes=(8,), max_iter=2).fit(X)
    np.testing.assert_array_equal(mse.noise_variance_, np.ones(X.shape[1]))
    bce = AutoEncoder(2, loss="bce", hidden_layer_sizes=(8,), max_iter=2).fit(X)
    assert bce.noise_variance_ is None


def test_the_variance_is_not_decayed():
    X = _low_rank(300, 0)
    ae = AutoEncoder(2, loss="gaussian", hidden_layer_sizes=(8,), max_iter=1)
    ae.set_params(random_state=0).fit(X)
    groups = ae.net_.optimizer_.param_groups
    variance = ae.net_.module_.likelihood.log_variance
    (group,) = [g for g in groups if any(p is variance for p in g["params"])]
    assert group["weight_decay"] == 0.0
    assert any(g["weight_decay"] == 0.3 for g in groups)


@pytest.mark.parametrize(
    "estimator", small_estimators(), ids=lambda e: type(e).__name__
)
def test_score_prefers_the_training_distribution_to_a_shifted_one(estimator):
    if "loss" in estimator.get_params():
        estimator.set_params(loss="gaussian")
    estimator.set_params(max_iter=30)
    X = _low_rank(300, 0)
    estimator.fit(X)
    held_out = estimator.score(_low_rank(100, 1))
    shifted = estimator.score(_low_rank(100, 1, shift=1.0))
    assert held_out > shifted + 1, (
        f"{type(estimator).__name__}: held-out score {held_out:.3g}, "
        f"shifted {shifted:.3g}"
    )
    if "loss" in estimator.get_params():
        assert estimator.net_.module_.likelihood.name == "gaussian"


def test_vae_bounds_use_the_learned_variance(digits):
    X = digits[0][:300]
    # Long enough for the variance to rise from its start (1% of the data's)
    # to near its optimum: 750 steps.
    vae = VariationalAutoEncoder(
        2, hidden_layer_sizes=(32,), max_iter=150, random_state=0
    ).fit(X)
    likelihood = vae.net_.module_.likelihood
    assert likelihood.name == "gaussian_shared"
    elbo, bound = vae.score(X), vae.log_likelihood(X, n_importance=8).mean()
    assert bound > elbo
    # The same network with the variance set to 1: both bounds must change,
    # and drop, since the learned variance is the likelier one.
    with torch.no_grad():
        unit = (1 / likelihood.reference_variance[0] - VARIANCE_FLOOR).log()
        likelihood.log_variance.fill_(float(unit) / LOG_VARIANCE_RATE)
    np.testing.assert_allclose(likelihood.variance().detach().numpy(), 1, rtol=1e-5)
    assert vae.score(X) < elbo - 10, (vae.score(X), elbo)
    assert vae.log_likelihood(X, n_importance=8).mean() < bound - 10


def test_the_registry_describes_each_likelihood():
    from sklearn_ae._likelihoods import LIKELIHOODS, Likelihood

    assert list(LIKELIHOODS) == ["mse", "gaussian", "gaussian_shared", "bce"]
    for name, cls in LIKELIHOODS.items():
        assert issubclass(cls, Likelihood) and cls.name == name
        assert cls.description and "\n" not in cls.description
        assert make_likelihood(name, torch.ones(3)).name == name


def test_every_loss_docstring_lists_the_registry():
    """The ``loss`` entries are generated: none lists other names."""
    from numpydoc.docscrape import ClassDoc

    from sklearn_ae._likelihoods import LIKELIHOODS

    documented = 0
    for estimator in small_estimators():
        cls = type(estimator)
        if "loss" not in inspect.signature(cls).parameters:
            continue
        entry = next(p for p in ClassDoc(cls)["Parameters"] if p.name == "loss")
        options = re.fullmatch(r"\{(.*)\}, default=.*", entry.type)[1]
        assert {o.strip().strip('"') for o in options.split(",")} == set(LIKELIHOODS)
        documented += 1
    assert documented >= 9


def test_a_new_likelihood_is_one_class():
    """Defining a Likelihood subclass makes it a valid, documented ``loss``."""
    from sklearn_ae import _likelihoods
    from sklearn_ae._docstrings import loss_parameter

    registry = _likelihoods.LIKELIHOODS
    try:

        class Laplace(_likelihoods.Likelihood):
            name = "laplace"
            description = "a Laplace of unit scale: the absolute error"

            def nll(self, decoded, target, *, constants=False):
                return (decoded - target).abs().sum(dim=1)

        assert registry["laplace"] is Laplace
        X = _low_rank(100, 0)
        model = AutoEncoder(2, loss="laplace", hidden_layer_sizes=(8,), max_iter=2)
        scores = model.set_params(random_state=0).fit(X).score_samples(X)
        decoded = model.inverse_transform(model.transform(X))
        expected = -np.abs(decoded - X).sum(axis=1)
        np.testing.assert_allclose(scores, expected, rtol=1e-4)
        assert '``"laplace"``: a Laplace of unit scale' in loss_parameter("mse")
    finally:
        registry.pop("laplace", None)
    with pytest.raises(ValueError, match="'loss' parameter"):
        AutoEncoder(loss="laplace").fit(X)
