"""Saving and loading estimators that hold ours (``sklearn_ae.save``/``load``)."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

import sklearn_ae
from sklearn_ae import AutoEncoder, VariationalAutoEncoder, load, save

ROOT = Path(sklearn_ae.__file__).resolve().parents[1]
SMALL = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0}

# Run by a fresh interpreter with pickle and torch.load disabled.
LOAD_AND_TRANSFORM = """
import pickle, sys
import numpy as np
import torch

def refuse(*args, **kwargs):
    raise AssertionError("load must not unpickle")

pickle.load = pickle.loads = torch.load = refuse
import sklearn_ae

pipe = sklearn_ae.load(sys.argv[1])
np.save(sys.argv[3], pipe.transform(np.load(sys.argv[2])))
"""


@pytest.fixture(scope="module")
def pipeline(small_data):
    return make_pipeline(
        MinMaxScaler(), VariationalAutoEncoder(n_components=2, **SMALL)
    ).fit(small_data)


def test_pipeline_round_trips_in_a_fresh_process(pipeline, small_data, tmp_path):
    path = tmp_path / "pipe.skae"
    save(pipeline, path)
    X_path = tmp_path / "X.npy"
    np.save(X_path, small_data)
    out = tmp_path / "codes.npy"
    subprocess.run(
        [sys.executable, "-c", LOAD_AND_TRANSFORM, *map(str, (path, X_path, out))],
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    np.testing.assert_array_equal(np.load(out), pipeline.transform(small_data))


def test_bundle_holds_skops_and_our_archive_no_pickle(pipeline, tmp_path):
    path = tmp_path / "pipe.skae"
    save(pipeline, path)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == [
            "bundle.json",
            "estimator.skops",
            "models/0.skae",
        ]
        shell = archive.read("estimator.skops")
    assert sio.get_untrusted_types(data=shell) == []
    # The placeholder stands where the autoencoder was.
    steps = sio.loads(shell).steps
    assert steps[1][1] == {"__sklearn_ae_model__": 0}


def test_save_leaves_the_estimator_unchanged(pipeline, small_data, tmp_path):
    before = pipeline.steps[1][1]
    save(pipeline, tmp_path / "pipe.skae")
    assert pipeline.steps[1][1] is before
    assert pipeline.transform(small_data).shape == (small_data.shape[0], 2)


def test_column_transformer_with_unfitted_originals(small_data, tmp_path):
    X = small_data
    ct = ColumnTransformer(
        [
            ("ae", AutoEncoder(n_components=2, **SMALL), [0, 1, 2, 3]),
            ("sc", "drop", [4]),
        ],
        remainder=StandardScaler(),
    ).fit(X)
    save(ct, tmp_path / "ct.skae")
    loaded = load(tmp_path / "ct.skae")
    np.testing.assert_array_equal(loaded.transform(X), ct.transform(X))
    # The transformer it was given stays unfitted, with its parameters.
    original = loaded.transformers[0][1]
    assert not hasattr(original, "net_")
    assert original.get_params() == ct.transformers[0][1].get_params()


def test_grid_search_best_estimator(small_data, tmp_path):
    X = small_data
    search = GridSearchCV(
        make_pipeline(MinMaxScaler(), AutoEncoder(**SMALL)),
        {"autoencoder__n_components": [1, 2]},
        cv=2,
    ).fit(X)
    save(search.best_estimator_, tmp_path / "best.skae")
    loaded = load(tmp_path / "best.skae", device="cpu")
    np.testing.assert_array_equal(loaded.transform(X), search.transform(X))


def test_save_refuses_what_load_would_not_trust(pipeline, tmp_path):
    def log1p(X):
        return np.log1p(X)

    pipe = make_pipeline(FunctionTransformer(log1p), pipeline)
    with pytest.raises(ValueError, match="skops does not trust by default"):
        save(pipe, tmp_path / "pipe.skae")
    assert not (tmp_path / "pipe.skae").exists()


def test_save_refuses_a_subclass_inside(small_data, tmp_path):
    class MyAutoEncoder(AutoEncoder):
        pass

    pipe = make_pipeline(MinMaxScaler(), MyAutoEncoder(n_components=2, **SMALL))
    with pytest.raises(TypeError, match=r"not the subclass .*MyAutoEncoder"):
        save(pipe.fit(small_data), tmp_path / "pipe.skae")


def _rewrite(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_load_refuses_untrusted_types(pipeline, tmp_path, monkeypatch):
    # A bundle whose skops part holds the estimator itself: building it
    # would need a type skops does not trust by default.
    path = tmp_path / "pipe.skae"
    save(pipeline, path)
    members = _members(path)
    members["estimator.skops"] = sio.dumps(pipeline)
    _rewrite(path, members)
    monkeypatch.setattr(
        sio, "loads", lambda *a, **k: pytest.fail("an untrusted file was built")
    )
    with pytest.raises(ValueError, match="does not trust by default"):
        load(path)


def _saved_with(pipeline, path, **changes):
    """Save ``pipeline`` to ``path``, then change entries of its bundle.json."""
    save(pipeline, path)
    members = _members(path)
    document = {**json.loads(members["bundle.json"]), **changes}
    members["bundle.json"] = json.dumps(document).encode()
    _rewrite(path, members)
    return path


def test_load_refuses_a_listing_that_does_not_match(pipeline, tmp_path):
    path = _saved_with(pipeline, tmp_path / "p.skae", models=["../outside.skae"])
    with pytest.raises(ValueError, match="do not match its listing"):
        load(path)


def test_load_refuses_an_unknown_bundle_version(pipeline, tmp_path):
    path = _saved_with(pipeline, tmp_path / "p.skae", format_version=99)
    with pytest.raises(ValueError, match="bundle version 99"):
        load(path)


def test_load_refuses_another_format(pipeline, tmp_path):
    path = _saved_with(pipeline, tmp_path / "p.skae", format="something-else")
    with pytest.raises(ValueError, match="not an sklearn-ae bundle"):
        load(path)


def test_load_refuses_a_corrupted_skops_member(pipeline, tmp_path):
    path = tmp_path / "pipe.skae"
    save(pipeline, path)
    members = _members(path)
    members["estimator.skops"] = members["estimator.skops"][:100]
    _rewrite(path, members)
    with pytest.raises(ValueError, match=r"estimator\.skops is not a valid skops"):
        load(path)
