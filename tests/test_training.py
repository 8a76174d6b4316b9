"""Tests of the training layer (sklearn_ae/_training.py)."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sklearn_ae import AdversarialAutoEncoder, AutoEncoder
from sklearn_ae._training import RowDataset, TensorBatchIterator


def _dataset(n, n_labelled):
    labels = torch.full((n,), -1)
    labels[:n_labelled] = torch.arange(n_labelled) % 3
    return RowDataset(torch.arange(n, dtype=torch.float32)[:, None], {"labels": labels})


def test_balanced_batches_carry_their_labelled_share():
    dataset = _dataset(200, 10)
    iterator = TensorBatchIterator(dataset, 16, shuffle=True, labelled_share=0.25)
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
    iterator = TensorBatchIterator(dataset, 16, shuffle=shuffle, labelled_share=share)
    rows = np.concatenate([batch[0][:, 0].numpy() for batch in iterator])
    assert len(iterator) == 13
    np.testing.assert_array_equal(np.sort(rows), np.arange(200))


def test_cosine_schedule_counts_the_batches_of_labelled_share_epochs():
    from sklearn_ae import ConditionalVariationalAutoEncoder

    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 6))
    y = np.full(200, -1)
    y[:10] = np.arange(10) % 2
    model = ConditionalVariationalAutoEncoder(
        hidden_layer_sizes=(8,),
        batch_size=20,
        max_iter=3,
        n_iter_no_change=None,
        learning_rate="cosine",
        learning_rate_init=0.01,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    # Half of each batch is labelled, so an epoch is 190 / 10 = 19 batches,
    # not 200 / 20 = 10: the last of the 57 steps ends the half cosine.
    last = 0.005 * (1 + np.cos(np.pi * 56 / 57))
    group = model.net_.optimizer_.param_groups[0]
    assert group["lr"] == pytest.approx(last)


# --------------------------------------------------------- divergence guard
X_DIVERGE = np.random.default_rng(0).normal(size=(100, 6))


@pytest.mark.parametrize(
    "make",
    [
        # One update of a huge step: the epoch's mean loss, measured before
        # it, is finite; only a look after the update sees the divergence.
        lambda: AutoEncoder(learning_rate_init=1e30, batch_size=1000, max_iter=1),
        lambda: AutoEncoder(
            learning_rate_init=1e30, batch_size=1000, max_iter=1, early_stopping=True
        ),
        lambda: AdversarialAutoEncoder(
            discriminator_layer_sizes=(8,),
            discriminator_learning_rate=1e30,
            max_iter=2,
        ),
        lambda: AdversarialAutoEncoder(
            discriminator_layer_sizes=(8,),
            generator_learning_rate=1e30,
            max_iter=1,
            batch_size=1000,
        ),
    ],
    ids=["last-update", "validation", "discriminator", "generator-last-update"],
)
def test_a_divergence_anywhere_stops_training_with_a_clear_error(make):
    est = make().set_params(hidden_layer_sizes=(8,), random_state=0, device="cpu")
    with pytest.raises(FloatingPointError, match="diverged"):
        est.fit(X_DIVERGE)
    with pytest.raises(NotFittedError):
        est.transform(X_DIVERGE)


def test_keyboard_interrupt_reaches_the_caller_after_the_callbacks(monkeypatch):
    from sklearn_ae._training import AutoEncoderNet

    ended = []
    monkeypatch.setattr(
        AutoEncoderNet,
        "fit_loop",
        lambda self, X, y=None, **kw: (_ for _ in ()).throw(KeyboardInterrupt),
    )
    monkeypatch.setattr(
        AutoEncoderNet, "notify", lambda self, name, **kw: ended.append(name)
    )
    net = AutoEncoderNet.__new__(AutoEncoderNet)
    net.initialized_ = True
    with pytest.raises(KeyboardInterrupt):
        net.partial_fit(None)
    assert ended == ["on_train_begin", "on_train_end"]


def test_early_stopping_still_ends_training_normally():
    est = AutoEncoder(
        hidden_layer_sizes=(8,),
        max_iter=100,
        n_iter_no_change=1,
        tol=10.0,
        random_state=0,
        device="cpu",
    ).fit(X_DIVERGE)
    assert est.n_iter_ == 2


def test_snapshot_puts_the_history_back_without_copying_its_rows(small_data):
    from sklearn_ae._training import snapshot

    net = (
        AutoEncoder(
            hidden_layer_sizes=(8,), max_iter=3, n_iter_no_change=None, device="cpu"
        )
        .fit(small_data)
        .net_
    )
    rows = list(net.history)
    restore = snapshot(net)
    net.partial_fit(RowDataset(torch.as_tensor(small_data, dtype=torch.float32)))
    assert len(net.history) == 6
    restore()
    # The earlier epochs' rows are kept as they are, not deep-copied (the
    # copy cost grew with every partial_fit call); training appends rows
    # and writes to its own only.
    assert len(net.history) == 3
    assert all(a is b for a, b in zip(net.history, rows, strict=True))
