"""Tests of SparseAutoEncoder."""

import math

import numpy as np
import pytest
import torch

from sklearn_ae import SparseAutoEncoder
from sklearn_ae._modules import ModuleOutput
from sklearn_ae._objective import Objective, Reconstruction
from sklearn_ae._rows import Batch
from sklearn_ae._sparse import Sparsity

FAST = {
    "n_components": 100,
    "hidden_layer_sizes": (64,),
    "max_iter": 60,
    "n_iter_no_change": None,
    "random_state": 0,
    "device": "cpu",
}


def penalty(term, weight, code):
    output = ModuleOutput(decoded=None, code=code)
    return weight * float(term(output, Batch(code, code, {}), None))


def test_kl_penalty_matches_hand_computation():
    code = torch.tensor([[0.1, 0.9, 0.5], [0.3, 0.7, 0.5]])
    rho, beta = 0.2, 3.0
    expected = 0.0
    for rate in (0.2, 0.8, 0.5):  # each unit's mean activation over the batch
        expected += rho * math.log(rho / rate)
        expected += (1 - rho) * math.log((1 - rho) / (1 - rate))
    got = penalty(Sparsity("kl", rho), beta, code)
    assert got == pytest.approx(beta * expected, rel=1e-6)


def test_l1_penalty_matches_hand_computation():
    code = torch.tensor([[0.1, 0.9, 0.5], [0.3, 0.7, 0.5]])
    got = penalty(Sparsity("l1", 0.05), 2.0, code)
    assert got == pytest.approx(2.0 * (1.5 + 1.5) / 2, rel=1e-6)


def test_zero_weight_is_no_term():
    objective = Objective([(Reconstruction(), 1.0), (Sparsity("kl", 0.05), 0.0)])
    assert objective.history_columns() == ["reconstruction_loss"]


@pytest.fixture(scope="module")
def sparse_models(digits):
    X_train = digits[0]
    return {
        "kl": SparseAutoEncoder(**FAST).fit(X_train),
        "l1": SparseAutoEncoder(sparsity="l1", sparsity_weight=0.01, **FAST).fit(
            X_train
        ),
        "unpenalised": SparseAutoEncoder(sparsity_weight=0.0, **FAST).fit(X_train),
    }


def test_held_out_mean_activation_is_close_to_target(digits, sparse_models):
    X_test = digits[1]
    rho = sparse_models["kl"].sparsity_target
    sparse = sparse_models["kl"].transform(X_test).mean()
    unpenalised = sparse_models["unpenalised"].transform(X_test).mean()
    assert abs(sparse - rho) < 0.01, (
        f"held-out mean code activation {sparse:.4f}, target {rho}"
    )
    assert sparse < 0.2 * unpenalised, (
        f"held-out mean activation {sparse:.4f} vs {unpenalised:.4f} without "
        "the penalty"
    )


def test_codes_are_sparse_per_sample(digits, sparse_models):
    # Few units fire for a given sample: most activations are small.
    X_test = digits[1]
    for name in ("kl", "l1"):
        codes = sparse_models[name].transform(X_test)
        median = np.median(codes)
        unpenalised = np.median(sparse_models["unpenalised"].transform(X_test))
        assert median < 0.1 * unpenalised, (
            f"{name}: median held-out activation {median:.4f}, {unpenalised:.4f} "
            "without the penalty"
        )


def test_sparse_model_still_reconstructs(digits, sparse_models):
    X_test = digits[1]
    model = sparse_models["kl"]
    error = ((model.inverse_transform(model.transform(X_test)) - X_test) ** 2).sum(1)
    baseline = ((X_test - X_test.mean(axis=0)) ** 2).sum(1)
    ratio = error.mean() / baseline.mean()
    assert ratio < 0.5, f"reconstruction error is {ratio:.3f} x predicting the mean"


def test_overcomplete_codes_are_in_unit_interval():
    X = np.random.RandomState(0).uniform(size=(30, 4))
    codes = SparseAutoEncoder(n_components=10, max_iter=2, device="cpu").fit_transform(
        X
    )
    assert codes.shape == (30, 10)
    assert ((codes > 0) & (codes < 1)).all()


@pytest.mark.parametrize(
    "params, match",
    [
        ({"sparsity_target": 0.0}, "sparsity_target"),
        ({"sparsity_target": 1.0}, "sparsity_target"),
        ({"sparsity_weight": -1.0}, "sparsity_weight"),
        ({"sparsity": "l2"}, "sparsity"),
    ],
)
def test_bad_parameters_raise(params, match):
    X = np.random.RandomState(0).uniform(size=(20, 4))
    with pytest.raises(ValueError, match=match):
        SparseAutoEncoder(**params, max_iter=1).fit(X)
