"""The package's settings: torch's CPU threads bounded in every call."""

from unittest import mock

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info, threadpool_limits

import sklearn_ae
from sklearn_ae import (
    AutoEncoder,
    VariationalAutoEncoder,
    config_context,
    get_config,
    set_config,
)
from sklearn_ae._config import _check_max_threads

X = np.random.default_rng(0).normal(size=(120, 5))
SMALL = {"hidden_layer_sizes": (8,), "max_iter": 2, "device": "cpu", "random_state": 0}


@pytest.fixture
def two_threads():
    """torch at two threads for the test, as on a 2-core machine by default."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def threads_seen(call):
    """The torch thread counts with which ``call`` ran the network."""
    seen = set()
    forward = torch.nn.Module.__call__

    def recording(module, *args, **kwargs):
        seen.add(torch.get_num_threads())
        return forward(module, *args, **kwargs)

    with mock.patch.object(torch.nn.Module, "__call__", recording):
        call()
    return seen


def test_the_default_is_one_thread():
    assert get_config() == {"max_threads": 1}


@pytest.mark.usefixtures("two_threads")
def test_every_call_computes_on_one_thread_by_default():
    model = VariationalAutoEncoder(**SMALL)
    assert threads_seen(lambda: model.fit(X)) == {1}
    assert threads_seen(lambda: model.partial_fit(X)) == {1}
    for call in (
        lambda: model.transform(X),
        lambda: model.inverse_transform(model.transform(X)),
        lambda: model.score(X),
        lambda: model.sample(5, random_state=0),
        lambda: model.log_likelihood(X, n_importance=2),
    ):
        assert threads_seen(call) == {1}
    # torch's own setting is back once the call has returned.
    assert torch.get_num_threads() == 2


@pytest.mark.usefixtures("two_threads")
def test_none_leaves_torchs_count_and_an_int_bounds_it():
    with config_context(max_threads=None):
        assert threads_seen(lambda: AutoEncoder(**SMALL).fit(X)) == {2}
    with config_context(max_threads=2):
        assert threads_seen(lambda: AutoEncoder(**SMALL).fit(X)) == {2}
        # The bound never raises the count that a parallel worker's limit
        # (joblib, threadpoolctl) has set.
        with threadpool_limits(1):
            assert threads_seen(lambda: AutoEncoder(**SMALL).fit(X)) == {1}
    assert get_config()["max_threads"] == 1


@pytest.mark.usefixtures("two_threads")
def test_a_failed_fit_restores_the_thread_count():
    with pytest.raises(ValueError, match="n_components"):
        AutoEncoder(n_components=9, **{**SMALL}).fit(X)
    assert torch.get_num_threads() == 2


def test_one_thread_gives_the_same_model_as_setting_torch_by_hand(two_threads):
    """The bound is the whole change: a fit under it equals a one-thread fit."""
    bounded = AutoEncoder(**SMALL).fit(X).transform(X)
    torch.set_num_threads(1)
    with config_context(max_threads=None):
        by_hand = AutoEncoder(**SMALL).fit(X).transform(X)
    np.testing.assert_array_equal(bounded, by_hand)


def test_set_config_changes_it_for_the_running_thread():
    try:
        set_config(max_threads=3)
        assert sklearn_ae.get_config()["max_threads"] == 3
        set_config()  # no argument: nothing changes
        assert get_config()["max_threads"] == 3
    finally:
        set_config(max_threads=1)


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2", np.array(2.0)])
def test_bad_values_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="max_threads must be a positive integer"):
        set_config(max_threads=bad)
    assert get_config()["max_threads"] == 1


@pytest.mark.parametrize(
    "text, value", [("1", 1), ("4", 4), ("none", None), ("None", None), ("", None)]
)
def test_the_environment_variable_is_read(text, value):
    assert _check_max_threads(text, source="SKLEARN_AE_MAX_THREADS") == value


@pytest.mark.parametrize("text", ["0", "two", "-3"])
def test_a_bad_environment_variable_is_named(text):
    with pytest.raises(ValueError, match="SKLEARN_AE_MAX_THREADS"):
        _check_max_threads(text, source="SKLEARN_AE_MAX_THREADS")


def library_threads():
    return {(info["prefix"], info["num_threads"]) for info in threadpool_info()}


def test_a_fit_bounds_blas_and_openmp_too_and_restores_them():
    seen = []
    fit = AutoEncoder._fit

    def spying(self, *args, **kwargs):
        seen.append(library_threads())
        return fit(self, *args, **kwargs)

    with threadpool_limits(limits=2), mock.patch.object(AutoEncoder, "_fit", spying):
        before = library_threads()
        AutoEncoder(**SMALL).fit(X)
        assert {threads for _, threads in seen[0]} == {1}
        assert library_threads() == before
        with config_context(max_threads=None):
            AutoEncoder(**SMALL).fit(X)
        assert seen[1] == before


def test_a_neighbour_graph_fit_does_not_depend_on_blas_threads():
    """The manifold model's graph comes from BLAS sums, ordered by its threads.

    Unbounded, BLAS on one thread and on two gave codes differing by up to
    0.012 here (and held-out 5-NN accuracy 0.950 against 0.936 on the
    benchmark's digits); under the default bound they are the same.
    """
    from sklearn.datasets import load_digits

    from sklearn_ae import ManifoldAutoEncoder

    digits = load_digits().data[:600] / 16
    params = {"hidden_layer_sizes": (32,), "max_iter": 3, "random_state": 0}

    def codes(blas_threads):
        with threadpool_limits(limits=blas_threads):
            model = ManifoldAutoEncoder(device="cpu", **params).fit(digits)
            return model.transform(digits)

    np.testing.assert_array_equal(codes(1), codes(2))


def test_a_fit_during_inference_still_bounds_the_libraries():
    """The outermost block is inference (no library bound); a fit joins it."""
    from sklearn_ae._config import bounded_threads

    seen = []
    fit = AutoEncoder._fit

    def spying(self, *args, **kwargs):
        seen.append({threads for _, threads in library_threads()})
        return fit(self, *args, **kwargs)

    with threadpool_limits(limits=2), mock.patch.object(AutoEncoder, "_fit", spying):
        before = library_threads()
        with bounded_threads():  # as a transform running in another thread
            AutoEncoder(**SMALL).fit(X)
        assert seen == [{1}]
        assert library_threads() == before


# ------------------------------------------------ per thread, and in joblib
def _in_thread(target):
    import threading

    errors = []

    def run():
        try:
            target()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_overlapping_blocks_in_two_threads_leave_the_setting_unchanged():
    import threading

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with config_context(max_threads=3):
            a_in.set()
            b_in.wait(10)
            seen["a"] = get_config()["max_threads"]
        a_out.set()

    def second():
        a_in.wait(10)
        with config_context(max_threads=4):
            b_in.set()
            a_out.wait(10)
            seen["b"] = get_config()["max_threads"]
        seen["b after"] = get_config()["max_threads"]

    (a, a_errors), (b, b_errors) = _in_thread(first), _in_thread(second)
    a.join(20)
    b.join(20)
    assert not a_errors and not b_errors, a_errors + b_errors
    assert seen == {"a": 3, "b": 4, "b after": 1}
    assert get_config() == {"max_threads": 1}


def test_set_config_in_another_thread_leaves_this_one_alone():
    thread, errors = _in_thread(lambda: set_config(max_threads=5))
    thread.join(20)
    assert not errors
    assert get_config() == {"max_threads": 1}


@pytest.mark.usefixtures("two_threads")
def test_a_call_joining_a_running_one_computes_within_its_own_bound():
    import threading

    from sklearn_ae._config import bounded_threads

    running, done = threading.Event(), threading.Event()

    def unbounded_call():
        with config_context(max_threads=None), bounded_threads():
            running.set()
            done.wait(10)

    thread, errors = _in_thread(unbounded_call)
    running.wait(10)
    try:
        model = AutoEncoder(**SMALL).fit(X)
        assert threads_seen(lambda: model.transform(X)) == {1}
    finally:
        done.set()
        thread.join(20)
    assert not errors
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("backend", ["loky", "threading"])
def test_a_joblib_worker_sees_the_callers_max_threads(backend):
    from joblib import Parallel

    with config_context(max_threads=3):
        calls = [sklearn_ae.delayed(get_config)() for _ in range(4)]
    results = Parallel(n_jobs=2, backend=backend)(calls)
    assert [r["max_threads"] for r in results] == [3] * 4


def test_scikit_learns_parallel_carries_both_settings():
    import sklearn
    from sklearn.utils.parallel import Parallel

    def both():
        return get_config()["max_threads"], sklearn.get_config()["assume_finite"]

    with config_context(max_threads=2), sklearn.config_context(assume_finite=True):
        calls = [sklearn_ae.delayed(both)() for _ in range(2)]
        results = Parallel(n_jobs=2, backend="threading")(calls)
    assert results == [(2, True)] * 2
