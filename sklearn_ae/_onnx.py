"""Exporting a fitted estimator, or a pipeline ending in one, to ONNX.

The network goes through torch's ONNX exporter; the scikit-learn steps
before it in a pipeline go through skl2onnx, and the two graphs are joined
with ``onnx.compose``. The file then runs without sklearn-ae, torch or
scikit-learn, in onnxruntime or any other ONNX runtime.
"""

import copy
import inspect
import io
import warnings

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._base import _BaseAutoEncoder
from ._inference import decode_rows, encode_rows

METHODS = ("transform", "inverse_transform")
# Opset 17 is read by onnxruntime 1.13 (2022) on; both exporters write it.
OPSET = 17
INPUT, OUTPUT = "X", "Y"
# How far a step's inverse_transform may stray from the affine map fitted
# to it, relative to its outputs, for the export to call it affine.
AFFINE_RTOL = 1e-6


def export_onnx(estimator, path, method="transform"):
    """Write a fitted estimator's ``transform`` or ``inverse_transform`` as ONNX.

    The file has one input, ``"X"``, a float32 tensor of shape
    ``(n_samples, n_features)`` (the method's input), and one output,
    ``"Y"``, the method's float32 result; any number of rows may be passed.
    It computes what the estimator's method computes on float32 input.
    Needs the ``onnx`` extra (``pip install "sklearn-ae[onnx]"``).

    Parameters
    ----------
    estimator : estimator of sklearn_ae or Pipeline
        A fitted estimator of this package, or a fitted ``Pipeline`` whose
        last step is one. The pipeline's earlier steps are converted by
        `skl2onnx <https://onnx.ai/sklearn-onnx/>`__ for ``"transform"``;
        for ``"inverse_transform"`` they must be per-feature affine
        (``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler``,
        ``RobustScaler``).
    path : str or path-like
        Where to write the ``.onnx`` file.
    method : {"transform", "inverse_transform"}, default="transform"
        The method to export. The conditional VAE's export uses the labels
        its classifier predicts, as its ``transform(X)`` does without
        ``y``, and decodes with no class preferred.

    Raises
    ------
    ImportError
        If onnx or skl2onnx is not installed.
    TypeError
        If ``estimator`` is neither of this package nor a pipeline ending in
        one.
    ValueError
        If ``method`` is unknown, or a pipeline step before the estimator
        has no affine inverse (for ``"inverse_transform"``).
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn_ae import AutoEncoder, export_onnx
    >>> X = np.random.RandomState(0).rand(100, 8).astype(np.float32)
    >>> ae = AutoEncoder(n_components=2, max_iter=3, random_state=0).fit(X)
    >>> path = Path(tempfile.mkdtemp()) / "autoencoder.onnx"
    >>> export_onnx(ae, path)
    >>> session = onnxruntime.InferenceSession(path)
    >>> codes = session.run(None, {"X": X})[0]
    >>> bool(np.allclose(codes, ae.transform(X), atol=1e-5))
    True
    """
    onnx, compose = _onnx()
    if method not in METHODS:
        raise ValueError(f"method={method!r} must be one of {list(METHODS)}.")
    steps = estimator.steps if isinstance(estimator, Pipeline) else [(None, estimator)]
    model = steps[-1][1]
    if not isinstance(model, _BaseAutoEncoder):
        raise TypeError(
            "export_onnx takes a fitted estimator of sklearn_ae or a Pipeline "
            f"whose last step is one, got {type(estimator).__qualname__}"
            + (f" ending in {type(model).__qualname__}." if steps[0][0] else ".")
        )
    check_is_fitted(model)
    before = Pipeline(steps[:-1]) if len(steps) > 1 else None
    if method == "transform":
        graph = _network_graph(onnx, model, encode_rows, model.n_features_in_)
        if before is not None:
            graph = _joined(onnx, compose, _sklearn_graph(before), graph)
    else:
        affine = None if before is None else _affine_inverse(before, model)
        graph = _network_graph(onnx, model, decode_rows, model._n_features_out, affine)
    onnx.save(graph, str(path))


def _onnx():
    try:
        import onnx
        import onnx.compose
    except ImportError as exc:
        raise ImportError(
            'export_onnx needs onnx and skl2onnx: pip install "sklearn-ae[onnx]".'
        ) from exc
    return onnx, onnx.compose


class _Exported(torch.nn.Module):
    """One method of the trained module, then an optional affine map."""

    def __init__(self, module, rows, affine):
        super().__init__()
        self.module = module
        self.rows = rows
        scale, shift = (None, None) if affine is None else affine
        self.register_buffer("scale", scale)
        self.register_buffer("shift", shift)

    def forward(self, x):
        out = self.rows(self.module, x)
        if self.scale is not None:
            out = out * self.scale + self.shift
        return out


def _network_graph(onnx, model, rows, n_inputs, affine=None):
    """The ONNX model of ``rows`` on the fitted network, float32 on the CPU."""
    module = copy.deepcopy(model.net_.module_).to("cpu", torch.float32).eval()
    exported = _Exported(module, rows, affine)
    options = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        # The TorchScript exporter: the dynamo one needs onnxscript.
        options["dynamo"] = False
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter's deprecation notice is not the user's.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            exported,
            (torch.zeros(2, n_inputs),),
            buffer,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "n_samples"}, OUTPUT: {0: "n_samples"}},
            opset_version=OPSET,
            **options,
        )
    return onnx.load_from_string(buffer.getvalue())


def _sklearn_graph(pipeline):
    """The scikit-learn steps as ONNX, through skl2onnx."""
    try:
        from skl2onnx import to_onnx
    except ImportError as exc:
        raise ImportError(
            'export_onnx needs skl2onnx for a pipeline: pip install "sklearn-ae[onnx]".'
        ) from exc
    n_features = pipeline.n_features_in_
    # A float32 sample: skl2onnx types the graph's input after it, and the
    # network it feeds computes in float32.
    return to_onnx(
        pipeline,
        np.zeros((1, n_features), dtype=np.float32),
        target_opset={"": OPSET, "ai.onnx.ml": 3},
    )


def _joined(onnx, compose, first, second):
    """``second`` applied to the output of ``first``; names kept apart."""
    first = compose.add_prefix(first, "sklearn_", rename_inputs=False)
    second = compose.add_prefix(second, "network_", rename_outputs=False)
    # The two exporters may write different IR versions; the lower reads both.
    ir_version = min(first.ir_version, second.ir_version)
    first.ir_version = second.ir_version = ir_version
    joined = compose.merge_models(
        first,
        second,
        io_map=[(first.graph.output[0].name, "network_" + INPUT)],
    )
    onnx.checker.check_model(joined)
    return joined


def _affine_inverse(pipeline, model):
    """``(scale, shift)`` with ``pipeline.inverse_transform(Y) == Y * scale + shift``.

    ValueError if the steps have no inverse or it is not per-feature affine.
    """
    n = model.n_features_in_
    if not hasattr(pipeline, "inverse_transform"):
        raise ValueError(
            "export_onnx(method='inverse_transform') needs every step before "
            "the autoencoder to have inverse_transform; "
            f"{[name for name, _ in pipeline.steps]} do not all."
        )
    shift = pipeline.inverse_transform(np.zeros((1, n)))[0]
    scale = pipeline.inverse_transform(np.ones((1, n)))[0] - shift
    probe = np.random.default_rng(0).normal(size=(4, n))
    expected = pipeline.inverse_transform(probe)
    if not np.allclose(
        probe * scale + shift, expected, rtol=AFFINE_RTOL, atol=AFFINE_RTOL
    ):
        raise ValueError(
            "export_onnx(method='inverse_transform') supports steps before the "
            "autoencoder whose inverse is per-feature affine (StandardScaler, "
            f"MinMaxScaler, ...); the inverse of {pipeline.steps} is not."
        )
    return (
        torch.as_tensor(scale, dtype=torch.float32),
        torch.as_tensor(shift, dtype=torch.float32),
    )


__all__ = ["export_onnx"]
