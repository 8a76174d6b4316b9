"""The million-point fit against the 100,000-point fit, over many seeds.

    python -m benchmarks.million_seeds --jobs 2 --output docs/benchmarks

The scaling study (``python -m benchmarks.scaling``) fits each size once,
with seed 0. The held-out reconstruction error of a 2-D code of the swiss
roll depends on whether the network unfolds the roll, which varies with the
seed and the sample more than with n; so this study refits the default
``AutoEncoder(n_components=2)`` with many ``random_state`` on the same
points as the scaling study (one swiss roll of the benchmark's seed: the
first n points train, its last 1,000 are held out) and compares the sizes
over seeds: medians, the share of fits that unfold the roll, and a rank
test. As a control it also fits, with each seed, a second sample of the
smallest size (the next n points of the same roll): two samples of one size
show how often a per-seed comparison goes one way by luck alone.

Every fit is appended to ``million_seeds.csv`` in ``--output`` as it ends;
``--resume`` keeps the fits already there and makes only the missing ones,
so the study can be run in parts. About 80 s a fit on one core.
"""

import argparse
import csv
import functools
import time
from pathlib import Path

import joblib
import numpy as np
from scipy.stats import mannwhitneyu

from sklearn_ae import AutoEncoder
from sklearn_ae.metrics import reconstruction_error

from ._protocol import load
from ._provenance import command_line, measured_sentence, provenance
from ._report import markdown_table

SIZES = (100_000, 1_000_000)
N_TEST = 1_000
# Held-out error below which a fit has unfolded the roll. At a constant
# rate an unfolded fit scored 0.03-0.17 and one that left a fold or a tear
# 0.26 or more (60 fits); annealed fits also land between (0.19-0.24), so a
# count moves by a fit or two with the threshold (0.15-0.3 keep the
# million's count at or above the 100,000 points'), the medians and the
# rank test not at all.
UNFOLDED_BELOW = 0.2
COLUMNS = (
    "seed",
    "n_samples",
    "offset",
    "device",
    "max_iter",
    "learning_rate",
    "fit_seconds",
    "n_updates",
    "error",
)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.million_seeds",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument(
        "--seeds", nargs="+", type=int, default=list(range(20)), help="random_state"
    )
    parser.add_argument(
        "--no-control",
        action="store_true",
        help="skip the second sample of the smallest size",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="fits at once, one thread each"
    )
    parser.add_argument("--output", default="benchmark_results", help="folder")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the fits already in --output's million_seeds.csv",
    )
    parser.add_argument("--device", default="cpu", help="torch device")
    parser.add_argument(
        "--max-iter", type=int, help="iterations of each fit (default: its own)"
    )
    parser.add_argument(
        "--learning-rate",
        default="auto",
        choices=["auto", "constant", "cosine"],
        help="the schedule (default: the estimator's, 'auto')",
    )
    return parser.parse_args(argv)


def samples(sizes, control):
    """The ``(n, offset)`` of each training sample: rows offset to offset + n."""
    chosen = [(n, 0) for n in sizes]
    if control:
        chosen.append((sizes[0], sizes[0]))
    return chosen


@functools.cache
def swiss_roll(n_rows):
    """The benchmark's swiss roll of ``n_rows`` points, once per process."""
    return load("swiss_roll", n_rows).data


def fit_once(X_train, X_test, seed, device, max_iter=None, learning_rate="auto"):
    """One fit with default parameters but the schedule: seconds, updates, error."""
    model = AutoEncoder(
        n_components=2,
        random_state=seed,
        device=device,
        learning_rate=learning_rate,
    )
    if max_iter is not None:  # smoke runs
        model.set_params(max_iter=max_iter)
    start = time.perf_counter()
    model.fit(X_train)
    seconds = time.perf_counter() - start
    error = reconstruction_error(
        X_test, model.inverse_transform(model.transform(X_test))
    )
    return {"fit_seconds": seconds, "n_updates": model.n_updates_, "error": error}


def fit_task(n_rows, seed, n, offset, device, max_iter, learning_rate):
    """The record of one fit on rows ``offset`` to ``offset + n``."""
    X_all = swiss_roll(n_rows)
    record = {
        "seed": seed,
        "n_samples": n,
        "offset": offset,
        "device": device,
        "max_iter": max_iter,
        "learning_rate": learning_rate,
    }
    X_train, X_test = X_all[offset : offset + n], X_all[-N_TEST:]
    record.update(fit_once(X_train, X_test, seed, device, max_iter, learning_rate))
    return record


def read_records(path):
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return [
            {
                "seed": int(row["seed"]),
                "n_samples": int(row["n_samples"]),
                "offset": int(row["offset"]),
                "device": row["device"],
                "max_iter": int(row["max_iter"]) if row["max_iter"] else None,
                "learning_rate": row["learning_rate"],
                "fit_seconds": float(row["fit_seconds"]),
                "n_updates": int(row["n_updates"]),
                "error": float(row["error"]),
            }
            for row in csv.DictReader(file)
        ]


def write_records(path, records):
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(records, key=_order))


def _order(record):
    return record["seed"], record["offset"] > 0, record["n_samples"]


def label(n, offset):
    if offset == 0:
        return f"{n:,}"
    return f"{n:,} (rows {offset + 1:,}-{offset + n:,})"


def summary(records, chosen):
    """Per training sample: medians over seeds and the share unfolded."""
    lines = []
    for n, offset in chosen:
        mine = [r for r in records if (r["n_samples"], r["offset"]) == (n, offset)]
        errors = [r["error"] for r in mine]
        lines.append(
            {
                "training rows": label(n, offset),
                "seeds": len(mine),
                "median fit s": f"{np.median([r['fit_seconds'] for r in mine]):.1f}",
                "median updates": f"{np.median([r['n_updates'] for r in mine]):,.0f}",
                "median error": f"{np.median(errors):.3f}",
                "unfolded": f"{sum(e < UNFOLDED_BELOW for e in errors)} of {len(mine)}",
                "errors (min-max)": f"{min(errors):.3f}-{max(errors):.3f}",
            }
        )
    return lines


def compare(records, seeds, first, second):
    """How ``second``'s errors stand to ``first``'s, per seed and over seeds.

    Returns the seeds where ``second`` was no worse, the medians, and the
    one-sided Mann-Whitney p-value of "``second``'s errors are larger".
    """
    by_key = {(r["seed"], r["n_samples"], r["offset"]): r["error"] for r in records}
    a = [by_key[(s, *first)] for s in seeds]
    b = [by_key[(s, *second)] for s in seeds]
    return {
        "no_worse": sum(y <= x for x, y in zip(a, b, strict=True)),
        "median_first": float(np.median(a)),
        "median_second": float(np.median(b)),
        "p_larger": float(mannwhitneyu(b, a, alternative="greater").pvalue),
    }


def comparison_sentence(result, first, second, n_seeds):
    return (
        f"Training rows {label(*second)} against {label(*first)}: no worse "
        f"for {result['no_worse']} of {n_seeds} seeds; median error "
        f"{result['median_second']:.3f} against {result['median_first']:.3f}; "
        f'one-sided Mann-Whitney p = {result["p_larger"]:.2f} for "the errors '
        f'of {label(*second)} are larger".'
    )


def draw_figure(path, records, chosen, seeds):
    """Each seed's held-out error (log scale) and fit seconds per sample."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_key = {(r["seed"], r["n_samples"], r["offset"]): r for r in records}
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, column in zip(axes, ("error", "fit_seconds"), strict=True):
        for seed in seeds:
            values = [by_key[(seed, *sample)][column] for sample in chosen]
            ax.plot(range(len(chosen)), values, color="0.75", lw=0.8, zorder=1)
            ax.scatter(range(len(chosen)), values, s=12, color="C0", zorder=2)
        medians = [
            np.median([by_key[(seed, *sample)][column] for seed in seeds])
            for sample in chosen
        ]
        ax.scatter(
            range(len(chosen)), medians, marker="_", s=600, color="C3", label="median"
        )
        ax.set_xticks(
            range(len(chosen)),
            [label(*sample).replace(" (", "\n(") for sample in chosen],
            fontsize=7,
        )
        ax.set_xlabel("training rows")
    axes[0].axhline(UNFOLDED_BELOW, color="C2", ls=":", lw=1, label="unfolded below")
    axes[0].set_yscale("log")
    axes[0].set_title("held-out reconstruction error", fontsize=9)
    axes[1].set_title("fit seconds", fontsize=9)
    axes[0].legend(fontsize=7)
    figure.suptitle(
        f"AutoEncoder(2) on the swiss roll, {len(seeds)} seeds (grey: one seed)",
        fontsize=9,
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _table(rows):
    return markdown_table(rows, list(rows[0]))


def run_fits(tasks, n_rows, args, records, path):
    """Make the missing fits, ``args.jobs`` at once, saving each as it ends."""
    # The workers find the task by its module's name, which is __main__
    # under ``python -m``; imported, it is this package's.
    from benchmarks.million_seeds import fit_task as task

    calls = (
        joblib.delayed(task)(
            n_rows, seed, n, offset, args.device, args.max_iter, args.learning_rate
        )
        for seed, n, offset in tasks
    )
    parallel = joblib.Parallel(n_jobs=args.jobs, return_as="generator_unordered")
    for record in parallel(calls):
        records.append(record)
        write_records(path, records)
        rows = label(record["n_samples"], record["offset"])
        print(
            f"seed {record['seed']} rows {rows}:"
            f" {record['fit_seconds']:.1f} s, {record['n_updates']:,} updates,"
            f" error {record['error']:.3f}",
            flush=True,
        )


def main(argv=None):
    args = parse_args(argv)
    sizes = sorted(args.sizes)
    chosen = samples(sizes, control=not args.no_control)
    info = provenance(
        command_line("python -m benchmarks.million_seeds", argv), args.device
    )
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    path = output / "million_seeds.csv"
    # A resumed run reuses only fits made with the same device, max_iter and
    # schedule, and keeps every other fit of the file in it.
    settings = (args.device, args.max_iter, args.learning_rate)

    def same_settings(record):
        return (record["device"], record["max_iter"], record["learning_rate"]) == (
            settings
        )

    wanted = {(seed, n, offset) for seed in args.seeds for n, offset in chosen}
    kept = read_records(path) if args.resume else []
    done = {(r["seed"], r["n_samples"], r["offset"]) for r in kept if same_settings(r)}
    # Seeds outer, so that a slow spell of the machine hits every size alike.
    tasks = [
        (seed, n, offset)
        for seed in args.seeds
        for n, offset in chosen
        if (seed, n, offset) not in done
    ]
    # The control's rows are reserved whether or not it is fitted, so that
    # runs with and without --no-control fit the same points.
    n_rows = max(sizes[-1], 2 * sizes[0]) + N_TEST
    started = time.perf_counter()
    run_fits(tasks, n_rows, args, kept, path)
    info["total_seconds"] = time.perf_counter() - started
    records = sorted(
        (
            r
            for r in kept
            if (r["seed"], r["n_samples"], r["offset"]) in wanted and same_settings(r)
        ),
        key=_order,
    )

    first, largest = chosen[0], chosen[len(sizes) - 1]
    sentences = [
        comparison_sentence(
            compare(records, args.seeds, first, largest),
            first,
            largest,
            len(args.seeds),
        )
    ]
    if len(chosen) > len(sizes):
        control = chosen[-1]
        sentences.append(
            comparison_sentence(
                compare(records, args.seeds, first, control),
                first,
                control,
                len(args.seeds),
            )
        )
    every_fit = [
        {
            "seed": r["seed"],
            "training rows": label(r["n_samples"], r["offset"]),
            "fit s": f"{r['fit_seconds']:.1f}",
            "updates": f"{r['n_updates']:,}",
            "held-out error": f"{r['error']:.3f}",
        }
        for r in records
    ]
    schedule = ""
    if args.learning_rate != "auto":
        schedule = f', learning_rate="{args.learning_rate}"'
    page = "\n\n".join(
        [
            "# The million-point fit over seeds",
            measured_sentence(info)
            + f" Each fit computed on {info['torch_threads']} torch thread(s),"
            f" {args.jobs} fit(s) at once; {len(tasks)} of the {len(wanted)} fits"
            " were made by this run, the others kept from earlier parts of it"
            " (--resume).",
            f"`AutoEncoder(n_components=2, random_state=seed{schedule})`, every "
            "other "
            f"parameter its default, fitted on n points of one swiss roll (the "
            f"benchmark's seed) and scored on its last {N_TEST:,} points: the "
            f"mean squared reconstruction error per point. A fit counts as "
            f"unfolded when that error is below {UNFOLDED_BELOW}.",
            _table(summary(records, chosen)),
            "\n".join(f"- {s}" for s in sentences),
            "![Each seed's held-out error and fit seconds per training sample; "
            "a grey line joins one seed's fits.](million_seeds.png)",
            "## Every fit",
            _table(every_fit),
        ]
    )
    draw_figure(output / "million_seeds.png", records, chosen, args.seeds)
    (output / "million_seeds.md").write_text(page + "\n")
    print(page)
    return records


if __name__ == "__main__":
    main()
