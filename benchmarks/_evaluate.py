"""Evaluation of the main benchmark: the tasks, one row's figures, the log.

A task is a data set and a code size; a row is one method's figures on one
task with one seed. :func:`plan` lists the tasks, :func:`fits` the rows to
measure in order (a stochastic method's 2-D rows once per seed where the
seed spread is asked for), :func:`measure` fits one method and
measures it on the held-out points (its warnings captured, not printed), and
:class:`ResultsLog` writes each finished row to ``results.csv`` as it comes,
so that an interrupted run keeps what it measured and ``--resume`` can
continue it.
"""

import csv
import json
import math
import signal
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from sklearn_ae.metrics import (
    continuity,
    coordinate_correlation,
    knn_accuracy,
    reconstruction_error,
    trustworthiness,
)

from ._measure import fit_and_time
from ._protocol import SEED

# Code size of the compression task of each image data set: 30 for MNIST is
# the issue's target; 10 of digits' 64 pixels keeps about 80% of its variance.
COMPRESSION = {"digits": 10, "mnist": 30}
COLUMNS = [
    "dataset",
    "method",
    "n_components",
    "seed",
    "transductive",
    "trustworthiness",
    "continuity",
    "knn_accuracy",
    "coordinate_correlation",
    "reconstruction_error",
    "fit_seconds",
    "transform_seconds",
    "peak_memory_mb",
]
WARNING_COLUMNS = ["dataset", "method", "n_components", "category", "message", "count"]
# Fit seconds of one row by method, for the progress bar where the committed
# results page has no time for the row: about each method's fit on the 2-D
# digits task of docs/benchmarks (full run), and on 400 digits in a --quick
# run (autoencoders train 5 epochs there; 0.06-0.5 s by variant).
ROW_SECONDS = {
    "full": {
        "PCA": 0.01,
        "KernelPCA": 0.15,
        "Isomap": 0.3,
        "LocallyLinearEmbedding": 0.1,
        "TSNE": 3.3,
        "UMAP": 2.1,
        "autoencoder": 8.0,
    },
    "quick": {
        "PCA": 0.01,
        "KernelPCA": 0.02,
        "Isomap": 0.04,
        "LocallyLinearEmbedding": 0.1,
        "TSNE": 1.7,
        "UMAP": 0.5,
        "autoencoder": 0.2,
    },
}
# Seconds a row spends beyond its fit: the timed transform repeats, the
# metrics (about 0.3 s on 400 points).
ROW_OVERHEAD_SECONDS = 0.3
COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "benchmarks"


def plan(datasets, methods, n_features):
    """``[(dataset, n_components, [method names])]``: the tasks to run.

    Every data set is embedded in 2-D by every method; image data sets are
    then compressed to :data:`COMPRESSION` components by the methods that
    reconstruct.
    """
    tasks = []
    for dataset in datasets:
        names = [m for m in methods if methods[m].supports(2, n_features[dataset])]
        tasks.append((dataset, 2, names))
    for dataset in datasets:
        k = COMPRESSION.get(dataset)
        if k is None:
            continue
        names = [
            m
            for m in methods
            if methods[m].reconstructs and methods[m].supports(k, n_features[dataset])
        ]
        tasks.append((dataset, k, names))
    return tasks


def fits(tasks, methods, seeds=(SEED,), spread=()):
    """``[(dataset, method, n_components, seed)]``: every row, in run order.

    A row is fitted with the first of ``seeds``; a stochastic method (one
    that takes ``random_state``) on a 2-D task of a data set in ``spread``
    is fitted with every seed, each seed's rows after the previous seed's
    rows of the same task, so that the task's table ends with its spread.
    """
    keys = []
    for dataset, k, names in tasks:
        for seed in seeds:
            for name in names:
                if seed == seeds[0] or (
                    k == 2 and dataset in spread and methods[name].stochastic
                ):
                    keys.append((dataset, name, k, seed))
    return keys


def evaluate(method, estimator, data, split):
    """Fit one method on the train split, measure it on the held-out points.

    Returns the row of figures, the held-out codes and the fitted estimator.
    """
    train_rows, test_rows = split
    X_train, X_test = data.data[train_rows], data.data[test_rows]
    row, Z_test, Z_train = fit_and_time(
        estimator, X_train, X_test, transductive=method.transductive
    )
    if Z_train is None:
        Z_train = estimator.transform(X_train)
    row["trustworthiness"] = trustworthiness(X_test, Z_test, n_neighbors=10)
    row["continuity"] = continuity(X_test, Z_test, n_neighbors=10)
    if data.target is not None:
        row["knn_accuracy"] = knn_accuracy(
            Z_train, data.target[train_rows], Z_test, data.target[test_rows]
        )
    if data.coordinate is not None:
        row["coordinate_correlation"] = coordinate_correlation(
            Z_test, data.coordinate[test_rows]
        )
    if method.reconstructs:
        row["reconstruction_error"] = reconstruction_error(
            X_test, estimator.inverse_transform(Z_test)
        )
    return row, Z_test, estimator


def measure(method, n_components, data, split, *, dataset, device, seed=SEED):
    """One row of the benchmark, with the warnings its method raised.

    The warnings are recorded rather than printed (they would break the
    progress bar's line), every occurrence counted.

    Returns
    -------
    row : dict
        ``dataset``, ``method``, ``n_components``, ``seed``, ``transductive``
        and the figures of :func:`evaluate`.
    Z_test : ndarray of shape (n_test, n_components)
    estimator : object
        The fitted estimator.
    caught : list of dict
        One dict per distinct warning (:data:`WARNING_COLUMNS`).
    """
    estimator = method.make(n_components, device=device, random_state=seed)
    with warnings.catch_warnings(record=True) as records:
        # After the filters already set (which may ignore some on purpose),
        # every other warning is recorded each time, to be counted.
        warnings.simplefilter("always", append=True)
        figures, Z_test, estimator = evaluate(method, estimator, data, split)
    key = {"dataset": dataset, "method": method.name, "n_components": n_components}
    row = {**key, "seed": seed, "transductive": method.transductive, **figures}
    counts = Counter(
        (record.category.__name__, _first_line(record.message)) for record in records
    )
    caught = [
        {**key, "category": category, "message": message, "count": count}
        for (category, message), count in counts.items()
    ]
    return row, Z_test, estimator, caught


def _first_line(message, limit=200):
    """A warning's first sentence (of its first line), at most ``limit`` long."""
    lines = str(message).strip().splitlines()
    sentence = lines[0].split(". ")[0] if lines else ""
    return sentence if len(sentence) <= limit else sentence[: limit - 3] + "..."


class Interruption:
    """Context manager: notes a Ctrl-C even where a library swallows it.

    skorch's ``fit`` catches ``KeyboardInterrupt`` and returns the model
    trained so far, so a Ctrl-C during an autoencoder's fit would end that
    fit early and let the benchmark record the truncated model as a row.
    Inside this block SIGINT still raises ``KeyboardInterrupt`` as usual,
    and is also noted: :meth:`check` raises it again after the row, before
    the row is saved. Outside the main thread (no signal handlers) it does
    nothing.
    """

    def __enter__(self):
        self.requested = False
        try:
            self._previous = signal.signal(signal.SIGINT, self._note)
        except ValueError:
            self._previous = None
        return self

    def _note(self, signum, frame):
        self.requested = True
        signal.default_int_handler(signum, frame)

    def check(self):
        """Raise ``KeyboardInterrupt`` if a Ctrl-C came since the start."""
        if self.requested:
            raise KeyboardInterrupt

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def row_key(row):
    """``(dataset, method, n_components, seed)``: what a row measures.

    A row without a seed (a results.csv written before seeds were recorded)
    was fitted with :data:`~benchmarks._protocol.SEED`.
    """
    return (
        row["dataset"],
        row["method"],
        int(row["n_components"]),
        int(row.get("seed", SEED)),
    )


class ResultsLog:
    """The run's rows and warnings, appended to CSV files as they come.

    ``results.csv`` gets one line per finished row, ``warnings.csv`` one per
    distinct warning of a row, and ``codes/`` the held-out 2-D codes (for
    the embedding figure of a resumed run, until :meth:`remove_codes`); each
    write is flushed at once.

    Parameters
    ----------
    output : Path
        The output folder.
    resume : bool, default=False
        Keep and read back the files of an earlier run; False starts them
        afresh.
    """

    def __init__(self, output, *, resume=False):
        self.output = Path(output)
        self.results_path = self.output / "results.csv"
        self.warnings_path = self.output / "warnings.csv"
        self.codes_path = self.output / "codes"
        self.rows, self.warnings = [], []
        if resume:
            self.rows = read_rows(self.results_path)
            self.warnings = _read_warnings(self.warnings_path)
        else:
            for path, columns in (
                (self.results_path, COLUMNS),
                (self.warnings_path, WARNING_COLUMNS),
            ):
                with open(path, "w", newline="") as f:
                    csv.writer(f).writerow(columns)
            self.remove_codes()
        self.codes_path.mkdir(exist_ok=True)

    def done(self):
        """Keys (:func:`row_key`) of the rows already measured."""
        return {row_key(row) for row in self.rows}

    def add(self, row, caught, Z_test=None):
        """Append one finished row, its warnings and (2-D) its codes.

        Pass ``Z_test=None`` for a row whose codes no figure draws (another
        seed's).
        """
        if Z_test is not None and row["n_components"] == 2:
            np.save(self.codes_file(row_key(row)), Z_test)
        _append(self.warnings_path, WARNING_COLUMNS, caught)
        # The row goes last: a row in results.csv has its warnings and codes.
        _append(self.results_path, COLUMNS, [row])
        self.rows.append(row)
        self.warnings.extend(caught)

    def row(self, key):
        """The saved row of ``key`` (:func:`row_key`), or None."""
        return next((row for row in self.rows if row_key(row) == key), None)

    def codes_file(self, key):
        dataset, method, k, seed = key
        return self.codes_path / f"{dataset}-{method}-{k}-{seed}.npy"

    def codes(self, key):
        """The saved held-out codes of a row, or None."""
        path = self.codes_file(key)
        return np.load(path) if path.exists() else None

    def remove_codes(self):
        """Delete the saved codes: a finished run's figures are drawn."""
        if self.codes_path.exists():
            for path in self.codes_path.glob("*.npy"):
                path.unlink()
            self.codes_path.rmdir()


def _append(path, columns, rows):
    if not rows:
        return
    with open(path, "a", newline="") as f:
        writer = csv.writer(f)
        for row in rows:
            writer.writerow([_csv_cell(row.get(column, "")) for column in columns])
        f.flush()


def _csv_cell(value):
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return ""
    return value


def read_rows(path):
    """The rows of a ``results.csv``, typed as :func:`measure` returns them.

    Empty cells (a figure a task has no data for) are left out of the row.
    """
    rows = []
    with open(path, newline="") as f:
        for line in csv.DictReader(f):
            row = {
                "dataset": line["dataset"],
                "method": line["method"],
                "n_components": int(line["n_components"]),
                "seed": int(line.get("seed") or SEED),
                "transductive": line["transductive"] == "True",
            }
            for column in COLUMNS[5:]:
                if line.get(column):
                    row[column] = float(line[column])
            rows.append(row)
    return rows


def _read_warnings(path):
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return [
            {
                **line,
                "n_components": int(line["n_components"]),
                "count": int(line["count"]),
            }
            for line in csv.DictReader(f)
        ]


def check_resumable(output, settings):
    """Why the run in ``output`` cannot be resumed with ``settings``, or None.

    ``settings`` are compared with those the run recorded in ``run.json``
    (after a JSON round trip, as they were written).
    """
    run_file, results = Path(output) / "run.json", Path(output) / "results.csv"
    if not run_file.exists() or not results.exists():
        return (
            f"--resume: {output} holds no run to resume (no run.json and "
            "results.csv); run without --resume."
        )
    recorded = json.loads(run_file.read_text()).get("settings", {})
    current = json.loads(json.dumps(settings, default=str))
    differ = [
        f"{name} was {recorded.get(name)!r}, is now {value!r}"
        for name, value in current.items()
        if recorded.get(name) != value
    ]
    if differ:
        return (
            f"--resume: the run in {output} was made with other settings ("
            + "; ".join(differ)
            + "). Rerun with that run's options, or without --resume to start "
            "afresh."
        )
    return None


def committed_seconds(n_samples, *, quick, folder=COMMITTED):
    """``{(dataset, method, k): seconds}`` of the committed results page.

    A row fitted with several seeds gives its median fit time.

    Only rows of data sets run there with the same number of points, and
    only when that run was a quick one exactly when this one is: otherwise
    the times measure other work.
    """
    try:
        run = json.loads((folder / "run.json").read_text())
        rows = read_rows(folder / "results.csv")
    except (OSError, ValueError, KeyError):
        return {}
    if bool(run.get("quick")) != bool(quick):
        return {}
    same = {d for d, n in n_samples.items() if run.get("n_samples", {}).get(d) == n}
    seconds = {}
    for row in rows:
        if row["dataset"] in same and math.isfinite(row.get("fit_seconds", math.nan)):
            seconds.setdefault(row_key(row)[:3], []).append(row["fit_seconds"])
    return {key: float(np.median(values)) for key, values in seconds.items()}


def row_weights(keys, methods, *, quick, reference=None):
    """``{(dataset, method, k, seed): seconds}``: the expected cost of each row.

    ``keys`` are the rows to fit (:func:`fits`). The progress bar estimates
    the time left from these, so that it knows an autoencoder's fit from
    PCA's. A row's fit time on the committed page (``reference``, by
    ``(dataset, method, k)``, for every seed) is used where there is one,
    else :data:`ROW_SECONDS`.
    """
    reference = reference or {}
    table = ROW_SECONDS["quick" if quick else "full"]
    weights = {}
    for dataset, name, k, seed in keys:
        kind = "autoencoder" if methods[name].autoencoder else name
        fit = reference.get((dataset, name, k), table.get(kind, 1.0))
        weights[(dataset, name, k, seed)] = fit + ROW_OVERHEAD_SECONDS
    return weights
