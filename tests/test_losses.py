"""Tests of the loss terms in sklearn_ae._losses."""

import math

import numpy as np
import pytest
import torch

from sklearn_ae._losses import bernoulli_kl, gaussian_kl


def test_gaussian_kl_matches_monte_carlo():
    # KL(q || p) = E_q[log q(z) - log p(z)], estimated from 200k draws of q.
    generator = torch.Generator().manual_seed(0)
    mean = torch.tensor([[0.5, -1.0, 0.0], [2.0, 0.1, -0.3]], dtype=torch.float64)
    log_var = torch.tensor([[0.0, -1.0, 0.7], [-2.0, 0.3, 0.0]], dtype=torch.float64)
    std = torch.exp(0.5 * log_var)
    eps = torch.randn(200_000, *mean.shape, generator=generator, dtype=torch.float64)
    z = mean + std * eps
    log_q = torch.distributions.Normal(mean, std).log_prob(z).sum(-1)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    monte_carlo = (log_q - log_p).mean(0)
    closed_form = gaussian_kl(mean, log_var)
    np.testing.assert_allclose(closed_form, monte_carlo, rtol=0.01)


def test_gaussian_kl_is_zero_at_the_prior_and_positive_elsewhere():
    zeros = torch.zeros(4, 3)
    np.testing.assert_allclose(gaussian_kl(zeros, zeros), 0.0)
    assert (gaussian_kl(torch.randn(4, 3), torch.randn(4, 3)) > 0).all()


def test_bernoulli_kl_matches_hand_computation():
    rho, rate = 0.05, torch.tensor([0.05, 0.2, 0.5])
    expected = [
        rho * math.log(rho / r) + (1 - rho) * math.log((1 - rho) / (1 - r))
        for r in (0.05, 0.2, 0.5)
    ]
    np.testing.assert_allclose(bernoulli_kl(rho, rate), expected, rtol=1e-6)
    assert expected[0] == 0.0


@pytest.mark.parametrize("rate", [0.0, 1.0])
def test_bernoulli_kl_is_finite_for_saturated_units(rate):
    assert torch.isfinite(bernoulli_kl(0.05, torch.tensor([rate]))).all()
