"""Seed spread of the 2-D embedding figures: how much of a gap is noise.

The main benchmark fits each method once, with ``random_state=0``. A
network's 2-D codes move with its seed (initial weights, batch order,
corruption), and on MNIST the 5-NN accuracy of one autoencoder spans several
points over seeds: more than some gaps in the targets table. This study
refits the chosen methods on the benchmark's own split (fixed) with several
seeds, seeds in the outer loop so that a slow spell of the machine hits all
methods alike, and reports the median and range of each figure.

Run: ``python -m benchmarks.seeds --output docs/benchmarks`` (about 6 minutes
on 2 cores: the default autoencoder, its tuned variant and the classical
rivals of the targets, on MNIST-5k, seeds 0-2), ``--quick`` for a smoke run.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from sklearn_ae.datasets import DATASETS

from ._evaluate import evaluate
from ._methods import available_methods, warm_up
from ._protocol import SEED, TEST_SIZE, load, split
from ._provenance import command_line, measured_sentence, provenance
from ._report import TITLES, markdown_table, spread_summary

DEFAULT_METHODS = (
    "PCA",
    "Isomap",
    "LocallyLinearEmbedding",
    "DenoisingAutoEncoder",
    "DenoisingAutoEncoder-wide",
)
FIGURES = ("knn_accuracy", "trustworthiness", "fit_seconds")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.seeds", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dataset", default="mnist", choices=DATASETS)
    parser.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n-samples", type=int, help="points (default: all)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: a few epochs per network"
    )
    parser.add_argument("--output", default="benchmark_results", help="folder")
    parser.add_argument("--device", default="auto", help="torch device of the AEs")
    args = parser.parse_args(argv)
    if len(set(args.seeds)) < 2:
        parser.error("--seeds: give at least two different seeds to spread over.")
    return parser, args


def summarise(rows, methods):
    """One row per method: the median and min-max of each figure over seeds."""
    mine = [row for row in rows if row["method"] in methods]
    return spread_summary(mine, FIGURES)


def draw_figure(path, rows, methods, dataset):
    """One panel per figure of merit: a dot per seed, a bar at the median."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = ("knn_accuracy", "trustworthiness")
    figure, axes = plt.subplots(
        1, len(columns), figsize=(9, 0.45 * len(methods) + 1.2), sharey=True
    )
    for ax, column in zip(axes, columns, strict=True):
        for position, name in enumerate(methods):
            values = [row[column] for row in rows if row["method"] == name]
            ax.plot(values, [position] * len(values), "o", alpha=0.6, color="C0")
            median = np.median(values)
            ax.plot([median, median], [position - 0.3, position + 0.3], color="k")
        ax.set_xlabel(f"held-out {TITLES[column]}")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(methods)), list(methods))
    axes[0].invert_yaxis()
    figure.suptitle(f"{dataset}, 2-D codes: one dot per seed, bar at the median")
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    plt.close(figure)


def write_page(path, rows, summary, info, args):
    seeds = ", ".join(str(s) for s in args.seeds)
    lines = [
        f"# Seed spread, {args.dataset} 2-D codes",
        "",
        measured_sentence(info),
        "",
        f"Each method is refitted with `random_state` {seeds} on the main "
        "benchmark's split (fitted on "
        f"{100 - round(TEST_SIZE * 100)}%, "
        f"`train_test_split(test_size={TEST_SIZE}, random_state={SEED})`), "
        "and measured on the held-out points as there. Cells are the median "
        "over seeds with the range in brackets. A gap between two methods that "
        "is smaller than their ranges is within the noise of one seed.",
        "",
        markdown_table(summary, ["method", "seeds", *FIGURES]),
        "![One dot per seed, a bar at the median.](seeds.png)",
        "",
        "## Every fit",
        "",
        markdown_table(rows, ["method", "seed", *FIGURES]),
    ]
    path.write_text("\n".join(lines))


def main(argv=None):
    parser, args = parse_args(argv)
    start = time.perf_counter()
    available = available_methods(quick=args.quick, include_umap="UMAP" in args.methods)
    unknown = [m for m in args.methods if m not in available]
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {list(available)}")
    methods = {name: available[name] for name in args.methods}

    bunch = load(args.dataset, args.n_samples)
    if bunch.target is None:
        parser.error(f"--dataset {args.dataset} has no classes to score 5-NN on.")
    rows_split = split(len(bunch.data))
    # torch's and UMAP's one-time costs would land in the first seed's fit.
    warm_up(methods, args.device)
    rows = []
    progress = tqdm(total=len(args.seeds) * len(methods), desc="seeds")
    for seed in args.seeds:
        for name, method in methods.items():
            progress.set_postfix_str(f"seed {seed} / {name}")
            estimator = method.make(2, device=args.device, random_state=seed)
            row, *_ = evaluate(method, estimator, bunch, rows_split)
            rows.append({"method": name, "seed": seed, **row})
            progress.update(1)
    progress.close()

    summary = summarise(rows, methods)
    info = {
        **provenance(command_line("python -m benchmarks.seeds", argv), args.device),
        "total_seconds": time.perf_counter() - start,
    }
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    draw_figure(output / "seeds.png", rows, methods, args.dataset)
    write_page(output / "seeds.md", rows, summary, info, args)
    print(markdown_table(summary, ["method", "seeds", *FIGURES]))
    print(f"Written to {output / 'seeds.md'} in {info['total_seconds'] / 60:.1f} min")
    return summary


if __name__ == "__main__":
    main()
