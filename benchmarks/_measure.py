"""Time and peak memory of a block of code, measured honestly.

Peak memory is the growth of the process's resident set size (RSS) above
its size when the block starts, read from the kernel's high-water mark
(``VmHWM`` in ``/proc/self/status``), which is reset before the block by
writing ``5`` to ``/proc/self/clear_refs`` (Linux 4.0 and later).
``tracemalloc`` would miss torch's CPU tensors, which are not allocated
through Python's allocator; RSS sees every allocation that touches memory:
numpy, torch, numba and the C libraries alike.

Before the block, garbage is collected and glibc is asked to give freed heap
memory back to the kernel (``malloc_trim``): otherwise memory freed by an
earlier method would be reused without raising RSS, and the block would look
lighter than it is. Where any of this is unavailable (not Linux), the peak is
reported as NaN rather than guessed.
"""

import ctypes
import ctypes.util
import gc
import math
import statistics
import time
from pathlib import Path

import numpy as np

_STATUS = Path("/proc/self/status")
_MEMINFO = Path("/proc/meminfo")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None
    # glibc only: musl and macOS have no malloc_trim.
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def _proc_kib(key, path=_STATUS):
    """A ``/proc`` field in KiB (``VmRSS: 123 kB``), or None where unreadable."""
    try:
        with path.open() as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb():
    """Current resident set size in MB, or NaN where unavailable."""
    kib = _proc_kib("VmRSS")
    return math.nan if kib is None else kib / 1024


def available_memory_mb():
    """``MemAvailable`` of ``/proc/meminfo`` in MB, or infinity off Linux."""
    kib = _proc_kib("MemAvailable", _MEMINFO)
    return math.inf if kib is None else kib / 1024


def release_memory():
    """Collect garbage and return freed heap memory to the kernel."""
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _reset_peak():
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


class PeakMemory:
    """Context manager: peak RSS growth in MB over the block, in ``peak_mb``.

    Examples
    --------
    >>> import numpy as np
    >>> with PeakMemory() as memory:
    ...     block = np.ones(10_000_000)  # 80 MB
    >>> memory.peak_mb > 70 or memory.peak_mb != memory.peak_mb  # NaN off Linux
    True
    """

    def __enter__(self):
        release_memory()
        self._resettable = _reset_peak()
        self._start = _proc_kib("VmRSS")
        self.peak_mb = math.nan
        return self

    def __exit__(self, *exc_info):
        peak = _proc_kib("VmHWM")
        if self._resettable and peak is not None and self._start is not None:
            self.peak_mb = max(peak - self._start, 0) / 1024
        return False


def repeat_timing(function, *, max_repeats=5, budget_seconds=2.0):
    """Median seconds of ``function()`` over a few calls, and its last result.

    Calls it at least once and at most ``max_repeats`` times, stopping once
    ``budget_seconds`` have been spent: a millisecond transform is timed
    several times (one call is mostly noise), a slow one once.

    Returns
    -------
    seconds : float
    result : object
        What the last call returned.
    """
    times = []
    result = None
    while len(times) < max_repeats and sum(times) < budget_seconds:
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def fit_and_time(estimator, X_train, X_test, *, transductive=False):
    """Fit ``estimator`` and time its fit, peak memory and held-out transform.

    A transductive method (no ``transform``: t-SNE) embeds train and test
    points together, and has no transform time. The transform is timed
    after a warm-up call on a few rows: a method's one-time costs (numba
    compilation, torch's first call) are not the cost of a transform.

    Returns
    -------
    costs : dict
        ``fit_seconds``, ``transform_seconds`` (NaN when transductive) and
        ``peak_memory_mb``.
    Z_test : ndarray
        The held-out points' codes.
    Z_train : ndarray or None
        The training points' codes when the fit made them (transductive),
        else None: transforming a large training set is left to callers
        that need it.
    """
    with PeakMemory() as memory:
        start = time.perf_counter()
        if transductive:
            Z_all = estimator.fit_transform(np.vstack([X_train, X_test]))
        else:
            estimator.fit(X_train)
        fit_seconds = time.perf_counter() - start
    costs = {"fit_seconds": fit_seconds, "peak_memory_mb": memory.peak_mb}
    if transductive:
        costs["transform_seconds"] = math.nan
        return costs, Z_all[len(X_train) :], Z_all[: len(X_train)]
    estimator.transform(X_test[:10])
    costs["transform_seconds"], Z_test = repeat_timing(
        lambda: estimator.transform(X_test)
    )
    return costs, Z_test, None
