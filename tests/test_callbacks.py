"""Tests of our skorch callbacks (sklearn_ae/_callbacks.py)."""

import io
import sys

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_ae import (
    AdversarialAutoEncoder,
    AutoEncoder,
)


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
