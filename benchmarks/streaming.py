"""Memory of a fit on a memory-mapped array against the same array in memory.

An autoencoder's fit copies X to the device as one float32 tensor when that
copy is small, and reads it a batch at a time when X is memory-mapped (or
its copy would pass 1 GiB). This script writes one float32 array to a
temporary ``.npy`` file and fits ``AutoEncoder`` (two iterations) on it
both ways, alternating: opened with ``mmap_mode="r"`` (streamed) and loaded
into memory (copied). It prints the peak growth of the process's anonymous
memory during each fit, sampled every 5 ms: the memory the fit allocates
beyond its input. Pages of the mapped file are not counted; they belong to
the page cache, which the kernel reclaims as it needs. Run::

    OMP_NUM_THREADS=1 python -m benchmarks.streaming

(``--rows`` and ``--features`` set the array, ``--repeats`` the pairs).
"""

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from sklearn_ae import AutoEncoder

from ._measure import release_memory


def anonymous_mb():
    """The process's resident anonymous memory in MB (Linux), else NaN."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class PeakAnonymousMemory:
    """Context manager: peak growth of anonymous memory, in ``peak_mb``."""

    def __enter__(self):
        release_memory()
        self._start = anonymous_mb()
        self._peak = self._start
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._done.wait(0.005):
            self._peak = max(self._peak, anonymous_mb())

    def __exit__(self, *exc_info):
        self._done.set()
        self._thread.join()
        self.peak_mb = max(self._peak, anonymous_mb()) - self._start
        return False


def make_data(n_rows, n_features, seed=0):
    """Float32 rows near an 8-dimensional subspace, built block by block."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(8, n_features)).astype(np.float32)
    X = np.empty((n_rows, n_features), dtype=np.float32)
    for start in range(0, n_rows, 100_000):
        block = X[start : start + 100_000]
        codes = rng.normal(size=(len(block), 8)).astype(np.float32)
        block[:] = np.tanh(codes) @ basis
        block += 0.1 * rng.normal(size=block.shape).astype(np.float32)
    return X


def fit_once(X):
    """``(peak MB, fit seconds)`` of one fit on X."""
    estimator = AutoEncoder(2, max_iter=2, n_iter_no_change=None, random_state=0)
    with PeakAnonymousMemory() as memory:
        start = time.perf_counter()
        estimator.fit(X)
        seconds = time.perf_counter() - start
    return memory.peak_mb, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.streaming", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    results = {"memory-mapped (streamed)": [], "in memory (copied)": []}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "X.npy"
        np.save(path, make_data(args.rows, args.features))
        mapped = np.load(path, mmap_mode="r")
        loaded = np.load(path)
        print(
            f"X: {args.rows:,} x {args.features} float32, "
            f"{loaded.nbytes / 2**20:,.0f} MB"
        )
        fit_once(loaded[:1000])  # torch's and Adam's one-time costs
        for _ in range(args.repeats):
            for way, X in zip(results, (mapped, loaded), strict=True):
                results[way].append(fit_once(X))
        del mapped
    print("| X | peak MB allocated by the fit (median) | fit s (median) |")
    print("| --- | --- | --- |")
    for way, runs in results.items():
        peak = statistics.median(r[0] for r in runs)
        seconds = statistics.median(r[1] for r in runs)
        print(f"| {way} | {peak:,.0f} | {seconds:.1f} |")
    return results


if __name__ == "__main__":
    main()
