"""Tests of the training layer (sklearn_ae/_training.py)."""

import io
import sys

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sklearn_ae import (
    AdversarialAutoEncoder,
    AutoEncoder,
    DenoisingAutoEncoder,
    ManifoldAutoEncoder,
    StackedAutoEncoder,
    VariationalAutoEncoder,
)
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


# A small fit (few epochs, a heavy beta or a unit-variance decoder): the
# collapse warning is expected and not what this test is about.
@pytest.mark.filterwarnings("ignore:.*posterior collapsed")
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


# -------------------------------------------------- the update budget (#15)
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


def test_an_iteration_is_at_most_updates_per_iteration(monkeypatch):
    from sklearn_ae import _training

    monkeypatch.setattr(_training, "UPDATES_PER_ITERATION", 5)
    X = np.random.default_rng(0).normal(size=(200, 4))
    ae = AutoEncoder(
        2,
        hidden_layer_sizes=(8,),
        batch_size=10,
        max_iter=3,
        n_iter_no_change=None,
        learning_rate="cosine",
        random_state=0,
    ).fit(X)
    assert ae.n_iter_ == 3
    assert ae.n_updates_ == 15
    assert list(ae.net_.history[:, "updates"]) == [5, 5, 5]
    # The schedule anneals over the capped iterations, to zero at the end.
    schedule = dict(ae.net_.callbacks_)["lr_schedule"]
    assert schedule.total_steps_ == schedule.step_ == 15


@pytest.mark.parametrize("early_stopping", [False, True])
def test_auto_learning_rate_is_constant_below_the_cap_and_annealed_past_it(
    monkeypatch, early_stopping
):
    from sklearn_ae import _training

    monkeypatch.setattr(_training, "UPDATES_PER_ITERATION", 5)
    monkeypatch.setattr(_training, "ANNEALED_ITERATIONS", 4)
    X = np.random.default_rng(0).normal(size=(75, 4))
    # Rows given for 48 and 60 training rows, a fifth of them held out or not.
    n_below, n_past = (60, 75) if early_stopping else (48, 60)
    params = dict(
        hidden_layer_sizes=(8,),
        batch_size=10,
        max_iter=6,
        n_iter_no_change=1,
        tol=10.0,  # any iteration "fails to improve": the rule stops at 2
        early_stopping=early_stopping,
        validation_fraction=0.2,
        random_state=0,
    )
    # ceil(48 training rows / 10) = 5 batches: a whole pass, at a constant rate.
    below = AutoEncoder(2, **params).fit(X[:n_below])
    assert below.n_iter_ == 2
    assert below.net_.optimizer_.param_groups[0]["lr"] == below.learning_rate_init
    assert "lr_schedule" not in dict(below.net_.callbacks_)
    # 6 batches: past the cap, min(max_iter, 4) annealed iterations...
    past = AutoEncoder(2, **params).fit(X[:n_past])
    schedule = dict(past.net_.callbacks_)["lr_schedule"]
    assert schedule.total_steps_ == 4 * 5
    if early_stopping:
        # ...stopped by the validation loss only when the user asked for it.
        assert past.n_iter_ == 2
    else:
        assert past.n_iter_ == 4
        assert past.n_updates_ == schedule.step_ == 20
    # The parameter itself is left as given (scikit-learn's clone contract).
    assert past.learning_rate == "auto" and past.max_iter == 6


def test_auto_learning_rate_below_the_cap_is_the_constant_rate_exactly():
    X = np.random.default_rng(0).normal(size=(150, 5))
    params = dict(hidden_layer_sizes=(8,), max_iter=4, random_state=0)
    auto = AutoEncoder(2, **params).fit(X)
    constant = AutoEncoder(2, learning_rate="constant", **params).fit(X)
    np.testing.assert_array_equal(auto.loss_curve_, constant.loss_curve_)
    np.testing.assert_array_equal(auto.transform(X), constant.transform(X))


# A small fit (few epochs, a heavy beta or a unit-variance decoder): the
# collapse warning is expected and not what this test is about.
@pytest.mark.filterwarnings("ignore:.*posterior collapsed")
def test_auto_learning_rate_counts_the_batches_of_labelled_share_passes(monkeypatch):
    from sklearn_ae import ConditionalVariationalAutoEncoder, _training

    # 200 rows in batches of 20 are 10 batches, but half of each batch is
    # labelled: a pass over the 190 unlabelled rows is 19 batches, past a
    # cap of 15, so the fit is capped and "auto" anneals.
    monkeypatch.setattr(_training, "UPDATES_PER_ITERATION", 15)
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 6))
    y = np.full(200, -1)
    y[:10] = np.arange(10) % 2
    model = ConditionalVariationalAutoEncoder(
        hidden_layer_sizes=(8,), batch_size=20, max_iter=3, random_state=0
    ).fit(X, y)
    schedule = dict(model.net_.callbacks_)["lr_schedule"]
    assert schedule.total_steps_ == schedule.step_ == 3 * 15
    assert model.n_updates_ == 3 * 15


def test_auto_learning_rate_keeps_an_explicit_schedule_and_shorter_max_iter(
    monkeypatch,
):
    from sklearn_ae import _training

    monkeypatch.setattr(_training, "UPDATES_PER_ITERATION", 5)
    settings = _training.TrainingSettings.of(
        AutoEncoder(batch_size=10, max_iter=7, learning_rate="auto")
    )
    assert settings.for_pass(5) == settings.replace(learning_rate="constant")
    past = settings.for_pass(6)
    assert (past.learning_rate, past.max_iter, past.n_iter_no_change) == (
        "cosine",
        7,  # below ANNEALED_ITERATIONS: the user's max_iter bounds the budget
        None,
    )
    for schedule in ("constant", "cosine"):
        explicit = settings.replace(learning_rate=schedule)
        assert explicit.for_pass(10**6) == explicit


def test_small_data_iterates_over_whole_passes():
    X = np.random.default_rng(0).normal(size=(130, 4))
    ae = AutoEncoder(2, hidden_layer_sizes=(8,), max_iter=2, n_iter_no_change=None).fit(
        X
    )
    assert ae.n_updates_ == 2 * 3  # ceil(130 / 64) batches per epoch
    ae.set_params(warm_start=True, max_iter=1).fit(X)
    assert (ae.n_iter_, ae.n_updates_) == (3, 9)


def test_the_validation_set_is_capped(monkeypatch):
    from sklearn_ae import _base

    monkeypatch.setattr(_base, "MAX_VALIDATION_ROWS", 7)
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
    from sklearn_ae import _training

    gathered = []
    read = _training.HostRows.__getitem__

    def spy(self, index):
        block = read(self, index)
        gathered.append(len(block))
        return block

    monkeypatch.setattr(_training.HostRows, "__getitem__", spy)
    X = np.random.default_rng(0).normal(size=(3000, 4))
    # Above the copy limit, plain arrays stream too.
    monkeypatch.setattr(_training, "DEVICE_COPY_LIMIT", X.size * 4 - 1)
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
    from sklearn_ae import _training
    from sklearn_ae._training import HostRows

    monkeypatch.setattr(_training, "STATISTICS_BLOCK_ROWS", block_rows)
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


def test_the_cap_changes_nothing_below_it(monkeypatch):
    from sklearn_ae import _training

    X = np.random.default_rng(0).normal(size=(300, 4))
    params = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    capped = AutoEncoder(2, **params).fit(X)
    monkeypatch.setattr(_training, "UPDATES_PER_ITERATION", None)
    uncapped = AutoEncoder(2, **params).fit(X)
    np.testing.assert_array_equal(capped.transform(X), uncapped.transform(X))


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


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("terminal", [False, True], ids=["log", "terminal"])
def test_verbose_table_has_escape_codes_only_on_a_terminal(terminal, monkeypatch):
    """verbose=2's epoch table is plain text in a log, coloured on a terminal."""
    out = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    X = np.random.default_rng(0).normal(size=(100, 4))
    AutoEncoder(
        hidden_layer_sizes=(8,),
        max_iter=3,
        early_stopping=True,
        verbose=2,
        random_state=0,
        device="cpu",
    ).fit(X)
    table = out.getvalue()
    assert "train_loss" in table and "valid_loss" in table
    assert ("\x1b[" in table) == terminal, repr(table)


def test_batch_events_reach_the_callbacks_that_implement_them(monkeypatch):
    """The epoch loop sends a batch event only to its listeners, but to all."""
    from skorch.callbacks import Callback

    import sklearn_ae._training as training

    class Counter(Callback):
        def initialize(self):
            self.events_ = {"begin": 0, "grad": 0, "end": 0}
            return self

        def on_batch_begin(self, net, training=False, **kwargs):
            self.events_["begin"] += training

        def on_grad_computed(self, net, named_parameters, **kwargs):
            assert all(p.grad is not None for _, p in named_parameters)
            self.events_["grad"] += 1

        def on_batch_end(self, net, training=False, loss=None, **kwargs):
            assert loss is not None
            self.events_["end"] += training

    counter = Counter()
    make_callbacks = training.make_callbacks
    monkeypatch.setattr(
        training,
        "make_callbacks",
        lambda settings: [*make_callbacks(settings), ("counter", counter)],
    )
    X = np.random.default_rng(0).normal(size=(100, 4))
    est = AutoEncoder(
        hidden_layer_sizes=(8,),
        batch_size=25,
        max_iter=3,
        n_iter_no_change=None,
        random_state=0,
        device="cpu",
    ).fit(X)
    assert counter.events_ == {"begin": 12, "grad": 12, "end": 12}
    batches = est.net_.history[-1]["batches"]
    assert [sorted(b) for b in batches] == [
        ["reconstruction_loss", "train_batch_size", "train_loss"]
    ] * 4
    assert est.net_.module_.training is False
