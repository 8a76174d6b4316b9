"""Memory of a fit on a large scipy.sparse matrix, which is never densified.

A sparse matrix of text counts (200,000 documents, a 20,000-word
vocabulary, 0.1% nonzero) holds 4 million values, 46 MB as CSR, while its
dense float64 copy would take 32 GB. The autoencoders read sparse rows a
batch at a time: each training batch and each inference block is densified
alone, and the input scaling's statistics are computed on the sparse rows.
This script builds such a matrix, fits ``AutoEncoder`` on it (one
iteration, 1,024 updates) and transforms its first rows, and prints the
peak growth of the process's anonymous memory during each call, sampled
every 5 ms (see :mod:`benchmarks.streaming`), beside the dense copy's size.
Run::

    OMP_NUM_THREADS=1 python -m benchmarks.sparse_input

(``--rows``, ``--features`` and ``--density`` set the matrix,
``--transform-rows`` the rows transformed).
"""

import argparse
import time

import numpy as np
from scipy import sparse

from sklearn_ae import AutoEncoder

from .streaming import PeakAnonymousMemory


def make_counts(n_rows, n_features, density, seed=0):
    """A CSR matrix of word-count-like values (1 to 5) at ``density``."""
    rng = np.random.default_rng(seed)
    return sparse.random(
        n_rows,
        n_features,
        density=density,
        format="csr",
        dtype=np.float32,
        random_state=rng,
        data_rvs=lambda k: rng.integers(1, 6, size=k),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sparse_input",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=20_000)
    parser.add_argument("--density", type=float, default=0.001)
    parser.add_argument("--transform-rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    X = make_counts(args.rows, args.features, args.density)
    stored = (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20
    dense = args.rows * args.features * 8 / 2**20
    print(
        f"X: {args.rows:,} x {args.features:,} CSR float32, {X.nnz:,} nonzeros, "
        f"{stored:,.0f} MB stored; its dense float64 copy: {dense:,.0f} MB"
    )
    estimator = AutoEncoder(2, max_iter=1, n_iter_no_change=None, random_state=0)
    with PeakAnonymousMemory() as fit_memory:
        start = time.perf_counter()
        estimator.fit(X)
        fit_seconds = time.perf_counter() - start
    rows = X[: args.transform_rows]
    with PeakAnonymousMemory() as transform_memory:
        start = time.perf_counter()
        codes = estimator.transform(rows)
        transform_seconds = time.perf_counter() - start
    assert np.isfinite(codes).all()
    print("| call | peak MB allocated (anonymous memory) | seconds |")
    print("| --- | --- | --- |")
    print(f"| fit (1 iteration) | {fit_memory.peak_mb:,.0f} | {fit_seconds:.1f} |")
    print(
        f"| transform ({rows.shape[0]:,} rows) | {transform_memory.peak_mb:,.0f} | "
        f"{transform_seconds:.1f} |"
    )
    return fit_memory.peak_mb, transform_memory.peak_mb


if __name__ == "__main__":
    main()
