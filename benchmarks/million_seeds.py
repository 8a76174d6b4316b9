"""The million-point fit against the 100,000-point fit, over several seeds.

    python -m benchmarks.million_seeds --output docs/benchmarks

The scaling study (``python -m benchmarks.scaling``) fits each size once,
with seed 0. The held-out reconstruction error of a 2-D code of the swiss
roll depends on whether the network unfolds the roll, which varies with the
seed more than with n; so this study refits the default
``AutoEncoder(n_components=2)`` with several ``random_state`` on the same
points as the scaling study (one swiss roll of the benchmark's seed: the
first n points train, its last 1,000 are held out) and reports each fit and
the medians over seeds. Seeds are the outer loop, so that a slow spell of
the machine hits both sizes alike. About 2 minutes a seed on 2 cores.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from sklearn_ae import AutoEncoder
from sklearn_ae.metrics import reconstruction_error

from ._protocol import load
from ._provenance import command_line, measured_sentence, provenance
from ._report import markdown_table

SIZES = (100_000, 1_000_000)
N_TEST = 1_000


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.million_seeds",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--output", default="benchmark_results", help="folder")
    parser.add_argument("--device", default="cpu", help="torch device")
    parser.add_argument(
        "--max-iter", type=int, help="iterations of each fit (default: its own)"
    )
    return parser.parse_args(argv)


def fit_once(X_train, X_test, seed, device, max_iter=None):
    """One default fit: its seconds, updates and held-out error."""
    model = AutoEncoder(n_components=2, random_state=seed, device=device)
    if max_iter is not None:  # smoke runs
        model.set_params(max_iter=max_iter)
    start = time.perf_counter()
    model.fit(X_train)
    seconds = time.perf_counter() - start
    error = reconstruction_error(
        X_test, model.inverse_transform(model.transform(X_test))
    )
    return {"fit_seconds": seconds, "n_updates": model.n_updates_, "error": error}


def summary(records, sizes):
    """Medians over seeds per size, and how often the largest n was no worse."""
    lines = []
    for n in sizes:
        mine = [r for r in records if r["n_samples"] == n]
        lines.append(
            {
                "n": f"{n:,}",
                "seeds": len(mine),
                "median fit s": f"{np.median([r['fit_seconds'] for r in mine]):.1f}",
                "median updates": f"{np.median([r['n_updates'] for r in mine]):,.0f}",
                "median error": f"{np.median([r['error'] for r in mine]):.3f}",
                "errors (min-max)": "{:.3f}-{:.3f}".format(
                    min(r["error"] for r in mine), max(r["error"] for r in mine)
                ),
            }
        )
    return lines


def draw_figure(path, records, sizes, seeds):
    """Held-out error (log scale) and fit seconds of each seed at each size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_seed = {(r["seed"], r["n_samples"]): r for r in records}
    figure, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for seed in seeds:
        for ax, column in zip(axes, ("error", "fit_seconds"), strict=True):
            values = [by_seed[seed, n][column] for n in sizes]
            ax.plot(range(len(sizes)), values, marker="o", label=f"seed {seed}")
    for ax, title in zip(
        axes, ("held-out reconstruction error", "fit seconds"), strict=True
    ):
        ax.set_xticks(range(len(sizes)), [f"{n:,}" for n in sizes])
        ax.set_xlabel("training points")
        ax.set_title(title, fontsize=9)
    axes[0].set_yscale("log")
    axes[1].legend(fontsize=7)
    figure.suptitle("AutoEncoder(2) on the swiss roll, one line per seed", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _table(rows):
    return markdown_table(rows, list(rows[0]))


def main(argv=None):
    args = parse_args(argv)
    sizes = sorted(args.sizes)
    info = provenance(
        command_line("python -m benchmarks.million_seeds", argv), args.device
    )
    X_all = load("swiss_roll", max(sizes) + N_TEST).data
    X_test = X_all[-N_TEST:]
    records = []
    started = time.perf_counter()
    for seed in args.seeds:
        for n in sizes:
            record = {"seed": seed, "n_samples": n}
            record.update(fit_once(X_all[:n], X_test, seed, args.device, args.max_iter))
            records.append(record)
            print(
                f"seed {seed} n={n:,}: {record['fit_seconds']:.1f} s, "
                f"{record['n_updates']:,} updates, error {record['error']:.3f}",
                flush=True,
            )
    info["total_seconds"] = time.perf_counter() - started
    largest, smallest = sizes[-1], sizes[0]
    by_seed = {(r["seed"], r["n_samples"]): r for r in records}
    no_worse = sum(
        by_seed[s, largest]["error"] <= by_seed[s, smallest]["error"]
        for s in args.seeds
    )
    every_fit = [
        {
            "seed": r["seed"],
            "n": f"{r['n_samples']:,}",
            "fit s": f"{r['fit_seconds']:.1f}",
            "updates": f"{r['n_updates']:,}",
            "held-out error": f"{r['error']:.3f}",
        }
        for r in records
    ]
    page = "\n\n".join(
        [
            "# The million-point fit over seeds",
            measured_sentence(info)
            + f" Torch computed on {info['torch_threads']} thread(s).",
            f"`AutoEncoder(n_components=2, random_state=seed)`, every other "
            f"parameter its default, fitted on the first n points of one swiss "
            f"roll (the benchmark's seed) and scored on its last {N_TEST:,} "
            f"points: the mean squared reconstruction error per point.",
            _table(summary(records, sizes)),
            f"The error at {largest:,} points was no worse than at "
            f"{smallest:,} for {no_worse} of {len(args.seeds)} seeds.",
            "## Every fit",
            _table(every_fit),
        ]
    )
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    draw_figure(output / "million_seeds.png", records, sizes, args.seeds)
    (output / "million_seeds.md").write_text(page + "\n")
    print(page)
    return records


if __name__ == "__main__":
    main()
