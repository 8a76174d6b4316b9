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
import time
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except OSError:
        return None
    # glibc only: musl and macOS have no malloc_trim.
    return libc if hasattr(libc, "malloc_trim") else None


_LIBC = _libc()


def _status_kib(key):
    """A ``/proc/self/status`` field in KiB, or None where unreadable."""
    try:
        with _STATUS.open() as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb():
    """Current resident set size in MB, or NaN where unavailable."""
    kib = _status_kib("VmRSS")
    return math.nan if kib is None else kib / 1024


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
        self._start = _status_kib("VmRSS")
        self.peak_mb = math.nan
        return self

    def __exit__(self, *exc_info):
        peak = _status_kib("VmHWM")
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
    times.sort()
    middle = len(times) // 2
    median = (
        times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) / 2
    )
    return median, result
