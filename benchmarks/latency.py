"""Latency of a small float64 ``transform``: the network copied per call or kept.

float64 input is computed by a float64 copy of the trained network. The
copy used to be made on every call; it is now made once per state of the
weights (``sklearn_ae._inference._float64_copy``). Both are timed side by side
on the same fitted model: "per call" drops the kept copy before each call,
which is what every call used to do. Runs alternate A, B, A, B after a
warm-up; the figures are medians over the repeats.

Run: ``python -m benchmarks.latency`` (``--repeats``, ``--calls``).
"""

import argparse
import statistics
import time

import numpy as np

from sklearn_ae import AutoEncoder

from ._protocol import SEED, load


def per_call(est, X):
    """``transform`` as it was: a new float64 copy of the network each call."""
    vars(est.net_).pop("_float64_module", None)
    return est.transform(X)


def kept(est, X):
    """``transform`` now: the float64 copy made once, reused."""
    return est.transform(X)


def time_calls(function, est, X, calls):
    """Median seconds of one call over ``calls`` calls."""
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        function(est, X)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args(argv)
    X = load("mnist", n_samples=2000).data.astype(np.float64)
    est = AutoEncoder(max_iter=1, random_state=SEED, device="cpu").fit(X)
    print(
        f"AutoEncoder (defaults) fitted on {X.shape[0]} MNIST rows "
        f"({X.shape[1]} features); float64 transform, median ms per call over "
        f"{args.repeats} alternating repeats of {args.calls} calls"
    )
    print(f"{'rows':>6}{'per call':>12}{'kept':>10}{'ratio':>8}")
    for rows in (1, 1000):
        batch = X[:rows]
        np.testing.assert_array_equal(per_call(est, batch), kept(est, batch))
        results = {per_call: [], kept: []}
        for _ in range(args.repeats):
            for function in results:
                results[function].append(time_calls(function, est, batch, args.calls))
        before = statistics.median(results[per_call]) * 1e3
        after = statistics.median(results[kept]) * 1e3
        print(f"{rows:>6}{before:>12.3f}{after:>10.3f}{before / after:>8.1f}")


if __name__ == "__main__":
    main()
