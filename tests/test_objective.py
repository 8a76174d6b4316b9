"""Tests of the objective seam: named terms, phases, per-row side data."""

import numpy as np
import pytest
import torch

from sklearn_ae import ConditionalVariationalAutoEncoder
from tests._support import small_estimators

# The terms each estimator's objective is made of.
TERMS = {
    "AutoEncoder": {"reconstruction"},
    "LinearAutoEncoder": {"reconstruction"},
    "DenoisingAutoEncoder": {"reconstruction"},
    "StackedAutoEncoder": {"reconstruction"},
    "SparseAutoEncoder": {"reconstruction", "sparsity"},
    "ContractiveAutoEncoder": {"reconstruction", "contraction"},
    "VariationalAutoEncoder": {"reconstruction", "kl"},
    "ConditionalVariationalAutoEncoder": {
        "reconstruction",
        "kl",
        "classification",
        "negative_entropy",
    },
    "AdversarialAutoEncoder": {"reconstruction", "discriminator", "generator"},
    "ManifoldAutoEncoder": {"reconstruction", "geometry"},
}


@pytest.mark.parametrize("estimator", small_estimators(), ids=repr)
def test_each_term_is_in_the_history(estimator):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(64, 6))
    y = rng.integers(0, 3, 64)
    estimator.set_params(max_iter=3).fit(X, y)
    assert set(estimator.loss_terms_) == TERMS[type(estimator).__name__]
    history = estimator.net_.history
    for name, curve in estimator.loss_terms_.items():
        assert curve.shape == (estimator.n_iter_,)
        assert np.all(np.isfinite(curve))
        np.testing.assert_array_equal(curve, history[:, f"{name}_loss"])


def test_single_phase_loss_is_the_weighted_sum_of_its_terms():
    """train_loss is reconstruction + beta * KL, epoch by epoch."""
    from sklearn_ae import VariationalAutoEncoder

    X = np.random.default_rng(0).normal(size=(64, 6))
    vae = VariationalAutoEncoder(
        beta=2.5, hidden_layer_sizes=(8,), max_iter=3, random_state=0, device="cpu"
    ).fit(X)
    terms = vae.loss_terms_
    np.testing.assert_allclose(
        vae.loss_curve_, terms["reconstruction"] + 2.5 * terms["kl"], rtol=1e-5
    )


# A small fit (few epochs, a heavy beta or a unit-variance decoder): the
# collapse warning is expected and not what this test is about.
@pytest.mark.filterwarnings("ignore:.*posterior collapsed")
def test_conditional_model_runs_one_forward_pass_per_batch(digits):
    X_train, _, y_train, _ = digits
    y = np.where(np.arange(len(y_train)) % 10 == 0, y_train, -1)  # 10% labelled
    model = ConditionalVariationalAutoEncoder(
        hidden_layer_sizes=(16,), max_iter=1, random_state=0, device="cpu"
    ).fit(X_train, y)
    calls = []
    module = model.net_.module_
    handle = module.register_forward_hook(lambda *args: calls.append(1))
    try:
        model.set_params(warm_start=True).fit(X_train, y)
    finally:
        handle.remove()
    batches = len(model.net_.history[-1, "batches"])
    # One more: the check that the trained network's losses are finite.
    assert len(calls) == batches + 1


def test_standardisation_uses_the_training_rows_only():
    """With early stopping, the validation rows do not shape the scaling."""
    from sklearn.model_selection import train_test_split

    from sklearn_ae import AutoEncoder
    from sklearn_ae._random import torch_seed

    X = np.random.default_rng(0).normal(size=(200, 4))
    X[:, 0] += np.arange(200)  # a trend, so the split changes the mean
    model = AutoEncoder(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        max_iter=2,
        random_state=0,
        device="cpu",
    ).fit(X)
    X_train, _ = train_test_split(X, test_size=0.1, random_state=torch_seed(0))
    offset = model.net_.module_.offset.numpy()
    np.testing.assert_allclose(offset, X_train.mean(axis=0), rtol=1e-5)
    assert not np.allclose(offset, X.mean(axis=0), rtol=1e-5)


def test_side_data_travels_with_the_rows():
    from sklearn_ae._rows import RowDataset, TensorBatchIterator

    inputs = torch.arange(50, dtype=torch.float32)[:, None]
    side = {"index": torch.arange(50), "weight": torch.arange(50) * 2.0}
    torch.manual_seed(0)
    for batch in TensorBatchIterator(RowDataset(inputs, side), 8, shuffle=True):
        rows = batch.target[:, 0].long()
        np.testing.assert_array_equal(batch.side["index"], rows)
        np.testing.assert_array_equal(batch.side["weight"], rows * 2.0)
