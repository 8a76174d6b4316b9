"""Tests of training chunk by chunk (sklearn_ae/_partial_fit.py).

``partial_fit`` is tested here for every public estimator that offers it;
the labelled variants' classes are tested in ``test_cvae.py`` and
``test_adversarial.py``.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklearn_ae import (
    AutoEncoder,
    ManifoldAutoEncoder,
    StackedAutoEncoder,
    VariationalAutoEncoder,
    load,
    save,
)
from sklearn_ae._base import _BaseAutoEncoder
from sklearn_ae._objective import Term
from sklearn_ae._scaling import standardisation
from tests._support import public_estimator_classes, small_estimators

STREAMING = [est for est in small_estimators() if hasattr(est, "partial_fit")]
streaming = pytest.mark.parametrize(
    "estimator", STREAMING, ids=[type(est).__name__ for est in STREAMING]
)

# Chunks of uneven sizes, one of a single row, for the 60-row small_data.
UNEVEN = (7, 30, 1, 22)


def _chunks(X, sizes):
    return np.split(X, np.cumsum(sizes)[:-1])


def _weights(est):
    return {
        name: value.detach().clone()
        for name, value in est.net_.module_.state_dict().items()
    }


def _assert_same_weights(a, b):
    first, second = _weights(a), _weights(b)
    assert first.keys() == second.keys()
    for name, value in first.items():
        torch.testing.assert_close(second[name], value, rtol=0, atol=0, msg=name)


def _n_updates(est):
    """Optimizer steps taken so far: Adam's step count of a first-phase weight."""
    state = est.net_.optimizer_.state
    return int(next(iter(state.values()))["step"])


# ------------------------------------------------------------- availability
@pytest.mark.parametrize(
    "cls", public_estimator_classes(), ids=lambda cls: cls.__name__
)
def test_partial_fit_is_offered_where_a_chunk_can_train_the_model(cls):
    refused = cls in (StackedAutoEncoder, ManifoldAutoEncoder)
    assert hasattr(cls(), "partial_fit") is not refused
    if refused:
        with pytest.raises(AttributeError, match="partial_fit") as info:
            cls().partial_fit(np.zeros((4, 3)))
        assert "whole data set at once" in str(info.value.__cause__)
        assert "no ``partial_fit``" in cls.__doc__, "the docstring must say why"


@streaming
def test_partial_fit_models_need_no_whole_training_set(estimator, small_data):
    # What the estimators without partial_fit have: pretraining, or a term
    # that reads all the training rows. A new estimator that adds either
    # must set _needs_all_rows = True (or attach to each chunk).
    est = clone(estimator).partial_fit(small_data)
    assert type(est)._pretrain is _BaseAutoEncoder._pretrain
    for term in est.net_.criterion_.terms():
        assert type(term).attach is Term.attach, type(term).__name__


@streaming
def test_every_partial_fit_restores_on_failure(estimator):
    assert getattr(type(estimator).partial_fit, "restores_on_failure", False)


# ------------------------------------------------------------ against fit
@streaming
def test_one_pass_is_fit_for_one_epoch(estimator, small_data):
    # Same seed, same settings (one constant-rate epoch, no stopping rule):
    # the first call draws the weights and the shuffle exactly as fit does.
    params = {"max_iter": 1, "n_iter_no_change": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a VAE's collapse warning after 1 epoch
        fitted = clone(estimator).set_params(**params).fit(small_data)
    streamed = clone(estimator).partial_fit(small_data)
    _assert_same_weights(fitted, streamed)
    assert streamed.n_iter_ == 1
    np.testing.assert_array_equal(streamed.loss_curve_, fitted.loss_curve_)
    assert _n_updates(streamed) == _n_updates(fitted)


def test_passes_in_chunks_reach_the_error_of_fit(digits):
    # 10 passes over the training rows in 4 chunks against fit(max_iter=10):
    # the same 200 updates (chunks of 320 rows are 5 whole batches of 64),
    # the same initial weights, only the rows' order differs. Over seeds
    # 0-4 the held-out errors differed by 0.03% to 0.8% (partial_fit lower
    # in 4 of 5), while fit's own error spread over 1.56-1.69 across those
    # seeds: 5% is well outside the order's effect and well inside a real
    # fault (a lost optimizer state or scaling).
    X_train, X_test = digits[0], digits[1]
    params = {
        "n_components": 8,
        "hidden_layer_sizes": (64,),
        "batch_size": 64,
        "random_state": 0,
        "device": "cpu",
    }
    fitted = AutoEncoder(
        max_iter=10, n_iter_no_change=None, learning_rate="constant", **params
    ).fit(X_train)
    streamed = AutoEncoder(**params)
    for _ in range(10):
        for chunk in np.array_split(X_train, [320, 640, 960]):
            streamed.partial_fit(chunk)

    def error(est):
        reconstruction = est.inverse_transform(est.transform(X_test))
        return float(((reconstruction - X_test) ** 2).sum(axis=1).mean())

    assert _n_updates(streamed) == _n_updates(fitted) == 200
    assert streamed.n_iter_ == 40  # one per call
    ratio = error(streamed) / error(fitted)
    assert 0.95 < ratio < 1.05, f"held-out error ratio {ratio:.4f}"


# ---------------------------------------------------------------- chunking
@streaming
def test_uneven_chunks_and_a_single_row(estimator, small_data):
    est = clone(estimator)
    for chunk in _chunks(small_data, UNEVEN):
        est.partial_fit(chunk)
    assert est.n_iter_ == len(est.loss_curve_) == len(UNEVEN)
    assert np.isfinite(est.loss_curve_).all()
    # Each call reads its own epoch only; the curves are the whole history's.
    history = est.net_.history
    np.testing.assert_array_equal(est.loss_curve_, history[:, "train_loss"])
    for name, curve in est.loss_terms_.items():
        np.testing.assert_array_equal(curve, history[:, f"{name}_loss"])
    # The per-batch records of the last call only: a stream keeps no more.
    assert ["batches" in row for row in history] == [False] * 3 + [True]
    # One pass of ceil(rows / batch_size) updates a call (batch_size=32).
    assert _n_updates(est) == sum(-(-n // 32) for n in UNEVEN)
    assert np.isfinite(est.transform(small_data)).all()
    assert not hasattr(est, "validation_loss_curve_")


def test_the_first_call_needs_two_rows(small_data):
    est = AutoEncoder(random_state=0, device="cpu")
    with pytest.raises(ValueError, match="first call to partial_fit fixes the input"):
        est.partial_fit(small_data[:1])
    assert not hasattr(est, "n_features_in_")
    est.partial_fit(small_data[:2]).partial_fit(small_data[2:3])
    assert est.n_iter_ == 2


def test_a_memory_map_streams_chunk_by_chunk(tmp_path, digits):
    X = digits[0][:600]
    path = tmp_path / "rows.f32"
    X.tofile(path)
    rows = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    params = {"n_components": 4, "hidden_layer_sizes": (16,), "random_state": 0}
    from_disk = AutoEncoder(device="cpu", **params)
    in_memory = AutoEncoder(device="cpu", **params)
    for start in range(0, len(X), 250):  # chunks of 250, 250 and 100 rows
        from_disk.partial_fit(rows[start : start + 250])
        in_memory.partial_fit(X[start : start + 250])
    _assert_same_weights(from_disk, in_memory)
    assert from_disk.n_iter_ == 3


def test_dask_blocks_stream_like_numpy_chunks(digits):
    da = pytest.importorskip("dask.array")
    X = digits[0][:500]
    blocks = da.from_array(X, chunks=(128, X.shape[1]))
    params = {"n_components": 4, "hidden_layer_sizes": (16,), "random_state": 0}
    from_dask = AutoEncoder(device="cpu", **params)
    for block in blocks.to_delayed().ravel():
        from_dask.partial_fit(block.compute())
    from_numpy = AutoEncoder(device="cpu", **params)
    for chunk in np.array_split(X, [128, 256, 384]):
        from_numpy.partial_fit(chunk)
    _assert_same_weights(from_dask, from_numpy)


# --------------------------------------------------------- state and seeds
@streaming
def test_the_input_scaling_is_fixed_on_the_first_call(estimator, small_data):
    est = clone(estimator).partial_fit(small_data[:30])
    offset, scale = standardisation(small_data[:30])
    module = est.net_.module_
    torch.testing.assert_close(module.offset, offset, rtol=0, atol=0)
    torch.testing.assert_close(module.scale, scale, rtol=0, atol=0)
    # Later chunks on another scale train the network, not its scaling.
    est.partial_fit(3 * small_data[30:] + 1)
    torch.testing.assert_close(est.net_.module_.offset, offset, rtol=0, atol=0)
    torch.testing.assert_close(est.net_.module_.scale, scale, rtol=0, atol=0)


def test_the_optimizer_state_carries_over(small_data):
    est = AutoEncoder(
        hidden_layer_sizes=(8,), batch_size=32, random_state=0, device="cpu"
    )
    est.partial_fit(small_data)
    moments = {
        id(p): s["exp_avg"].clone() for p, s in est.net_.optimizer_.state.items()
    }
    optimizer = est.net_.optimizer_
    est.partial_fit(small_data)
    assert est.net_.optimizer_ is optimizer
    assert _n_updates(est) == 4  # 2 batches of 32 a call
    changed = [
        not torch.equal(s["exp_avg"], moments[id(p)])
        for p, s in est.net_.optimizer_.state.items()
    ]
    assert all(changed)


@streaming
def test_the_same_calls_give_the_same_model(estimator, small_data):
    def stream(random_state):
        est = clone(estimator).set_params(random_state=random_state)
        for chunk in _chunks(small_data, UNEVEN):
            est.partial_fit(chunk)
        return est

    first, second = stream(0), stream(0)
    _assert_same_weights(first, second)
    np.testing.assert_array_equal(first.loss_curve_, second.loss_curve_)
    other = _weights(stream(1))
    assert any(not torch.equal(other[k], v) for k, v in _weights(first).items())


def test_each_call_draws_its_own_shuffle(small_data):
    # Calls seeded alike would shuffle every chunk in the same order; each
    # call's generators come from random_state and the passes made before.
    est = AutoEncoder(hidden_layer_sizes=(8,), random_state=0, device="cpu")
    orders = []
    original = torch.randperm

    def recording(n, *args, **kwargs):
        order = original(n, *args, **kwargs)
        orders.append(order.tolist())
        return order

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch, "randperm", recording)
        est.partial_fit(small_data).partial_fit(small_data)
    assert len(orders) == 2 and orders[0] != orders[1]


def test_torch_global_random_state_is_untouched(small_data):
    before = torch.random.get_rng_state()
    AutoEncoder(random_state=0, device="cpu").partial_fit(small_data)
    assert torch.equal(torch.random.get_rng_state(), before)


# ------------------------------------------------------------------ failure
def _state(est):
    net = est.net_
    return (
        {k: v for k, v in vars(est).items() if k not in est.get_params()},
        _weights(est),
        [
            (index, key, torch.as_tensor(value).clone())
            for opt in net.phase_optimizers()
            for index, state in opt.state_dict()["state"].items()
            for key, value in state.items()
        ],
        len(net.history),
    )


@pytest.mark.parametrize("failure", ["interrupt", "divergence", "bad data"])
@pytest.mark.parametrize("fitted", [False, True], ids=["first call", "later call"])
def test_a_failed_call_leaves_the_estimator_as_it_was(
    failure, fitted, small_data, monkeypatch
):
    from sklearn_ae._net import AutoEncoderNet

    est = VariationalAutoEncoder(
        hidden_layer_sizes=(8,), batch_size=20, random_state=0, device="cpu"
    )
    if fitted:
        est.partial_fit(small_data).partial_fit(small_data[:25])
        before = _state(est)
    data, error = small_data, KeyboardInterrupt
    if failure == "divergence":
        data, error = small_data * 1e18, FloatingPointError
        est.set_params(learning_rate_init=1e30)
    elif failure == "bad data":
        data, error = small_data.copy(), ValueError
        data[3, 2] = np.nan
    else:
        calls = []
        train_step = AutoEncoderNet.train_step

        def interrupted(self, batch, **fit_params):
            calls.append(1)
            if len(calls) == 2:  # after one update of this call
                raise KeyboardInterrupt
            return train_step(self, batch, **fit_params)

        monkeypatch.setattr(AutoEncoderNet, "train_step", interrupted)
    with pytest.raises(error):
        est.partial_fit(data)
    monkeypatch.undo()
    if not fitted:
        assert not hasattr(est, "n_features_in_") and not hasattr(est, "net_")
        return
    attributes, weights, optimizers, n_epochs = _state(est)
    assert attributes.keys() == before[0].keys()
    for name, value in before[0].items():
        assert attributes[name] is value, f"{name} changed"
    for name, value in before[1].items():
        torch.testing.assert_close(weights[name], value, rtol=0, atol=0)
    assert len(optimizers) == len(before[2])
    for (index, key, value), (*name, value_before) in zip(
        optimizers, before[2], strict=True
    ):
        assert [index, key] == name
        torch.testing.assert_close(value, value_before, rtol=0, atol=0)
    assert n_epochs == before[3] == est.n_iter_ == 2
    # ... and the next call trains as if the failed one never happened.
    est.set_params(learning_rate_init=1e-3).partial_fit(small_data)
    clean = VariationalAutoEncoder(
        hidden_layer_sizes=(8,), batch_size=20, random_state=0, device="cpu"
    )
    clean.partial_fit(small_data).partial_fit(small_data[:25]).partial_fit(small_data)
    _assert_same_weights(est, clean)


# -------------------------------------------------------------- bad input
def test_other_features_are_refused(small_data):
    est = AutoEncoder(hidden_layer_sizes=(8,), random_state=0, device="cpu")
    est.partial_fit(small_data)
    with pytest.raises(ValueError, match="X has 4 features, but AutoEncoder is"):
        est.partial_fit(small_data[:, :4])
    assert est.n_iter_ == 1


def test_a_changed_network_is_refused(small_data):
    est = AutoEncoder(hidden_layer_sizes=(8,), random_state=0, device="cpu")
    est.partial_fit(small_data).set_params(hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match=r"partial_fit continues the fitted network"):
        est.partial_fit(small_data)
    assert est.n_iter_ == 1


def test_a_changed_objective_is_refused(small_data):
    est = VariationalAutoEncoder(hidden_layer_sizes=(8,), random_state=0)
    est.set_params(device="cpu").partial_fit(small_data).set_params(beta=0.0)
    with pytest.raises(ValueError, match=r"warm_start=True or partial_fit\) cannot"):
        est.partial_fit(small_data)
    assert est.n_iter_ == 1


# ------------------------------------------------- with fit and the settings
def test_partial_fit_continues_a_fitted_model(small_data):
    est = AutoEncoder(
        hidden_layer_sizes=(8,),
        batch_size=32,
        max_iter=3,
        n_iter_no_change=None,
        random_state=0,
    ).set_params(device="cpu")
    est.fit(small_data)
    offset = est.net_.module_.offset.clone()
    updates = _n_updates(est)
    est.partial_fit(small_data[:40] + 5)
    assert est.n_iter_ == 4 and est.loss_curve_.shape == (4,)
    assert _n_updates(est) == updates + 2
    torch.testing.assert_close(est.net_.module_.offset, offset, rtol=0, atol=0)
    # A new fit starts afresh, unless warm_start continues.
    assert est.fit(small_data).n_iter_ == 3


def test_stopping_rules_and_schedules_are_ignored(small_data):
    est = AutoEncoder(
        hidden_layer_sizes=(8,),
        max_iter=1,
        early_stopping=True,
        validation_fraction=0.5,  # fit would train on 30 rows: 1 batch
        batch_size=32,
        n_iter_no_change=1,
        tol=10.0,  # any fit would stop after 2 epochs
        learning_rate="cosine",
        random_state=0,
        device="cpu",
    )
    for _ in range(4):
        est.partial_fit(small_data)
    assert est.n_iter_ == 4
    assert not hasattr(est, "validation_loss_curve_")
    assert _n_updates(est) == 8  # every row trains: nothing held out
    rates = {g["lr"] for g in est.net_.optimizer_.param_groups}
    assert rates == {est.learning_rate_init}


def test_a_saved_stream_loads_and_continues(tmp_path, small_data):
    est = AutoEncoder(hidden_layer_sizes=(8,), random_state=0, device="cpu")
    est.partial_fit(small_data[:30]).partial_fit(small_data[30:])
    save(est, tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    np.testing.assert_array_equal(
        loaded.transform(small_data), est.transform(small_data)
    )
    loaded.partial_fit(small_data)
    assert loaded.n_iter_ == 3
    np.testing.assert_array_equal(loaded.loss_curve_[:2], est.loss_curve_)
    np.testing.assert_array_equal(
        loaded.loss_curve_, loaded.net_.history[:, "train_loss"]
    )


def test_a_call_passes_over_every_row_of_a_large_chunk(monkeypatch, small_data):
    # fit's iterations stop at UPDATES_PER_ITERATION updates; a partial_fit
    # call is one pass over its chunk, however large.
    from sklearn_ae import _settings

    monkeypatch.setattr(_settings, "UPDATES_PER_ITERATION", 2)
    est = AutoEncoder(hidden_layer_sizes=(8,), batch_size=10, random_state=0)
    est.partial_fit(small_data).partial_fit(small_data)
    assert est.n_updates_ == 2 * int(np.ceil(len(small_data) / 10)) > 4
