"""Tests of training rows and batches (sklearn_ae/_rows.py)."""

import numpy as np
import pytest
import torch

from sklearn_ae import (
    AutoEncoder,
    DenoisingAutoEncoder,
    ManifoldAutoEncoder,
    StackedAutoEncoder,
    VariationalAutoEncoder,
    _rows,
)
from sklearn_ae._rows import HostRows, RowDataset, TensorBatchIterator


def test_a_capped_iteration_draws_fresh_rows_each_time():
    generator = torch.Generator().manual_seed(0)
    dataset = RowDataset(torch.arange(100.0).reshape(-1, 1))
    iterator = TensorBatchIterator(
        dataset, 10, shuffle=True, generator=generator, max_batches=3
    )
    assert len(iterator) == 3
    passes = [torch.cat([b.inputs for b in iterator]).flatten() for _ in range(2)]
    for rows in passes:
        assert len(rows) == 30
        assert len(set(rows.tolist())) == 30  # without replacement
    assert set(passes[0].tolist()) != set(passes[1].tolist())
    # Evaluation (no shuffling) still reads every row.
    unshuffled = TensorBatchIterator(dataset, 10, max_batches=3)
    assert len(unshuffled) == 10
    assert sum(len(b.inputs) for b in unshuffled) == 100


def test_the_validation_set_is_capped(monkeypatch):
    monkeypatch.setattr(_rows, "MAX_VALIDATION_ROWS", 7)
    X = np.random.default_rng(0).normal(size=(200, 4))
    ae = AutoEncoder(
        2, hidden_layer_sizes=(8,), max_iter=1, early_stopping=True, random_state=0
    ).fit(X)
    batches = ae.net_.history[-1]["batches"]
    assert sum(b.get("valid_batch_size", 0) for b in batches) == 7
    assert sum(b.get("train_batch_size", 0) for b in batches) == 193


# ------------------------------------------------ streamed input (#15 item 3)
def _memmap(tmp_path, X):
    path = tmp_path / "X.dat"
    written = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    written[:] = X
    written.flush()
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: AutoEncoder(2, hidden_layer_sizes=(16,), **kw),
        lambda **kw: DenoisingAutoEncoder(2, hidden_layer_sizes=(16,), **kw),
        lambda **kw: VariationalAutoEncoder(2, hidden_layer_sizes=(16,), **kw),
    ],
)
def test_a_memory_mapped_fit_is_the_in_memory_fit(tmp_path, make, early_stopping):
    X = np.random.default_rng(0).normal(size=(300, 5)).astype(np.float32)
    mapped = _memmap(tmp_path, X)
    params = dict(max_iter=3, random_state=0, early_stopping=early_stopping)
    in_memory, streamed = make(**params).fit(X), make(**params).fit(mapped)
    np.testing.assert_allclose(streamed.transform(X), in_memory.transform(X))
    np.testing.assert_allclose(streamed.loss_curve_, in_memory.loss_curve_)


def test_streamed_training_reads_a_batch_at_a_time(tmp_path, monkeypatch):
    gathered = []
    read = _rows.HostRows.__getitem__

    def spy(self, index):
        block = read(self, index)
        gathered.append(len(block))
        return block

    monkeypatch.setattr(_rows.HostRows, "__getitem__", spy)
    X = np.random.default_rng(0).normal(size=(3000, 4))
    # Above the copy limit, plain arrays stream too.
    monkeypatch.setattr(_rows, "DEVICE_COPY_LIMIT", X.size * 4 - 1)
    AutoEncoder(2, hidden_layer_sizes=(8,), max_iter=2, batch_size=50).fit(X)
    assert gathered and max(gathered) <= 1024  # the last finite check's rows
    assert gathered.count(50) == 2 * 60


def test_models_that_read_all_rows_at_once_copy_a_memmap(tmp_path):
    X = np.random.default_rng(0).normal(size=(200, 4))
    mapped = _memmap(tmp_path, X)
    for estimator in (
        StackedAutoEncoder(2, hidden_layer_sizes=(8,), max_iter=2, random_state=0),
        ManifoldAutoEncoder(
            2, hidden_layer_sizes=(8,), max_iter=2, n_neighbors=5, random_state=0
        ),
    ):
        assert np.isfinite(estimator.fit(mapped).transform(X)).all()


@pytest.mark.parametrize("block_rows", [64, 16_384])
def test_host_rows_statistics_are_numpys(monkeypatch, block_rows):

    monkeypatch.setattr(_rows, "STATISTICS_BLOCK_ROWS", block_rows)
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(1000, 3))
    rows = np.random.default_rng(1).permutation(1000)[:700]
    host = HostRows(X, "cpu", rows)
    np.testing.assert_allclose(host.mean(), X[rows].mean(axis=0))
    np.testing.assert_allclose(host.std(), X[rows].std(axis=0))
    np.testing.assert_array_equal(np.min(host, axis=0), X[rows].min(axis=0))
    np.testing.assert_array_equal(np.max(host, axis=0), X[rows].max(axis=0))
    assert torch.equal(
        host[torch.tensor([0, 5])], torch.tensor(X[rows[[0, 5]]]).float()
    )
