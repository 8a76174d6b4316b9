"""Manifold-learning benchmark: every autoencoder against classical methods.

Each method is fitted on a train split and measured on held-out points
through ``transform``; t-SNE, which cannot embed new points, embeds train and
held-out points together and is marked transductive. Every data set is
embedded in 2-D; the image data sets are also compressed to a larger code
(:data:`~benchmarks._evaluate.COMPRESSION`) by the methods that reconstruct,
which is where the reconstruction error means most.

Writes into the output folder: ``results.csv`` (every figure, a line per
row as soon as it is measured), ``warnings.csv`` (the warnings each row
raised), ``results.md`` (the report: targets, tables, known failures,
figures, warnings), ``run.json`` (seeds, split, versions, machine; written
at the start, so that ``--resume`` can check an interrupted run's settings),
PNG figures, and while the run lasts ``codes/`` (the held-out 2-D codes, for
the figures of a resumed run).

Run: ``python -m benchmarks`` (all data sets, all methods; about 45 minutes
on 2 cores), or ``python -m benchmarks --quick`` for a smoke run of well under
a minute. ``--seeds 0 1 2`` also fits the stochastic methods' 2-D rows of the
small data sets with seeds 1 and 2 and reports their median and range: the
committed results page is ``python -m benchmarks --seeds 0 1 2 --output
docs/benchmarks``. An interrupted run continues with the same options and
``--resume``.
"""

import argparse
import json
import time
from pathlib import Path

from sklearn_ae.datasets import DATASETS, describe_datasets

from ._evaluate import (
    Interruption,
    ResultsLog,
    check_resumable,
    committed_seconds,
    fits,
    measure,
    plan,
    row_key,
    row_weights,
)
from ._figures import draw_figures, figure_entry
from ._methods import available_methods, warm_up
from ._progress import Progress, duration_text
from ._protocol import SEED, TEST_SIZE, load, split
from ._provenance import command_line, provenance
from ._report import main_rows, task_report, write_report
from ._targets import seed_verdicts, targets

DEFAULT_DATASETS = ("swiss_roll", "s_curve", "digits", "mnist")
QUICK_DATASETS = ("swiss_roll", "digits")
QUICK_METHODS = ("PCA", "KernelPCA", "Isomap", "AutoEncoder", "LinearAutoEncoder")
QUICK_SAMPLES = 400
MIN_SAMPLES = 110
# The data sets whose 2-D rows a seed spread refits by default: MNIST's fits
# are three quarters of a run, and benchmarks/seeds.py measures its spread.
SPREAD_DATASETS = ("swiss_roll", "s_curve", "digits")
# One-time costs paid before the rows, for the expected duration (UMAP's
# numba compilation, torch's first step; run.json's one_time_seconds).
WARM_UP_SECONDS = {"UMAP": 15.0, "torch": 1.5}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.splitlines()[0],
        # The data sets, as sklearn_ae.datasets' registry describes them.
        epilog="data sets: "
        + "; ".join(f"{name}: {text}" for name, text in describe_datasets().items()),
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=DATASETS,
        help=f"data sets (default: {' '.join(DEFAULT_DATASETS)})",
    )
    parser.add_argument(
        "--methods", nargs="+", help="methods by class name (default: all)"
    )
    parser.add_argument(
        "--n-samples",
        type=int,
        help="points per data set (default: all of digits and MNIST, 1,500 "
        "of the generated manifolds)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: {', '.join(QUICK_DATASETS)}, {QUICK_SAMPLES} points, "
        "a few methods, 5 epochs",
    )
    parser.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[SEED],
        help=f"random_state of the fits (default: {SEED}). Every row is fitted "
        "with the first; with more, the stochastic methods' 2-D rows of the "
        "--spread-datasets are also fitted with the others, and each task "
        "reports their median and range",
    )
    parser.add_argument(
        "--spread-datasets",
        nargs="+",
        choices=DATASETS,
        default=list(SPREAD_DATASETS),
        help="data sets whose 2-D rows get every seed (default: "
        f"{' '.join(SPREAD_DATASETS)}; MNIST's spread is benchmarks/seeds.py's)",
    )
    parser.add_argument("--output", default="benchmark_results", help="folder")
    parser.add_argument("--device", default="auto", help="torch device of the AEs")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --output: rows already in its "
        "results.csv are kept, not measured again",
    )
    args = parser.parse_args(argv)
    # Trustworthiness and continuity use 10 neighbours, which needs more than
    # 20 held-out points.
    if args.n_samples is not None and args.n_samples < MIN_SAMPLES:
        parser.error(
            f"--n-samples {args.n_samples}: pass at least {MIN_SAMPLES} points, "
            "so that more than 20 are held out."
        )
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f"--seeds {args.seeds}: give each seed once.")
    return parser, args


def main(argv=None):
    parser, args = parse_args(argv)
    start_all = time.perf_counter()
    datasets = args.datasets or (QUICK_DATASETS if args.quick else DEFAULT_DATASETS)
    wanted = args.methods or (QUICK_METHODS if args.quick else None)
    available = available_methods(
        quick=args.quick, include_umap=wanted is None or "UMAP" in wanted
    )
    if wanted is None:
        wanted = list(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        parser.error(f"unknown methods {unknown}; choose from {list(available)}")
    methods = {name: available[name] for name in wanted}
    n_samples = args.n_samples or (QUICK_SAMPLES if args.quick else None)

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    data = {name: load(name, n_samples) for name in datasets}
    splits = {name: split(len(bunch.data)) for name, bunch in data.items()}
    tasks = plan(
        datasets, methods, {name: bunch.data.shape[1] for name, bunch in data.items()}
    )
    spread = [d for d in args.spread_datasets if d in datasets]
    keys = fits(tasks, methods, args.seeds, spread if len(args.seeds) > 1 else ())
    settings = {
        "seed": SEED,
        "seeds": list(args.seeds),
        "spread_datasets": spread if len(args.seeds) > 1 else [],
        "test_size": TEST_SIZE,
        "datasets": list(datasets),
        "n_samples": {name: len(bunch.data) for name, bunch in data.items()},
        "methods": list(methods),
        "params": {
            name: method.params for name, method in methods.items() if method.params
        },
        "quick": args.quick,
        "device": args.device,
    }
    if args.resume and (problem := check_resumable(output, settings)):
        parser.error(problem)
    command = command_line("python -m benchmarks", argv)
    # Before anything is written: the output (docs/benchmarks) is tracked,
    # so once this run's files replace it the tree looks dirty.
    at_start = provenance(command, args.device)
    # Read before this run's results.csv replaces them, if it is the same.
    weights = row_weights(
        keys,
        methods,
        quick=args.quick,
        reference=committed_seconds(settings["n_samples"], quick=args.quick),
    )
    log = ResultsLog(output, resume=args.resume)
    done = log.done()
    one_time_kinds = {"torch" if m.autoencoder else name for name, m in methods.items()}
    expected = sum(w for key, w in weights.items() if key not in done) + sum(
        WARM_UP_SECONDS.get(kind, 0.0) for kind in one_time_kinds
    )
    print(
        f"Writing to {output.resolve()}/: {len(keys) - len(done & set(keys))} "
        f"rows to fit, expected to take about {duration_text(expected)} on 2 "
        "cores (the committed page's fit times; longer on a busier machine)."
    )
    if not args.resume:
        run_start = {**at_start, "settings": settings}
        (output / "run.json").write_text(json.dumps(run_start, indent=2, default=str))
    one_time = warm_up(methods, args.device)

    results = run_tasks(keys, tasks, methods, data, splits, log, weights, args.device)

    # The rows in the run's order, whichever run measured them.
    by_key = {row_key(row): row for row in log.rows}
    rows = [by_key[key] for key in keys if key in by_key]
    checks = targets(main_rows(rows, args.seeds[0]), methods)
    verdicts = seed_verdicts(rows, methods, args.seeds)
    figures = draw_figures(output, results, datasets)
    run = {
        **provenance(command, args.device),
        # The code the run started with: by its end, its own output (in
        # docs/benchmarks) would make the tree look dirty.
        "commit": at_start["commit"],
        "dirty": at_start["dirty"],
        "load_average_at_start": at_start["load_average"],
        "settings": settings,
        **settings,
        "test_size_percent": round(TEST_SIZE * 100),
        "one_time_seconds": one_time,
        "resumed_rows": len(done),
        "total_seconds": time.perf_counter() - start_all,
    }
    (output / "run.json").write_text(json.dumps(run, indent=2, default=str))
    write_report(
        output / "results.md",
        rows,
        tasks,
        checks,
        run,
        figures,
        log.warnings,
        verdicts,
    )
    log.remove_codes()
    for (target, measured, goal, met), spread in zip(checks, verdicts, strict=True):
        verdict = "" if met is None else ("met" if met else "NOT met")
        if spread is not None:
            verdict += f" (at {spread[0]} of {spread[1]} seeds)"
        print(f"{target}: {measured} (goal {goal}) {verdict}")
    if log.warnings:
        print(f"{len(log.warnings)} distinct warnings: see results.md")
    print(f"Results written to {output}/ in {run['total_seconds'] / 60:.1f} minutes")
    return rows


def run_tasks(keys, tasks, methods, data, splits, log, weights, device):
    """Measure every row of ``keys`` not in ``log`` yet, saving each as it ends.

    ``keys`` are :func:`~benchmarks._evaluate.fits` of ``tasks``. Prints
    each task's table when its rows end; on Ctrl-C, says how to resume and
    raises ``KeyboardInterrupt``. Returns what the figures need of every
    row of the first seed (:func:`~benchmarks._figures.figure_entry`),
    resumed rows included.
    """
    done = log.done()
    first_seed = keys[0][3] if keys else SEED
    results = []
    progress = Progress(weights, done)
    try:
        with Interruption() as interruption:
            for dataset, k, _ in tasks:
                bunch, split_rows = data[dataset], splits[dataset]
                new = False
                for key in [key for key in keys if key[0] == dataset and key[2] == k]:
                    name, seed = key[1], key[3]
                    method = methods[name]
                    if key in done:
                        if seed == first_seed:
                            entry = figure_entry(
                                key,
                                method,
                                bunch,
                                split_rows,
                                log.codes(key),
                                row=log.row(key),
                            )
                            results.append(entry)
                        continue
                    progress.starting(f"{dataset} {k}-D / {name} / seed {seed}")
                    row, Z_test, fitted, caught = measure(
                        method,
                        k,
                        bunch,
                        split_rows,
                        dataset=dataset,
                        device=device,
                        seed=seed,
                    )
                    # A Ctrl-C that the fit swallowed (skorch's does) left a
                    # model trained part way: stop before its row is saved.
                    interruption.check()
                    main = seed == first_seed
                    log.add(row, caught, Z_test if main else None)
                    if main:
                        results.append(
                            figure_entry(
                                key, method, bunch, split_rows, Z_test, fitted, row
                            )
                        )
                    progress.finished(key)
                    new = True
                if new:
                    params = {name: m.params for name, m in methods.items()}
                    progress.write(
                        task_report(
                            log.rows, dataset, k, seed=first_seed, params=params
                        )
                    )
    except KeyboardInterrupt:
        progress.close()
        print(
            f"Interrupted: {len(log.rows)} rows are saved in {log.results_path}; "
            "rerun with the same options and --resume to continue."
        )
        raise
    progress.close()
    return results


if __name__ == "__main__":
    main()
