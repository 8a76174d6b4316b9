"""Tests of the batch samplers (sklearn_ae/_samplers.py)."""

import numpy as np
import pytest
import torch

from sklearn_ae._rows import RowDataset, TensorBatchIterator
from sklearn_ae._samplers import LabelledShare


def _dataset(n, n_labelled):
    labels = torch.full((n,), -1)
    labels[:n_labelled] = torch.arange(n_labelled) % 3
    return RowDataset(torch.arange(n, dtype=torch.float32)[:, None], {"labels": labels})


def test_balanced_batches_carry_their_labelled_share():
    dataset = _dataset(200, 10)
    iterator = TensorBatchIterator(
        dataset, 16, shuffle=True, sampler=LabelledShare(0.25)
    )
    torch.manual_seed(0)
    batches = list(iterator)
    # An epoch is one pass over the 190 unlabelled rows, 12 a batch.
    assert len(batches) == len(iterator) == 16
    rows = [batch[0][:, 0].long().numpy() for batch in batches]
    labels = [batch.side["labels"].numpy() for batch in batches]
    for batch_rows, batch_labels in zip(rows, labels, strict=True):
        assert np.sum(batch_labels >= 0) == 4
        np.testing.assert_array_equal(batch_labels >= 0, batch_rows < 10)
    every = np.concatenate(rows)
    unlabelled = every[every >= 10]
    np.testing.assert_array_equal(np.sort(unlabelled), np.arange(10, 200))
    # 64 labelled draws cycle through the 10 labelled rows: 6 or 7 each.
    counts = np.bincount(every[every < 10], minlength=10)
    assert counts.min() >= 6 and counts.max() <= 7, counts


@pytest.mark.parametrize(
    "n_labelled, shuffle, share",
    [(0, True, 0.5), (200, True, 0.5), (120, True, 0.5), (10, False, 0.5)],
)
def test_plain_batches_when_no_balancing_is_needed(n_labelled, shuffle, share):
    """No labels, enough labels, or evaluation: every row once, in batches."""
    dataset = _dataset(200, n_labelled)
    iterator = TensorBatchIterator(
        dataset, 16, shuffle=shuffle, sampler=LabelledShare(share)
    )
    rows = np.concatenate([batch[0][:, 0].numpy() for batch in iterator])
    assert len(iterator) == 13
    np.testing.assert_array_equal(np.sort(rows), np.arange(200))


def test_the_labelled_share_reads_the_column_it_is_given():
    dataset = _dataset(200, 10)
    dataset.side["groups"] = dataset.side.pop("labels")
    grouped = LabelledShare(0.25, column="groups")
    iterator = TensorBatchIterator(dataset, 16, shuffle=True, sampler=grouped)
    assert len(iterator) == 16
    assert all((batch.side["groups"] >= 0).sum() == 4 for batch in iterator)
    # Without that column, batches are plainly shuffled.
    plain = TensorBatchIterator(dataset, 16, shuffle=True, sampler=LabelledShare(0.25))
    assert len(plain) == 13
