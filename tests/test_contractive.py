"""Tests of ContractiveAutoEncoder and its Jacobian penalty."""

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_ae import AutoEncoder, ContractiveAutoEncoder
from sklearn_ae._contractive import (
    Contraction,
    exact_sq_norm,
    random_projection_sq_norm,
)
from sklearn_ae._modules import AutoEncoderModule
from sklearn_ae._objective import Objective, Reconstruction
from sklearn_ae._training import Batch

FAST = {
    "n_components": 8,
    "hidden_layer_sizes": (64,),
    "max_iter": 30,
    "n_iter_no_change": None,
    "random_state": 0,
    "device": "cpu",
}


def brute_force_sq_norm(module, x):
    """||d encode / dx||_F^2 per sample, one autograd Jacobian at a time."""
    return torch.stack(
        [
            torch.autograd.functional.jacobian(module.encode, row).pow(2).sum()
            for row in x
        ]
    )


def random_module(hidden, activation, code_activation, n_features=6):
    torch.manual_seed(0)
    offset, scale = torch.randn(n_features), torch.rand(n_features) + 0.5
    module = AutoEncoderModule(
        n_features,
        3,
        hidden,
        activation,
        "mse",
        offset,
        scale,
        code_activation=code_activation,
    )
    return module.double()


@pytest.mark.parametrize("hidden", [(), (7,), (7, 5)])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "elu", "gelu"])
@pytest.mark.parametrize("code_activation", [None, "logistic", "tanh"])
def test_exact_penalty_equals_brute_force_jacobian(hidden, activation, code_activation):
    module = random_module(hidden, activation, code_activation)
    x = torch.randn(5, 6, dtype=torch.float64)
    with torch.no_grad():
        expected = brute_force_sq_norm(module, x)
        np.testing.assert_allclose(exact_sq_norm(module, x), expected, rtol=1e-10)


def test_exact_penalty_falls_back_to_torch_func_for_other_encoders():
    module = random_module((7,), "relu", None)
    module.encoder[1] = nn.Softplus()  # no chain-rule formula for it
    x = torch.randn(5, 6, dtype=torch.float64)
    with torch.no_grad():
        expected = brute_force_sq_norm(module, x)
        np.testing.assert_allclose(exact_sq_norm(module, x), expected, rtol=1e-10)


def test_objective_adds_contraction_times_mean_squared_norm():
    module = random_module((7,), "tanh", "logistic")
    x = torch.randn(5, 6, dtype=torch.float64)
    batch = Batch(x, x, {})
    output = module(x)
    terms = [(Reconstruction(), 1.0), (Contraction("exact", 1), 0.3)]
    objective = Objective(terms)
    loss, values = objective.phase_loss(objective.phases[0], output, batch, module)
    expected = 0.3 * brute_force_sq_norm(module, x).mean()
    np.testing.assert_allclose(
        (loss - values["reconstruction"]).item(), expected.item()
    )


def test_penalty_gradient_matches_brute_force():
    module = random_module((7,), "tanh", "logistic")
    x = torch.randn(5, 6, dtype=torch.float64)
    weight = module.encoder[0].weight
    (analytic,) = torch.autograd.grad(exact_sq_norm(module, x).sum(), weight)
    reference = torch.func.vmap(torch.func.jacrev(module.encode))(x).pow(2).sum()
    (expected,) = torch.autograd.grad(reference, weight)
    np.testing.assert_allclose(analytic.numpy(), expected.numpy(), rtol=1e-8)


def test_random_projection_estimate_is_unbiased():
    module = random_module((7,), "tanh", "logistic")
    x = torch.randn(4, 6, dtype=torch.float64)
    exact = exact_sq_norm(module, x).detach()
    torch.manual_seed(0)
    draws = torch.stack(
        [random_projection_sq_norm(module, x, 1).detach() for _ in range(4000)]
    )
    # Within 4 standard errors of the exact value, for every sample.
    standard_error = draws.std(dim=0) / np.sqrt(len(draws))
    error = (draws.mean(dim=0) - exact).abs()
    assert (error < 4 * standard_error).all(), (error, standard_error)
    assert (error / exact < 0.05).all(), f"relative error {error / exact}"


def test_random_projection_penalty_is_differentiable():
    module = random_module((7,), "relu", None)
    x = torch.randn(4, 6, dtype=torch.float64)
    with torch.no_grad():  # as in a validation step: the penalty enables grad
        value = random_projection_sq_norm(module, x, 3)
    assert value.shape == (4,)
    estimate = random_projection_sq_norm(module, x, 3).sum()
    estimate.backward()
    assert module.encoder[0].weight.grad.abs().sum() > 0


def mean_jacobian_norm(estimator, X):
    """Mean over samples of ||J_h(x)||_F on X."""
    module = estimator.net_.module_
    with torch.no_grad():
        norms = exact_sq_norm(module, torch.as_tensor(X, dtype=torch.float32))
    return float(norms.sqrt().mean())


@pytest.fixture(scope="module")
def contractive_models(digits):
    X_train = digits[0]
    return {
        "cae": ContractiveAutoEncoder(**FAST).fit(X_train),
        "cae_unpenalised": ContractiveAutoEncoder(contraction=0.0, **FAST).fit(X_train),
        "ae": AutoEncoder(**FAST).fit(X_train),
    }


def test_held_out_jacobian_is_smaller_than_without_penalty(digits, contractive_models):
    X_test = digits[1]
    cae = mean_jacobian_norm(contractive_models["cae"], X_test)
    unpenalised = mean_jacobian_norm(contractive_models["cae_unpenalised"], X_test)
    ae = mean_jacobian_norm(contractive_models["ae"], X_test)
    # Measured (digits): 0.263 against both, which are the same network.
    assert cae < 0.5 * unpenalised, (
        f"held-out mean ||J||_F: contractive {cae:.3f}, same network without "
        f"the penalty {unpenalised:.3f} (ratio {cae / unpenalised:.3f})"
    )
    assert cae < 0.5 * ae, (
        f"held-out mean ||J||_F: contractive {cae:.3f}, AutoEncoder {ae:.3f} "
        f"(ratio {cae / ae:.3f})"
    )


def test_contraction_is_not_just_a_smaller_code(digits, contractive_models):
    # Shrinking every code by a constant also shrinks J; the Jacobian relative
    # to the codes' spread over the data shows real, local contraction.
    X_test = digits[1]

    def relative(estimator):
        spread = np.sqrt(estimator.transform(X_test).var(axis=0).sum())
        return mean_jacobian_norm(estimator, X_test) / spread

    cae = relative(contractive_models["cae"])
    unpenalised = relative(contractive_models["cae_unpenalised"])
    # Measured (digits): 0.753.
    assert cae < 0.9 * unpenalised, (
        f"||J||_F / code spread: contractive {cae:.3f}, without the penalty "
        f"{unpenalised:.3f} (ratio {cae / unpenalised:.3f})"
    )


def test_random_projection_training_also_contracts(digits, contractive_models):
    X_train, X_test, _, _ = digits
    cae = ContractiveAutoEncoder(jacobian="random_projection", **FAST).fit(X_train)
    norm = mean_jacobian_norm(cae, X_test)
    unpenalised = mean_jacobian_norm(contractive_models["cae_unpenalised"], X_test)
    assert norm < 0.5 * unpenalised, f"ratio {norm / unpenalised:.3f}"


def test_overcomplete_code_is_allowed():
    X = np.random.RandomState(0).uniform(size=(30, 4))
    cae = ContractiveAutoEncoder(n_components=10, max_iter=2, device="cpu").fit(X)
    assert cae.transform(X).shape == (30, 10)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"contraction": -1.0}, "contraction"),
        ({"jacobian": "approximate"}, "jacobian"),
        ({"n_projections": 0}, "n_projections"),
        ({"code_activation": "relu"}, "code_activation"),
    ],
)
def test_bad_parameters_raise(params, match):
    X = np.random.RandomState(0).uniform(size=(20, 4))
    with pytest.raises(ValueError, match=match):
        ContractiveAutoEncoder(**params, max_iter=1).fit(X)
