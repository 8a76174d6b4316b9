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

Run: ``python -m benchmarks`` (all data sets, all methods: the committed
results page is ``python -m benchmarks --output docs/benchmarks``), or
``python -m benchmarks --quick`` for a smoke run of well under a minute.
An interrupted run continues with the same options and ``--resume``.
"""

import argparse
import json
import time
from pathlib import Path

from tqdm.auto import tqdm

from sklearn_ae.datasets import DATASETS

from ._evaluate import (
    Interruption,
    ResultsLog,
    check_resumable,
    committed_seconds,
    measure,
    plan,
    row_key,
    row_weights,
)
from ._methods import available_methods, warm_up
from ._protocol import SEED, TEST_SIZE, load, split
from ._provenance import command_line, provenance
from ._report import (
    draw_figures,
    figure_entry,
    targets,
    task_report,
    write_report,
)

DEFAULT_DATASETS = ("swiss_roll", "s_curve", "digits", "mnist")
QUICK_DATASETS = ("swiss_roll", "digits")
QUICK_METHODS = ("PCA", "KernelPCA", "Isomap", "AutoEncoder", "LinearAutoEncoder")
QUICK_SAMPLES = 400
MIN_SAMPLES = 110
# No "n/total" counter: the bar advances by seconds of expected work.
BAR_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}{postfix}]"


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0]
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
    settings = {
        "seed": SEED,
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
    # Read before this run's results.csv replaces them, if it is the same.
    weights = row_weights(
        tasks,
        methods,
        quick=args.quick,
        reference=committed_seconds(settings["n_samples"], quick=args.quick),
    )
    log = ResultsLog(output, resume=args.resume)
    done = log.done()
    if not args.resume:
        run_start = {**provenance(command, args.device), "settings": settings}
        (output / "run.json").write_text(json.dumps(run_start, indent=2, default=str))
    one_time = warm_up(methods, args.device)

    results = run_tasks(tasks, methods, data, splits, log, weights, args.device)

    # The rows in the plan's order, whichever run measured them.
    by_key = {row_key(row): row for row in log.rows}
    rows = [
        by_key[(dataset, name, k)]
        for dataset, k, names in tasks
        for name in names
        if (dataset, name, k) in by_key
    ]
    checks = targets(rows, methods)
    figures = draw_figures(output, results, datasets)
    run = {
        **provenance(command, args.device),
        "settings": settings,
        **settings,
        "test_size_percent": round(TEST_SIZE * 100),
        "one_time_seconds": one_time,
        "resumed_rows": len(done),
        "total_seconds": time.perf_counter() - start_all,
    }
    (output / "run.json").write_text(json.dumps(run, indent=2, default=str))
    write_report(output / "results.md", rows, tasks, checks, run, figures, log.warnings)
    log.remove_codes()
    for target, measured, goal, met in checks:
        verdict = "" if met is None else ("met" if met else "NOT met")
        print(f"{target}: {measured} (goal {goal}) {verdict}")
    if log.warnings:
        print(f"{len(log.warnings)} distinct warnings: see results.md")
    print(f"Results written to {output}/ in {run['total_seconds'] / 60:.1f} minutes")
    return rows


def run_tasks(tasks, methods, data, splits, log, weights, device):
    """Measure every row of ``tasks`` not in ``log`` yet, saving each as it ends.

    Prints each task's table when it ends; on Ctrl-C, says how to resume
    and raises ``KeyboardInterrupt``. Returns what the figures need of every
    row (:func:`~benchmarks._report.figure_entry`), resumed rows included.
    """
    done = log.done()
    results = []
    progress = tqdm(
        total=sum(weights.values()),
        initial=sum(weights[key] for key in done if key in weights),
        desc="benchmark",
        bar_format=BAR_FORMAT,
    )
    try:
        with Interruption() as interruption:
            for dataset, k, names in tasks:
                bunch, split_rows = data[dataset], splits[dataset]
                new = False
                for name in names:
                    key, method = (dataset, name, k), methods[name]
                    if key in done:
                        codes = log.codes(key)
                        results.append(
                            figure_entry(key, method, bunch, split_rows, codes)
                        )
                        continue
                    progress.set_postfix_str(f"{dataset} {k}-D / {name}")
                    row, Z_test, fitted, caught = measure(
                        method, k, bunch, split_rows, dataset=dataset, device=device
                    )
                    # A Ctrl-C that the fit swallowed (skorch's does) left a
                    # model trained part way: stop before its row is saved.
                    interruption.check()
                    log.add(row, caught, Z_test)
                    results.append(
                        figure_entry(key, method, bunch, split_rows, Z_test, fitted)
                    )
                    progress.update(weights[key])
                    new = True
                if new:
                    progress.write(task_report(log.rows, dataset, k))
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
