"""ONNX export (``sklearn_ae.export_onnx``), run in onnxruntime."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MinMaxScaler,
    PolynomialFeatures,
    StandardScaler,
)

from sklearn_ae import AutoEncoder, VariationalAutoEncoder, export_onnx
from tests._support import small_estimators

pytest.importorskip("onnx")
pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")

ESTIMATORS = small_estimators()
IDS = [f"{i}-{type(est).__name__}" for i, est in enumerate(ESTIMATORS)]
# The exported graph computes in float32, the estimator here in float64.
TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def _run(path, X):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["Y"], {"X": np.asarray(X, dtype=np.float32)})[0]


def _assert_exports_match(est, X, folder):
    """Both methods' exports, run in onnxruntime, match the estimator's."""
    codes = est.transform(X)
    export_onnx(est, folder / "transform.onnx")
    np.testing.assert_allclose(_run(folder / "transform.onnx", X), codes, **TOLERANCE)
    export_onnx(est, folder / "inverse.onnx", method="inverse_transform")
    np.testing.assert_allclose(
        _run(folder / "inverse.onnx", codes), est.inverse_transform(codes), **TOLERANCE
    )


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_every_estimator_matches_its_methods(estimator, small_data, tmp_path):
    _assert_exports_match(clone(estimator).fit(small_data), small_data, tmp_path)


@pytest.fixture(scope="module")
def pipeline(small_data):
    return make_pipeline(
        StandardScaler(),
        MinMaxScaler(),
        VariationalAutoEncoder(
            n_components=2, hidden_layer_sizes=(8,), max_iter=3, random_state=0
        ),
    ).fit(small_data)


def test_pipeline_of_scalers_and_ours(pipeline, small_data, tmp_path):
    _assert_exports_match(pipeline, small_data, tmp_path)


def test_any_number_of_rows(pipeline, small_data, tmp_path):
    export_onnx(pipeline, tmp_path / "pipe.onnx")
    for rows in (1, 7):
        np.testing.assert_allclose(
            _run(tmp_path / "pipe.onnx", small_data[:rows]),
            pipeline.transform(small_data[:rows]),
            **TOLERANCE,
        )


def test_inverse_needs_affine_steps(small_data, tmp_path):
    pipe = make_pipeline(
        PolynomialFeatures(2),
        AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=2),
    ).fit(small_data)
    with pytest.raises(ValueError, match="every step before the autoencoder"):
        export_onnx(pipe, tmp_path / "x.onnx", method="inverse_transform")
    pipe = make_pipeline(
        FunctionTransformer(np.arcsinh, np.sinh),
        AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=2),
    ).fit(small_data)
    with pytest.raises(ValueError, match="per-feature affine"):
        export_onnx(pipe, tmp_path / "x.onnx", method="inverse_transform")


def test_errors(tmp_path, small_data):
    with pytest.raises(NotFittedError):
        export_onnx(AutoEncoder(), tmp_path / "x.onnx")
    with pytest.raises(TypeError, match="ending in StandardScaler"):
        export_onnx(make_pipeline(StandardScaler()).fit(small_data), tmp_path / "x")
    est = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_iter=1)
    with pytest.raises(ValueError, match="method='predict' must be one of"):
        export_onnx(est.fit(small_data), tmp_path / "x.onnx", method="predict")


def test_a_principal_subspace_exports(tmp_path):
    from sklearn_ae import ManifoldAutoEncoder

    rng = np.random.default_rng(0)
    X = (rng.normal(size=(120, 5)) @ rng.normal(size=(5, 30))).astype(np.float32)
    model = ManifoldAutoEncoder(
        principal_components=6, hidden_layer_sizes=(16,), max_iter=2, random_state=0
    ).fit(X)
    assert model.n_principal_components_ == 6
    _assert_exports_match(model, X, tmp_path)
