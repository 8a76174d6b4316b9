"""Package-wide settings: how many CPU threads our calls may compute with.

torch computes each operation with as many threads as the machine has cores,
whatever else runs. The networks here are small, so extra threads gain
little on a quiet machine and cost several times over on a busy one, where
they spin against other jobs (the README's example: 26.3 s with one thread
and 26.6 s with two on a quiet 2-core machine; 50 s against 630 s on the same
machine loaded). So every fit, ``partial_fit`` and inference call bounds
torch's intra-op threads, by default to one, the way scikit-learn's
``n_jobs=None`` means one job, and a fit bounds the BLAS and OpenMP
libraries too; the counts are restored when the call returns. The setting
follows :func:`sklearn.set_config`'s form.
"""

import contextlib
import os
import sys
import threading
from numbers import Integral

import torch
from threadpoolctl import ThreadpoolController

_ENVIRONMENT_VARIABLE = "SKLEARN_AE_MAX_THREADS"


def _check_max_threads(value, source="max_threads"):
    if value is None:
        return None
    if isinstance(value, str) and source != "max_threads":
        if value.strip().lower() in ("", "none"):
            return None
        try:
            value = int(value)
        except ValueError:
            raise ValueError(
                f"{source} must be a positive integer or 'none', got {value!r}."
            ) from None
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{source} must be a positive integer or None, got {value!r}.")
    return int(value)


_config = {
    "max_threads": _check_max_threads(
        os.environ.get(_ENVIRONMENT_VARIABLE, "1"), source=_ENVIRONMENT_VARIABLE
    )
}
# torch's thread count is one per process: calls from several Python threads
# (joblib's threading backend) share it, so they change it one at a time.
_threads_lock = threading.RLock()
_active_calls = 0
_threads_before = None
_library_limits = None


def get_config():
    """The current values of sklearn-ae's settings.

    Returns
    -------
    config : dict
        ``{"max_threads": ...}``; see :func:`set_config`.

    See Also
    --------
    set_config : Change the settings.
    config_context : Change them inside a ``with`` block.

    Examples
    --------
    >>> import sklearn_ae
    >>> sklearn_ae.get_config()["max_threads"]
    1
    """
    return dict(_config)


def set_config(max_threads="unchanged"):
    """Change sklearn-ae's settings for this process.

    Parameters
    ----------
    max_threads : int or None, default=1
        The most CPU threads torch computes with during an estimator's
        ``fit``, ``partial_fit``, ``transform``, ``score``, ``sample`` and
        other calls, and, during a fit, the BLAS and OpenMP libraries that
        numpy and scikit-learn call (through threadpoolctl), so that a
        seeded fit does not depend on the machine's core count. The bound
        only lowers each count, never raises it, so the limits set inside
        parallel workers still hold: joblib's ``OMP_NUM_THREADS`` in a
        ``GridSearchCV(n_jobs=k)`` worker, ``threadpoolctl.threadpool_limits``,
        or :func:`torch.set_num_threads`.
        ``None`` leaves every count as it is. The default is 1, or the
        environment variable ``SKLEARN_AE_MAX_THREADS`` (an integer or
        ``none``) read at import. It has no effect on a GPU's computation.

    See Also
    --------
    get_config : The current settings.
    config_context : The same, inside a ``with`` block.

    Examples
    --------
    >>> import sklearn_ae
    >>> sklearn_ae.set_config(max_threads=2)
    >>> sklearn_ae.get_config()["max_threads"]
    2
    >>> sklearn_ae.set_config(max_threads=1)
    """
    if max_threads != "unchanged":
        _config["max_threads"] = _check_max_threads(max_threads)


@contextlib.contextmanager
def config_context(**settings):
    """Change sklearn-ae's settings inside a ``with`` block.

    Parameters
    ----------
    **settings
        The settings of :func:`set_config`; those not given keep their value.

    See Also
    --------
    set_config : Change the settings for the rest of the process.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import AutoEncoder, config_context
    >>> X = np.random.default_rng(0).normal(size=(100, 5))
    >>> with config_context(max_threads=None):  # torch's own thread count
    ...     model = AutoEncoder(max_iter=2, random_state=0).fit(X)
    """
    before = get_config()
    set_config(**settings)
    try:
        yield
    finally:
        _config.update(before)


@contextlib.contextmanager
def bounded_threads(*, libraries=False):
    """torch's intra-op threads at most ``max_threads`` inside the block.

    With ``libraries=True`` (a fit), the BLAS and OpenMP libraries that numpy
    and scikit-learn call (the manifold model's neighbour search, its SVD)
    are bounded too, through threadpoolctl: their thread count changes how
    their sums are ordered, and so the last bits of a neighbour graph and,
    through it, a fitted model. Each only ever lowered. Inference computes
    in torch alone and skips threadpoolctl's scan of the loaded libraries.

    Nested blocks (a ``fit`` that encodes) and concurrent ones share the
    outermost block's bound; the counts before the first are restored when
    the last one ends.
    """
    global _active_calls, _threads_before, _library_limits
    limit = _config["max_threads"]
    with _threads_lock:
        if _active_calls == 0:
            _threads_before = torch.get_num_threads()
            if limit is not None and limit < _threads_before:
                torch.set_num_threads(limit)
        # A fit that starts while only inference runs bounds the libraries
        # then; they stay bounded until the last block ends.
        if libraries and limit is not None and _library_limits is None:
            _library_limits = _limit_libraries(limit)
        _active_calls += 1
    try:
        yield
    finally:
        with _threads_lock:
            _active_calls -= 1
            if _active_calls == 0:
                if _library_limits is not None:
                    _library_limits.restore_original_limits()
                    _library_limits = None
                if torch.get_num_threads() != _threads_before:
                    torch.set_num_threads(_threads_before)


def _limit_libraries(limit):
    """threadpoolctl's limits lowering each BLAS and OpenMP library to ``limit``.

    None when none runs more threads than that.
    """
    lowered, above = {}, False
    for library in _controller().lib_controllers:
        if library.user_api in ("blas", "openmp"):
            threads = library.num_threads
            lowered[library.prefix] = min(
                lowered.get(library.prefix, threads), threads, limit
            )
            above = above or threads > limit
    return _controller().limit(limits=lowered) if above else None


_scanned = {"controller": None, "modules": 0}


def _controller():
    """threadpoolctl's view of the loaded libraries, scanned again on imports.

    A scan of the process's shared libraries takes milliseconds, as long as
    a small ``partial_fit`` call; a library arrives with an import, so the
    view is kept until ``sys.modules`` grows.
    """
    if _scanned["controller"] is None or len(sys.modules) != _scanned["modules"]:
        _scanned["controller"] = ThreadpoolController()
        _scanned["modules"] = len(sys.modules)
    return _scanned["controller"]
