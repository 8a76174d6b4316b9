"""Tests of the training net (sklearn_ae/_net.py)."""

import numpy as np
import pytest
import torch

from sklearn_ae import (
    AutoEncoder,
)
from sklearn_ae._rows import RowDataset


def test_keyboard_interrupt_reaches_the_caller_after_the_callbacks(monkeypatch):
    from sklearn_ae._net import AutoEncoderNet

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


def test_snapshot_puts_the_history_back_without_copying_its_rows(small_data):
    from sklearn_ae._net import snapshot

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


def test_batch_events_reach_the_callbacks_that_implement_them(monkeypatch):
    """The epoch loop sends a batch event only to its listeners, but to all."""
    from skorch.callbacks import Callback

    import sklearn_ae._net as net_module

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
    make_callbacks = net_module.make_callbacks
    monkeypatch.setattr(
        net_module,
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


def test_a_warm_start_leaves_the_learned_variance_undecayed(small_data):
    # A fresh fit puts the likelihood's learned variance in a group of its
    # own without weight decay (a statistic of the data, not a weight); a
    # warm start's new settings must keep it so.
    from sklearn_ae import VariationalAutoEncoder

    vae = VariationalAutoEncoder(
        hidden_layer_sizes=(8,), weight_decay=0.1, max_iter=2, random_state=0
    ).fit(small_data)
    decays = [g["weight_decay"] for g in vae.net_.optimizer_.param_groups]
    assert decays == [0.1, 0.0]
    vae.set_params(warm_start=True, weight_decay=0.2).fit(small_data)
    decays = [g["weight_decay"] for g in vae.net_.optimizer_.param_groups]
    assert decays == [0.2, 0.0]
