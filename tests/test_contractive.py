"""Tests of ContractiveAutoEncoder and its Jacobian penalty."""

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_ae import AutoEncoder, ContractiveAutoEncoder
from sklearn_ae._contractive import Contraction, ContractiveModule
from sklearn_ae._jacobian import exact_sq_norm, random_projection_sq_norm
from sklearn_ae._modules import AutoEncoderModule
from sklearn_ae._objective import Objective, Reconstruction
from sklearn_ae._rows import Batch

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


def random_module(
    hidden, activation, code_activation, n_features=6, module_class=AutoEncoderModule
):
    torch.manual_seed(0)
    offset, scale = torch.randn(n_features), torch.rand(n_features) + 0.5
    module = module_class(
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
# 20 features: the chain rule goes through the first layer's Gram matrix;
# 6: through the Jacobian's rows themselves.
@pytest.mark.parametrize("n_features", [6, 20])
def test_exact_penalty_equals_brute_force_jacobian(
    hidden, activation, code_activation, n_features
):
    module = random_module(hidden, activation, code_activation, n_features)
    x = torch.randn(5, n_features, dtype=torch.float64)
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


@pytest.mark.parametrize(
    "hidden, activation, code_activation",
    [((7,), "tanh", "logistic"), ((7, 5), "relu", None), ((), "relu", "tanh")],
)
def test_random_projection_estimate_is_unbiased(hidden, activation, code_activation):
    module = random_module(hidden, activation, code_activation)
    x = torch.randn(4, 6, dtype=torch.float64)
    exact = exact_sq_norm(module, x).detach()
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        draws = torch.stack(
            [random_projection_sq_norm(module, x, 1, generator) for _ in range(4000)]
        )
    # Within 4 standard errors of the exact value, for every sample.
    standard_error = draws.std(dim=0) / np.sqrt(len(draws))
    error = (draws.mean(dim=0) - exact).abs()
    assert (error < 4 * standard_error).all(), (error, standard_error)
    assert (error / exact < 0.05).all(), f"relative error {error / exact}"


@pytest.mark.parametrize("hidden", [(), (7,), (7, 5)])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_random_projection_chain_rule_equals_autograd(hidden, activation):
    # The same draws through autograd's vector-Jacobian products (the path
    # for encoders without a chain-rule formula) give the same estimate.
    module = random_module(hidden, activation, "logistic")
    x = torch.randn(5, 6, dtype=torch.float64)
    estimate = random_projection_sq_norm(module, x, 3, torch.Generator().manual_seed(1))
    module.encoder.append(nn.Identity())  # no chain-rule formula for it
    reference = random_projection_sq_norm(
        module, x, 3, torch.Generator().manual_seed(1)
    )
    np.testing.assert_allclose(
        estimate.detach().numpy(), reference.detach().numpy(), rtol=1e-10
    )


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu"])
def test_forward_pass_records_the_chain_rule_factors(activation):
    # The penalty from the derivatives the training forward pass recorded
    # equals the penalty that runs the encoder again, value and gradient,
    # and the module's output is the plain module's.
    module = random_module((7, 5), activation, "logistic", 20, ContractiveModule)
    plain = random_module((7, 5), activation, "logistic", 20)
    x = torch.randn(5, 20, dtype=torch.float64)
    output = module(x)
    expected = plain(x)
    np.testing.assert_array_equal(output.code.detach(), expected.code.detach())
    np.testing.assert_array_equal(output.decoded.detach(), expected.decoded.detach())
    recorded = output.encoder_derivatives
    assert len(recorded) == 3
    for norm in [
        lambda derivatives: exact_sq_norm(module, x, derivatives),
        lambda derivatives: random_projection_sq_norm(
            module, x, 2, torch.Generator().manual_seed(0), derivatives
        ),
    ]:
        weight = module.encoder[0].weight
        (gradient,) = torch.autograd.grad(
            norm(recorded).sum(), weight, retain_graph=True
        )
        (reference,) = torch.autograd.grad(norm(None).sum(), weight)
        np.testing.assert_allclose(
            norm(recorded).detach(), norm(None).detach(), rtol=1e-12
        )
        np.testing.assert_allclose(gradient, reference, rtol=1e-10)


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
        "exact": ContractiveAutoEncoder(jacobian="exact", **FAST).fit(X_train),
        "random_projection": ContractiveAutoEncoder(
            jacobian="random_projection", **FAST
        ).fit(X_train),
        "cae_unpenalised": ContractiveAutoEncoder(contraction=0.0, **FAST).fit(X_train),
        "ae": AutoEncoder(**FAST).fit(X_train),
    }


@pytest.mark.parametrize("jacobian", ["exact", "random_projection"])
def test_held_out_jacobian_is_smaller_than_without_penalty(
    digits, contractive_models, jacobian
):
    X_test = digits[1]
    cae = mean_jacobian_norm(contractive_models[jacobian], X_test)
    unpenalised = mean_jacobian_norm(contractive_models["cae_unpenalised"], X_test)
    ae = mean_jacobian_norm(contractive_models["ae"], X_test)
    # Measured (digits): 0.212 (exact), 0.210 (random projection) against
    # both, which are the same network.
    assert cae < 0.5 * unpenalised, (
        f"held-out mean ||J||_F: contractive {cae:.3f}, same network without "
        f"the penalty {unpenalised:.3f} (ratio {cae / unpenalised:.3f})"
    )
    assert cae < 0.5 * ae, (
        f"held-out mean ||J||_F: contractive {cae:.3f}, AutoEncoder {ae:.3f} "
        f"(ratio {cae / ae:.3f})"
    )


@pytest.mark.parametrize("jacobian", ["exact", "random_projection"])
def test_contraction_is_not_just_a_smaller_code(digits, contractive_models, jacobian):
    # Shrinking every code by a constant also shrinks J; the Jacobian relative
    # to the codes' spread over the data shows real, local contraction.
    X_test = digits[1]

    def relative(estimator):
        spread = np.sqrt(estimator.transform(X_test).var(axis=0).sum())
        return mean_jacobian_norm(estimator, X_test) / spread

    cae = relative(contractive_models[jacobian])
    unpenalised = relative(contractive_models["cae_unpenalised"])
    # Measured (digits): 0.774 (exact), 0.781 (random projection).
    assert cae < 0.9 * unpenalised, (
        f"||J||_F / code spread: contractive {cae:.3f}, without the penalty "
        f"{unpenalised:.3f} (ratio {cae / unpenalised:.3f})"
    )


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, "random_projection"),
        ({"n_components": 30, "hidden_layer_sizes": (1024, 512)}, "random_projection"),
        ({"hidden_layer_sizes": ()}, "exact"),
        ({"n_components": 1}, "exact"),
        ({"n_components": 3, "n_projections": 3}, "exact"),
        (
            {"hidden_layer_sizes": (), "jacobian": "random_projection"},
            "random_projection",
        ),
        ({"jacobian": "exact"}, "exact"),
    ],
)
def test_auto_jacobian_takes_the_cheaper_method(params, expected):
    assert ContractiveAutoEncoder(**params)._jacobian_method() == expected


def test_default_is_the_random_projection_for_deep_encoders(digits, contractive_models):
    X_train, X_test = digits[0], digits[1]
    default = ContractiveAutoEncoder(**FAST).fit(X_train)
    np.testing.assert_array_equal(
        default.transform(X_test),
        contractive_models["random_projection"].transform(X_test),
    )


def test_random_projection_fit_is_reproducible(digits):
    X_train, X_test = digits[0][:300], digits[1]
    params = {**FAST, "max_iter": 3, "jacobian": "random_projection"}
    # The projections come from the fit's generator, not torch's global one.
    torch.manual_seed(1)
    first = ContractiveAutoEncoder(**params).fit(X_train).transform(X_test)
    torch.manual_seed(2)
    again = ContractiveAutoEncoder(**params).fit(X_train).transform(X_test)
    other = ContractiveAutoEncoder(**{**params, "random_state": 1}).fit(X_train)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other.transform(X_test))


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
