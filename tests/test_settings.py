"""Tests of the training settings (sklearn_ae/_settings.py)."""

import numpy as np
import pytest

from sklearn_ae import (
    AutoEncoder,
    _settings,
)


def test_an_iteration_is_at_most_updates_per_iteration(monkeypatch):
    monkeypatch.setattr(_settings, "UPDATES_PER_ITERATION", 5)
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
    monkeypatch.setattr(_settings, "UPDATES_PER_ITERATION", 5)
    monkeypatch.setattr(_settings, "ANNEALED_ITERATIONS", 4)
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
    from sklearn_ae import ConditionalVariationalAutoEncoder

    # 200 rows in batches of 20 are 10 batches, but half of each batch is
    # labelled: a pass over the 190 unlabelled rows is 19 batches, past a
    # cap of 15, so the fit is capped and "auto" anneals.
    monkeypatch.setattr(_settings, "UPDATES_PER_ITERATION", 15)
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
    monkeypatch.setattr(_settings, "UPDATES_PER_ITERATION", 5)
    settings = _settings.TrainingSettings.of(
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
    # A term that anneals (geometry="layout") anneals within the cap too.
    assert settings.for_pass(5, anneal=True) == past
    assert settings.for_pass(5, anneal=True) != settings.for_pass(5)
    explicit = settings.replace(learning_rate="constant")
    assert explicit.for_pass(5, anneal=True) == explicit


def test_an_annealed_budget_holds_the_terms_updates_on_small_data(monkeypatch):
    monkeypatch.setattr(_settings, "ANNEALED_ITERATIONS", 4)
    settings = _settings.TrainingSettings.of(AutoEncoder(max_iter=100))
    # 45 updates at 10 batches a pass: 5 passes, more than the 4.
    assert settings.for_pass(10, anneal=True, min_updates=45).max_iter == 5
    # At 20 batches a pass, 4 passes hold them already.
    assert settings.for_pass(20, anneal=True, min_updates=45).max_iter == 4
    # max_iter bounds the budget, and only an annealing term asks for it.
    assert settings.for_pass(1, anneal=True, min_updates=10**6).max_iter == 100
    constant = settings.for_pass(1, min_updates=45)
    assert constant.learning_rate == "constant" and constant.max_iter == 100
    # A fit whose terms anneal trains that many passes.
    from sklearn_ae import ManifoldAutoEncoder

    X = np.random.default_rng(0).normal(size=(130, 12)).astype(np.float32)
    model = ManifoldAutoEncoder(
        geometry="layout", hidden_layer_sizes=(8,), random_state=0
    ).fit(X)
    # 3 batches a pass: ceil(3,150 / 3) passes, bounded by max_iter=200.
    assert model.n_iter_ == 200 and model.n_updates_ == 600


def test_small_data_iterates_over_whole_passes():
    X = np.random.default_rng(0).normal(size=(130, 4))
    ae = AutoEncoder(2, hidden_layer_sizes=(8,), max_iter=2, n_iter_no_change=None).fit(
        X
    )
    assert ae.n_updates_ == 2 * 3  # ceil(130 / 64) batches per epoch
    ae.set_params(warm_start=True, max_iter=1).fit(X)
    assert (ae.n_iter_, ae.n_updates_) == (3, 9)


def test_the_cap_changes_nothing_below_it(monkeypatch):
    X = np.random.default_rng(0).normal(size=(300, 4))
    params = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    capped = AutoEncoder(2, **params).fit(X)
    monkeypatch.setattr(_settings, "UPDATES_PER_ITERATION", None)
    uncapped = AutoEncoder(2, **params).fit(X)
    np.testing.assert_array_equal(capped.transform(X), uncapped.transform(X))
