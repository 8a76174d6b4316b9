"""scipy.sparse input: the same fit as dense, densified a batch at a time."""

import warnings

import numpy as np
import pytest
import torch
from scipy import sparse
from sklearn.base import clone

from sklearn_ae import (
    AutoEncoder,
    ConditionalVariationalAutoEncoder,
    DenoisingAutoEncoder,
    LinearAutoEncoder,
    VariationalAutoEncoder,
    _sparse_input,
)
from sklearn_ae._sparse_input import (
    column_max,
    column_min,
    column_squared_deviations,
    column_sum,
)
from tests._support import small_estimators

FORMATS = [sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array, sparse.coo_array]


def _counts(n=120, d=10, seed=0):
    """Nonnegative data with 60% zeros, like counts."""
    X = np.random.RandomState(seed).uniform(size=(n, d))
    X[X < 0.6] = 0
    return X


@pytest.mark.parametrize(
    "estimator", small_estimators(), ids=lambda est: type(est).__name__
)
def test_sparse_fit_equals_dense_fit(estimator):
    X = _counts()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small fit may warn (collapse)
        dense = clone(estimator).fit(X)
        fitted = clone(estimator).fit(sparse.csr_matrix(X))
    np.testing.assert_array_equal(fitted.transform(X), dense.transform(X))
    np.testing.assert_array_equal(fitted.loss_curve_, dense.loss_curve_)


@pytest.mark.parametrize("container", FORMATS)
def test_every_method_takes_each_sparse_format(container):
    X = _counts()
    model = VariationalAutoEncoder(2, hidden_layer_sizes=(8,), max_iter=3)
    model.set_params(random_state=0, device="cpu")
    dense = clone(model).fit(X)
    fitted = clone(model).fit(container(X))
    S = container(X)
    for method in ("transform", "score_samples", "score", "log_likelihood"):
        np.testing.assert_array_equal(
            getattr(fitted, method)(S), getattr(dense, method)(X), err_msg=method
        )
    fitted.partial_fit(S)
    dense.partial_fit(X)
    np.testing.assert_array_equal(fitted.transform(S), dense.transform(X))


@pytest.mark.parametrize(
    "model",
    [
        AutoEncoder(2, hidden_layer_sizes=(8,), early_stopping=True),
        DenoisingAutoEncoder(2, hidden_layer_sizes=(8,), noise="salt_and_pepper"),
        LinearAutoEncoder(2),
    ],
    ids=["early_stopping", "salt_and_pepper", "linear"],
)
def test_sparse_paths_that_read_statistics(model):
    """Validation rows, noise ranges and principal axes from sparse rows."""
    X = _counts(200)
    model.set_params(max_iter=3, random_state=0, device="cpu")
    dense = clone(model).fit(X)
    fitted = clone(model).fit(sparse.csr_matrix(X))
    np.testing.assert_array_equal(fitted.transform(X), dense.transform(X))
    if hasattr(dense, "components_"):
        np.testing.assert_allclose(fitted.components_, dense.components_)


def test_conditional_model_with_labels_and_predict():
    X = _counts(150) / 1.0
    y = np.where(np.arange(150) < 60, np.arange(150) % 3, -1)
    model = ConditionalVariationalAutoEncoder(
        2, hidden_layer_sizes=(8,), max_iter=3, random_state=0, device="cpu"
    )
    dense = clone(model).fit(X, y)
    fitted = clone(model).fit(sparse.csr_array(X), y)
    np.testing.assert_array_equal(
        fitted.predict_proba(sparse.csr_array(X)), dense.predict_proba(X)
    )
    np.testing.assert_array_equal(
        fitted.transform(sparse.csr_array(X)), dense.transform(X)
    )


def test_training_never_densifies_the_whole_matrix(monkeypatch):
    """Every densified block is one batch (or the final check's 1,024 rows)."""
    densified = []
    toarray = sparse.csr_matrix.toarray

    def spy(self, *args, **kwargs):
        densified.append(self.shape[0])
        return toarray(self, *args, **kwargs)

    monkeypatch.setattr(sparse.csr_matrix, "toarray", spy)
    X = sparse.random(3000, 50, density=0.02, format="csr", random_state=0)
    model = AutoEncoder(2, hidden_layer_sizes=(8,), max_iter=2, batch_size=50)
    model.set_params(early_stopping=True, random_state=0, device="cpu").fit(X)
    assert densified and max(densified) <= 1024
    # 2,700 training rows: 54 batches of 50 in each of 2 epochs.
    assert densified.count(50) >= 2 * 54
    # Inference blocks hold at most SPARSE_BLOCK_VALUES values.
    monkeypatch.setattr(_sparse_input, "SPARSE_BLOCK_VALUES", 100 * 50)
    densified.clear()
    model.transform(X)
    assert densified == [100] * 30


def test_the_input_scaling_is_measured_on_the_sparse_rows():
    X = _counts(300, 6)
    dense = AutoEncoder(2, max_iter=1, random_state=0, device="cpu").fit(X)
    fitted = AutoEncoder(2, max_iter=1, random_state=0, device="cpu")
    fitted.fit(sparse.csc_matrix(X))
    module, expected = fitted.net_.module_, dense.net_.module_
    assert torch.equal(module.offset, expected.offset)
    assert torch.equal(module.scale, expected.scale)


@pytest.mark.parametrize("container", [sparse.csr_matrix, sparse.csr_array])
def test_column_statistics_of_sparse_blocks_are_numpys(container):
    X = _counts(50, 5) - 0.3 * (np.arange(5) == 2)  # a negative column too
    X[:, 4] = 0.0
    block = container(X)
    np.testing.assert_allclose(column_sum(block), X.sum(axis=0))
    mean = X.mean(axis=0)
    np.testing.assert_allclose(
        column_squared_deviations(block, mean), np.square(X - mean).sum(axis=0)
    )
    np.testing.assert_array_equal(column_min(block), X.min(axis=0))
    np.testing.assert_array_equal(column_max(block), X.max(axis=0))


def test_sparse_bernoulli_data_are_checked_like_dense():
    X = sparse.csr_matrix(_counts() * 2)
    with pytest.raises(ValueError, match=r"loss='bce'.*ranges over \[0, "):
        AutoEncoder(2, loss="bce", max_iter=1).fit(X)
