"""Every estimator's public methods under generated inputs and parameters.

The contract: a call returns arrays of the documented shape and dtype
(finite, for data in a sane range) or raises a ValueError, TypeError,
NotFittedError or the documented FloatingPointError; a failed fit leaves
the estimator as it was (unfitted, or with its previous model). Hypothesis
generates odd shapes, dtypes, values and parameters; ``derandomize`` makes
the CI run the same cases every time.
"""

import os
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from tests._support import small_estimators

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

ESTIMATORS = small_estimators()
ALLOWED = (ValueError, TypeError, NotFittedError, FloatingPointError)
# Cases per run: about 0.2 s each with these tiny networks.
# FUZZ_EXAMPLES=2000 runs a longer, randomised search.
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 150))

VALUES = {
    "normal": lambda rng, shape: rng.normal(size=shape),
    "unit": lambda rng, shape: rng.uniform(size=shape),
    "large": lambda rng, shape: rng.normal(size=shape) * 1e6,
    "tiny": lambda rng, shape: rng.normal(size=shape) * 1e-30,
    "constant": lambda rng, shape: np.full(shape, 3.0),
    "integers": lambda rng, shape: rng.integers(-3, 4, size=shape),
    "huge": lambda rng, shape: rng.normal(size=shape) * 1e30,
    "nan": lambda rng, shape: np.where(rng.uniform(size=shape) < 0.2, np.nan, 1.0),
    "inf": lambda rng, shape: np.where(rng.uniform(size=shape) < 0.2, np.inf, 1.0),
}
# Values of a sane range: a fitted model must give finite outputs for them.
SANE = {"normal", "unit", "constant", "integers", "tiny"}


@st.composite
def data(draw, n_features=None):
    n = draw(st.integers(0, 25))
    p = draw(st.integers(0, 7)) if n_features is None else n_features
    kind = draw(st.sampled_from(sorted(VALUES)))
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "float16", "bool"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    with np.errstate(all="ignore"):
        X = np.asarray(VALUES[kind](rng, (n, p))).astype(dtype)
    layout = draw(st.sampled_from(["C", "F", "list", "reversed"]))
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "reversed":
        X = X[::-1]
    elif layout == "list":
        X = X.tolist()
    return X, kind, dtype


PARAMETERS = st.fixed_dictionaries(
    {},
    optional={
        "n_components": st.sampled_from([1, 2, 3, 9]),
        "batch_size": st.sampled_from([1, 3, 1000]),
        "max_iter": st.sampled_from([1, 2]),
        "learning_rate_init": st.sampled_from([1e-3, 0.1, 1e30]),
        "early_stopping": st.booleans(),
        "validation_fraction": st.sampled_from([0.1, 0.5, 0.9]),
        "learning_rate": st.sampled_from(["auto", "constant", "cosine"]),
        "weight_decay": st.sampled_from([0.0, 0.3]),
    },
)


def _is_unfitted(est):
    return not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]


def _check_output(out, n_rows, n_columns, dtype, sane):
    assert isinstance(out, np.ndarray)
    assert out.shape == ((n_rows,) if n_columns is None else (n_rows, n_columns))
    assert out.dtype == dtype, (out.dtype, dtype)
    if sane:
        assert np.isfinite(out).all(), "non-finite output for sane input"


def _call(method, *args):
    """``method(*args)``, or None when it raised an allowed error."""
    try:
        result = method(*args)
    except ALLOWED as exc:
        hypothesis.event(f"{method.__name__}: {type(exc).__name__}")
        return None
    hypothesis.event(f"{method.__name__}: ok")
    return result


@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_EXAMPLES") is None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
@hypothesis.given(
    index=st.integers(0, len(ESTIMATORS) - 1),
    params=PARAMETERS,
    train=data(),
    other=st.data(),
    labels=st.sampled_from(["none", "some", "all"]),
    warm=st.booleans(),
)
def test_public_methods_keep_their_contract(index, params, train, other, labels, warm):
    X, kind, _ = train
    est = clone(ESTIMATORS[index]).set_params(**params)
    n = len(X)
    y = None
    if labels != "none" and n:
        y = np.arange(n) % 2 if labels == "all" else np.where(np.arange(n) % 3, -1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = _call(est.fit, X, y)
        if fitted is None:
            assert _is_unfitted(est), "a failed fit left fitted attributes"
            with pytest.raises(NotFittedError):
                est.transform(np.zeros((2, 3)))
            return
        assert fitted is est
        assert kind in VALUES  # fit accepted the data
        dtype = np.float32 if np.asarray(X).dtype == np.float32 else np.float64
        n_features = est.n_features_in_
        n_codes = len(est.get_feature_names_out())
        sane = kind in SANE
        codes = est.transform(X)
        _check_output(codes, n, n_codes, dtype, sane)
        _check_output(est.inverse_transform(codes), n, n_features, dtype, sane)
        scores = est.score_samples(X)
        _check_output(scores, n, None, dtype, False)
        assert not np.isnan(scores).any(), "a score is NaN"

        # New data of any shape, dtype and values.
        X2, kind2, _ = other.draw(
            data(
                n_features=other.draw(st.sampled_from([n_features, n_features + 1, 0]))
            )
        )
        out = _call(est.transform, X2)
        if out is not None:
            dtype2 = np.float32 if np.asarray(X2).dtype == np.float32 else np.float64
            _check_output(out, len(X2), n_codes, dtype2, kind2 in SANE)
            _call(est.inverse_transform, out)
        out = _call(est.score_samples, X2)
        if out is not None:
            assert out.shape == (len(X2),) and not np.isnan(out).any()
        if hasattr(est, "sample"):
            n_samples = other.draw(st.sampled_from([0, 1, 3, -1, 2.5]))
            samples = _call(est.sample, n_samples)
            if samples is not None:
                _check_output(samples, n_samples, n_features, np.float64, True)

        if warm:
            # A second, warm fit that may fail must keep the first model.
            before = est.transform(X)
            est.set_params(warm_start=True, **other.draw(PARAMETERS))
            X3, _, _ = other.draw(data(n_features=n_features))
            if _call(est.fit, X3, None) is None:
                np.testing.assert_array_equal(est.transform(X), before)
