"""A fitted estimator's state as numpy arrays: pickle and skops.io."""

import os
import pickle
import pickletools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import sklearn_ae
from sklearn_ae import VariationalAutoEncoder
from tests._support import small_estimators

ESTIMATORS = small_estimators()
IDS = [f"{i}-{type(est).__name__}" for i, est in enumerate(ESTIMATORS)]
ROOT = Path(sklearn_ae.__file__).resolve().parents[1]

estimators = pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)


def _globals(data):
    """The modules a pickle imports objects from."""
    modules = set()
    strings = []
    for opcode, arg, _ in pickletools.genops(data):
        if opcode.name == "GLOBAL":
            modules.add(arg.split(" ")[0])
        elif opcode.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        elif opcode.name == "STACK_GLOBAL":
            modules.add(strings[-2])
    return modules


def _outputs(est, X):
    codes = est.transform(X)
    return codes, est.inverse_transform(codes), est.score_samples(X)


@estimators
def test_pickle_holds_no_torch_object(estimator, small_data):
    est = clone(estimator).fit(small_data)
    modules = _globals(pickle.dumps(est))
    assert not [m for m in modules if m.split(".")[0] in ("torch", "skorch")], modules


@estimators
def test_skops_round_trip_trusting_only_the_estimator_class(estimator, small_data):
    est = clone(estimator).fit(small_data)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted == [f"{type(est).__module__}.{type(est).__name__}"]
    restored = sio.loads(data, trusted=untrusted)
    for got, want in zip(
        _outputs(restored, small_data), _outputs(est, small_data), strict=True
    ):
        np.testing.assert_array_equal(got, want)


@estimators
def test_unpickled_model_warm_starts_like_the_original(estimator, small_data):
    # The optimizers' state (Adam's moments) comes back with the weights.
    est = clone(estimator).fit(small_data)
    restored = pickle.loads(pickle.dumps(est))
    est.set_params(warm_start=True, max_iter=2).fit(small_data)
    restored.set_params(warm_start=True, max_iter=2).fit(small_data)
    assert restored.n_iter_ == est.n_iter_
    np.testing.assert_array_equal(
        restored.transform(small_data), est.transform(small_data)
    )


def test_unpickling_leaves_torch_rng_untouched(small_data):
    import torch

    est = clone(ESTIMATORS[0]).fit(small_data)
    data = pickle.dumps(est)
    before = torch.get_rng_state()
    pickle.loads(data)
    assert torch.equal(before, torch.get_rng_state())


def test_pipeline_round_trips_through_skops_in_a_fresh_process(small_data, tmp_path):
    X = small_data
    pipe = make_pipeline(
        MinMaxScaler(),
        VariationalAutoEncoder(
            n_components=2, hidden_layer_sizes=(8,), max_iter=3, random_state=0
        ),
    ).fit(X)
    path = tmp_path / "pipe.skops"
    sio.dump(pipe, path)
    np.save(tmp_path / "X.npy", X)
    script = (
        "import sys, numpy as np, skops.io as sio\n"
        "path, X = sys.argv[1], np.load(sys.argv[2])\n"
        "untrusted = sio.get_untrusted_types(file=path)\n"
        "assert untrusted == ['sklearn_ae._vae.VariationalAutoEncoder'], untrusted\n"
        "pipe = sio.load(path, trusted=untrusted)\n"
        "np.save(sys.argv[3], pipe.transform(X))\n"
    )
    out = tmp_path / "codes.npy"
    subprocess.run(
        [sys.executable, "-c", script, str(path), str(tmp_path / "X.npy"), str(out)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    np.testing.assert_array_equal(np.load(out), pipe.transform(X))


def test_unpickles_after_the_network_parameters_changed(small_data):
    # The weights are the fitted network's, whatever the parameters say now.
    est = VariationalAutoEncoder(
        n_components=2, hidden_layer_sizes=(8,), max_iter=2, random_state=0
    ).fit(small_data)
    est.set_params(n_components=1, hidden_layer_sizes=(4, 4))
    restored = pickle.loads(pickle.dumps(est))
    assert restored.get_params() == est.get_params()
    np.testing.assert_array_equal(
        restored.transform(small_data), est.transform(small_data)
    )


def test_a_pickle_from_before_the_later_parameters_unpickles_with_defaults(
    small_data,
):
    est = clone(ESTIMATORS[0]).fit(small_data)
    state = est.__getstate__()
    for name in ("encoder", "decoder", "callbacks", "optimizer", "optimizer_params"):
        del state[name]
    old = type(est).__new__(type(est))
    old.__setstate__(state)
    assert old.get_params() == est.get_params()
    np.testing.assert_array_equal(old.transform(small_data), est.transform(small_data))
