"""Package-wide settings: how many CPU threads our calls may compute with.

torch computes each operation with as many threads as the machine has cores,
whatever else runs. The networks here are small, so extra threads gain
little on a quiet machine and cost several times over on a busy one, where
they spin against other jobs (the README's example: 26.3 s with one thread
and 26.6 s with two on a quiet 2-core machine; 50 s against 630 s on the same
machine loaded). So every fit, ``partial_fit`` and inference call bounds
torch's intra-op threads, by default to one, the way scikit-learn's
``n_jobs=None`` means one job, and a fit bounds the BLAS and OpenMP
libraries too; the counts are restored when the call returns.

The settings follow :func:`sklearn.set_config`: they belong to the thread
(or asyncio task) that sets them, held in a context variable, so a
``config_context`` block in one thread never changes another's setting; a
new thread starts from the defaults. :func:`delayed` carries the caller's
settings into joblib's workers, threads or processes, as
:func:`sklearn.utils.parallel.delayed` carries scikit-learn's.
"""

import contextlib
import contextvars
import functools
import os
import sys
import threading
from numbers import Integral

import torch
from threadpoolctl import ThreadpoolController

from ._compat import _FuncWrapper

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


# The defaults each thread starts from; set_config never changes them.
_DEFAULTS = {
    "max_threads": _check_max_threads(
        os.environ.get(_ENVIRONMENT_VARIABLE, "1"), source=_ENVIRONMENT_VARIABLE
    )
}
# The settings of the running thread or task: a context variable, so that
# threads (and asyncio tasks, which copy their creator's context) each have
# their own. Its value is never mutated, only replaced.
_SETTINGS = contextvars.ContextVar("sklearn_ae_config")
# torch's thread count is one per process: calls from several Python threads
# (joblib's threading backend) share it, so they change it one at a time.
_threads_lock = threading.RLock()
# The bound of each running block (None: unbounded), and torch's count
# before the first of them.
_running_bounds = []
_threads_before = None
_library_limits = None


def _settings():
    return _SETTINGS.get(_DEFAULTS)


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
    return dict(_settings())


def set_config(max_threads="unchanged"):
    """Change sklearn-ae's settings for the running thread.

    As with :func:`sklearn.set_config`, the change holds in the thread (or
    asyncio task) that makes it; other threads keep theirs, and a new thread
    starts from the defaults. :func:`delayed` carries the settings of the
    thread that dispatches joblib tasks into the workers that run them.

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
    if not (isinstance(max_threads, str) and max_threads == "unchanged"):
        _SETTINGS.set({**_settings(), "max_threads": _check_max_threads(max_threads)})


@contextlib.contextmanager
def config_context(**settings):
    """Change sklearn-ae's settings inside a ``with`` block.

    The change holds in the running thread only, and the settings before the
    block are restored when it ends, whatever other threads did meanwhile.

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
    before = _settings()
    set_config(**settings)
    try:
        yield
    finally:
        _SETTINGS.set(before)


def delayed(function):
    """Capture a call for joblib, with the caller's sklearn-ae settings.

    The counterpart of :func:`joblib.delayed` and
    :func:`sklearn.utils.parallel.delayed`: the call runs in the joblib
    worker (a thread, or a ``loky`` process) inside a
    :func:`config_context` of the settings of the thread that made it, so
    ``max_threads`` reaches the worker. With
    :class:`sklearn.utils.parallel.Parallel` the call carries
    scikit-learn's settings too. Build the calls in the dispatching thread,
    as a list, since joblib may consume a generator from its own threads.

    Parameters
    ----------
    function : callable
        The function to call in the worker.

    Returns
    -------
    delayed_function : callable
        Returns ``(call, args, kwargs)``, the triple :class:`joblib.Parallel`
        takes.

    See Also
    --------
    config_context : The settings the call runs with.

    Examples
    --------
    >>> from joblib import Parallel
    >>> import sklearn_ae
    >>> with sklearn_ae.config_context(max_threads=2):
    ...     calls = [sklearn_ae.delayed(sklearn_ae.get_config)() for _ in range(2)]
    >>> [c["max_threads"] for c in Parallel(n_jobs=2, backend="threading")(calls)]
    [2, 2]
    """

    @functools.wraps(function)
    def delayed_function(*args, **kwargs):
        return _ConfiguredCall(function, get_config()), args, kwargs

    return delayed_function


class _ConfiguredCall(_FuncWrapper):
    """``function`` called inside the settings captured where it was delayed.

    A :class:`sklearn.utils.parallel._FuncWrapper`, so that scikit-learn's
    ``Parallel`` attaches its own settings to it as well.
    """

    def __init__(self, function, settings):
        super().__init__(function)
        self.settings = settings

    def __call__(self, *args, **kwargs):
        with config_context(**self.settings):
            if hasattr(self, "config"):  # given by scikit-learn's Parallel
                return super().__call__(*args, **kwargs)
            return self.function(*args, **kwargs)


@contextlib.contextmanager
def bounded_threads(*, libraries=False):
    """torch's intra-op threads at most ``max_threads`` inside the block.

    With ``libraries=True`` (a fit), the BLAS and OpenMP libraries that numpy
    and scikit-learn call (the manifold model's neighbour search, its SVD)
    are bounded too, through threadpoolctl: their thread count changes how
    their sums are ordered, and so the last bits of a neighbour graph and,
    through it, a fitted model. Each only ever lowered. Inference computes
    in torch alone and skips threadpoolctl's scan of the loaded libraries.

    Nested blocks (a ``fit`` that encodes) and concurrent ones (threads)
    share torch's thread count: each lowers it to its own bound on entry, so
    no call computes on more threads than its bound allows, whichever block
    came first. A block that ends while others run puts back the count it
    found, lowered to the bounds still running; the counts before the first
    block are restored when the last one ends.
    """
    global _threads_before, _library_limits
    limit = _settings()["max_threads"]
    with _threads_lock:
        before = torch.get_num_threads()
        if not _running_bounds:
            _threads_before = before
        if limit is not None and limit < before:
            torch.set_num_threads(limit)
        # A fit that starts while only inference runs bounds the libraries
        # then; they stay bounded until the last block ends.
        if libraries and limit is not None and _library_limits is None:
            _library_limits = _limit_libraries(limit)
        _running_bounds.append(limit)
    try:
        yield
    finally:
        with _threads_lock:
            _running_bounds.remove(limit)
            if _running_bounds:
                bounds = [b for b in _running_bounds if b is not None]
                target = min([before, *bounds])
            else:
                target = _threads_before
                if _library_limits is not None:
                    _library_limits.restore_original_limits()
                    _library_limits = None
            if torch.get_num_threads() != target:
                torch.set_num_threads(target)


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
