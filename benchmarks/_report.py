"""The benchmark's report: task tables, seed spread, known failures, warnings.

Everything here reads rows (dicts of :data:`~benchmarks._evaluate.COLUMNS`)
and writes text or figures; nothing fits a model.
"""

from collections import Counter

import numpy as np

from ._evaluate import COLUMNS
from ._progress import duration_text
from ._protocol import SEED
from ._provenance import measured_sentence
from ._targets import finite, get_row

# The figures of a row, after its key and the transductive flag.
FIGURE_COLUMNS = COLUMNS[5:]
# The figures whose spread over seeds a task's spread table shows.
SPREAD_COLUMNS = (
    "trustworthiness",
    "continuity",
    "knn_accuracy",
    "coordinate_correlation",
    "reconstruction_error",
)

# Short column titles of the markdown tables.
TITLES = {
    "trustworthiness": "trust",
    "continuity": "contin.",
    "knn_accuracy": "5-NN acc.",
    "coordinate_correlation": "coord. corr.",
    "reconstruction_error": "recon. error",
    "fit_seconds": "fit s",
    "transform_seconds": "transform s",
    "peak_memory_mb": "peak MB",
    "graph_seconds": "graph s",
}
# What a task's quality is, for the known-failure flags: the figures a row
# must beat PCA on (True: higher is better).
QUALITY = {
    "embedding": {"trustworthiness": True, "knn_accuracy": True},
    "compression": {"reconstruction_error": False},
}
FAILURE_MARK = "†"
_COLLAPSE = (
    "posterior collapse: the default unit-variance Gaussian decoder "
    '(loss="mse") is too wide for pixels in [0, 1], so the KL term wins and '
    "the codes carry little about X; see the likelihood issue"
)
# Why a method falls behind PCA, where it is known: by (method, data set),
# then by method. Others get GENERIC_REASON.
KNOWN_REASONS = {
    # The fit warns of the collapse on these [0, 1] images (results.md's
    # warnings list); on other data the cause is not established.
    **{
        (method, images): _COLLAPSE
        for method in ("VariationalAutoEncoder", "ConditionalVariationalAutoEncoder")
        for images in ("digits", "mnist")
    },
    "LinearAutoEncoder": (
        "a linear autoencoder spans PCA's subspace at best, so it can at most "
        "tie PCA: falling short means its training stopped before PCA's "
        "optimum (few epochs, early stopping)"
    ),
    # Measured on 1,200 points of the roll: 2.4% of the kernel's entries
    # exceed 0.01.
    ("KernelPCA", "swiss_roll"): (
        "the RBF kernel's default gamma (1 / n_features) is far too narrow for "
        "the swiss roll's coordinates, which span about 20: only about 2% of "
        "point pairs have a kernel value above 0.01"
    ),
}
GENERIC_REASON = (
    "worse than PCA with the default parameters; the cause is not yet known"
)


def _parameters_text(params):
    """``kernel='rbf', fit_inverse_transform=True``: parameters as passed."""
    return ", ".join(f"{name}={value!r}" for name, value in params.items())


def _cell(value, column):
    if isinstance(value, bool) or value is None:
        return "yes" if value else ""
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return ""
        if column == "transform_seconds":
            return f"{value:.4f}"
        if column in ("fit_seconds", "peak_memory_mb", "reconstruction_error"):
            return f"{value:.1f}" if value >= 10 else f"{value:.2f}"
        return f"{value:.3f}"
    return str(value)


def table_cell(text):
    """``text`` for a markdown table cell: its pipes escaped (|Spearman|)."""
    return str(text).replace("|", "\\|")


def markdown_table(rows, columns):
    """A markdown table of ``rows`` (dicts) with the given columns."""
    lines = [
        "| " + " | ".join(TITLES.get(c, c) for c in columns) + " |",
        "|" + " --- |" * len(columns),
    ]
    for row in rows:
        cells = [table_cell(_cell(row.get(c, ""), c)) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _kind(n_components):
    return "embedding" if n_components == 2 else "compression"


def _task_rows(rows, dataset, n_components):
    return [
        r for r in rows if r["dataset"] == dataset and r["n_components"] == n_components
    ]


def failure_reason(method, dataset, params=None):
    """The known reason why ``method`` falls behind PCA on ``dataset``.

    Without a known reason, the generic one names the parameters the method
    ran with (``params``) where they are not its defaults.
    """
    reason = KNOWN_REASONS.get((method, dataset), KNOWN_REASONS.get(method))
    if reason is not None:
        return reason
    if params:
        return (
            f"worse than PCA with {_parameters_text(params)} (other parameters "
            "at their defaults); the cause is not yet known"
        )
    return GENERIC_REASON


def _printed(value, column):
    """``value`` rounded as the tables print it: flags compare what they show."""
    return float(_cell(value, column))


def known_failures(rows, dataset, n_components, params=None):
    """The rows of a task whose quality is worse than PCA's on that task.

    Quality is :data:`QUALITY` of the task's kind (2-D embedding:
    trustworthiness and 5-NN accuracy, where the data have classes;
    compression: reconstruction error); a row is flagged when it is worse
    than PCA's on every one of them that both rows have, compared at the
    precision the tables print (1.2937 and 1.2928 both print 1.29: a tie).
    ``params`` (``{method: parameters}``) name the non-default parameters
    in the generic reason.

    Returns
    -------
    failures : list of (method, comparison, reason)
    """
    subset = _task_rows(rows, dataset, n_components)
    pca = get_row(subset, dataset, "PCA", n_components)
    if pca is None:
        return []
    quality = QUALITY[_kind(n_components)]
    failures = []
    for row in subset:
        if row is pca:
            continue
        compared = [c for c in quality if finite(row, c) and finite(pca, c)]
        if not compared:
            continue
        mine = {c: _printed(row[c], c) for c in compared}
        theirs = {c: _printed(pca[c], c) for c in compared}
        worse = [
            mine[c] < theirs[c] if quality[c] else mine[c] > theirs[c] for c in compared
        ]
        if all(worse):
            comparison = ", ".join(
                f"{TITLES[c]} {_cell(row[c], c)} vs PCA {_cell(pca[c], c)}"
                for c in compared
            )
            reason = failure_reason(
                row["method"], dataset, (params or {}).get(row["method"])
            )
            failures.append((row["method"], comparison, reason))
    return failures


def task_table(rows, dataset, n_components, params=None):
    """The table of one task, without the columns no row of it has.

    Methods worse than PCA (:func:`known_failures`) carry
    :data:`FAILURE_MARK`.
    """
    subset = _task_rows(rows, dataset, n_components)
    failed = {
        method for method, *_ in known_failures(rows, dataset, n_components, params)
    }
    subset = [
        {**r, "method": f"{r['method']} {FAILURE_MARK}"} if r["method"] in failed else r
        for r in subset
    ]
    columns = ["method"]
    if any(r["transductive"] for r in subset):
        columns.append("transductive")
    columns += [
        c for c in FIGURE_COLUMNS if any(_cell(r.get(c, ""), c) for r in subset)
    ]
    return markdown_table(subset, columns)


def main_rows(rows, seed=SEED):
    """The rows fitted with ``seed``: the main tables' (rows without a seed
    count as :data:`~benchmarks._protocol.SEED`'s)."""
    return [row for row in rows if row.get("seed", SEED) == seed]


def spread_summary(rows, columns, by="method"):
    """One line per ``by`` value: the median and min-max of each column.

    Cells read ``median (low-high)``, with the tables' precision; a column
    no row has is left empty.
    """
    summary = []
    for name in dict.fromkeys(row[by] for row in rows):
        mine = [row for row in rows if row[by] == name]
        line = {by: name, "seeds": len(mine)}
        for column in columns:
            values = np.array([row.get(column, np.nan) for row in mine], dtype=float)
            if not np.isfinite(values).any():
                line[column] = ""
                continue
            low, median, high = np.nanpercentile(values, [0, 50, 100])
            line[column] = (
                f"{_cell(median, column)} ({_cell(low, column)}-{_cell(high, column)})"
            )
        summary.append(line)
    return summary


def spread_table(rows, dataset, n_components):
    """Markdown: the seed spread of a task's rows fitted with several seeds.

    Empty when no row of the task has more than one seed.
    """
    subset = _task_rows(rows, dataset, n_components)
    counts = Counter(row["method"] for row in subset)
    spread = [row for row in subset if counts[row["method"]] > 1]
    if not spread:
        return ""
    columns = [c for c in SPREAD_COLUMNS if any(finite(row, c) for row in spread)]
    seeds = sorted({row.get("seed", SEED) for row in spread})
    return (
        f"Seed spread of the stochastic methods (`random_state` "
        f"{', '.join(map(str, seeds))}; the table above is seed {seeds[0]}'s), "
        "the median over seeds and the range in brackets:\n\n"
        + markdown_table(spread_summary(spread, columns), ["method", "seeds", *columns])
    )


def task_report(rows, dataset, n_components, *, seed=SEED, params=None):
    """A task's heading, table, seed spread and known failures, in markdown.

    ``rows`` may hold several seeds' rows: the table and the failures are
    ``seed``'s, the spread table every seed's. ``params`` are the methods'
    non-default parameters, which the generic failure reason names.
    """
    kind = _kind(n_components)
    everything, rows = rows, main_rows(rows, seed)
    lines = [
        f"## {dataset}, {n_components}-D {kind}",
        "",
        task_table(rows, dataset, n_components, params),
    ]
    if spread := spread_table(everything, dataset, n_components):
        lines += [spread]
    failures = known_failures(rows, dataset, n_components, params)
    if failures:
        pca = get_row(rows, dataset, "PCA", n_components)
        measures = " and ".join(TITLES[c] for c in QUALITY[kind] if finite(pca, c))
        lines += [
            f"Known failures ({FAILURE_MARK}: worse than PCA on {measures}):",
            "",
        ]
        lines += [
            f"- {method}: {comparison}. {reason[0].upper()}{reason[1:]}."
            for method, comparison, reason in failures
        ]
        lines.append("")
    return "\n".join(lines)


def warnings_section(caught):
    """Markdown: each distinct warning with its method, task and count."""
    if not caught:
        return ""
    counts = Counter()
    for w in caught:
        key = (
            w["method"],
            f"{w['dataset']} {w['n_components']}-D",
            f"{w['category']}: {w['message']}",
        )
        counts[key] += int(w["count"])
    lines = [
        "## Warnings",
        "",
        "Warnings the methods raised during their fit and measurement, "
        "recorded per row instead of printed.",
        "",
        "| method | task | warning | count |",
        "| --- | --- | --- | --- |",
    ]
    for (method, task, message), count in counts.items():
        message = table_cell(message)
        lines.append(f"| {method} | {task} | {message} | {count} |")
    return "\n".join(lines) + "\n"


def _spread_sentence(run):
    """Which rows were fitted with which seeds, or empty for one seed."""
    seeds = run.get("seeds") or [run.get("seed", SEED)]
    spread = [d for d in run.get("spread_datasets", ()) if d in run["datasets"]]
    single = [d for d in run["datasets"] if d not in spread]
    text = f"Every row is fitted with `random_state={seeds[0]}`"
    if len(seeds) > 1 and spread:
        text += (
            f"; the 2-D rows of {', '.join(spread)} are also fitted with "
            f"{', '.join(str(s) for s in seeds[1:])}, and each of those tables "
            "is followed by the stochastic methods' spread over the seeds "
            "(median and range)"
        )
    text += "."
    if "mnist" in single:
        text += (
            " MNIST's rows are fitted once (three seeds would take the run past "
            "90 minutes): their seed spread is measured by `python -m "
            "benchmarks.seeds` ([seeds.md](seeds.md), `benchmarks/seeds.py`)."
        )
    return text


def _verdict(met, spread):
    if met is None:
        return ""
    text = "yes" if met else "**no**"
    if spread is not None:
        n_met, n_seeds = spread
        text += f", met at {n_met} of {n_seeds} seeds"
        if 0 < n_met < n_seeds:
            text += ": the margin is inside the seed range"
    return text


def write_report(path, rows, tasks, checks, run, figures, caught=(), verdicts=None):
    """The markdown report: task tables, figures, targets, protocol, warnings.

    The results come first; the targets (the issues' checklist), how the
    page was measured and the warnings follow them. ``rows`` may hold
    several seeds' rows (``run["seeds"]``; the first seed's fill the
    tables), ``checks`` are :func:`~benchmarks._targets.targets` of the
    first seed's rows and ``verdicts`` their
    :func:`~benchmarks._targets.seed_verdicts`. ``caught`` are the warnings
    of the rows (dicts of :data:`~benchmarks._evaluate.WARNING_COLUMNS`).
    """
    seed = (run.get("seeds") or [run.get("seed", SEED)])[0]
    lines = [
        "# Benchmark results",
        "",
        "Each method is fitted on "
        f"{100 - run['test_size_percent']}% of the points and measured on the "
        f"held-out {run['test_size_percent']}%; methods worse than PCA on a "
        f"task's quality carry {FAILURE_MARK}. How the page was measured, on "
        "which machine and commit, and the targets it checks follow the "
        f"tables. Reproduce with `{run['command']}`"
        + (
            f" ({duration_text(run['total_seconds'])} here)."
            if "total_seconds" in run
            else "."
        ),
        "",
    ]
    if resumed := run.get("resumed_rows"):
        were = "1 row was" if resumed == 1 else f"{resumed} rows were"
        lines += [
            f"Resumed run: {were} measured before an interruption and read back "
            "from results.csv; the figures that need a fitted model show only "
            "the rows fitted after the resume.",
            "",
        ]
    params = run.get("params", {})
    for dataset, k, _ in tasks:
        lines.append(task_report(rows, dataset, k, seed=seed, params=params))
    if figures:
        lines += ["## Figures", ""]
        for name, caption in figures.items():
            lines += [f"![{caption}]({name})", "", caption, ""]
    if checks:
        verdicts = verdicts or [None] * len(checks)
        lines += [
            "## Targets",
            "",
            "The goals the project's issues set for these rows.",
            "",
            "| target | measured | goal | met |",
            "| --- | --- | --- | --- |",
        ]
        for (target, measured, goal, met), spread in zip(checks, verdicts, strict=True):
            lines.append(
                "| "
                + " | ".join(
                    table_cell(text)
                    for text in (target, measured, goal, _verdict(met, spread))
                )
                + " |"
            )
        lines.append("")
    lines += [
        "## How this was measured",
        "",
        measured_sentence(run),
        "",
        f"Protocol: each method is fitted on {100 - run['test_size_percent']}% "
        f"of the points (`train_test_split(test_size={run['test_size']}, "
        f"random_state={run['seed']})`) and measured on the held-out "
        f"{run['test_size_percent']}% through `transform`. Methods marked "
        "transductive (t-SNE) have no `transform`: they embed train and held-out "
        "points together. Trustworthiness and continuity use 10 neighbours; "
        "kNN accuracy is a 5-NN classifier fitted on the train codes; "
        "the coordinate correlation is the largest absolute Spearman "
        "correlation of an embedding axis with the true manifold coordinate; "
        "the reconstruction error is the mean squared Euclidean distance per "
        "held-out sample. Times are seconds on this machine (transform: median "
        "of repeats after a warm-up); peak MB is the growth of resident memory "
        "during the fit. All methods run with their default parameters except: "
        + ", ".join(f"{m} {p}" for m, p in params.items())
        + ". "
        + _spread_sentence(run),
        "",
        "The autoencoders' figures reproduce bit for bit on the same machine "
        "and commit; on another CPU, or another math-kernel path (torch's CPU "
        "capability, MKL's instruction set), they move, while the classical "
        "methods' stay: see the user guide's reproducibility section.",
        "",
    ]
    if run["one_time_seconds"]:
        costs = ", ".join(f"{k} {v:.1f} s" for k, v in run["one_time_seconds"].items())
        lines += [f"One-time costs paid before timing, not in the table: {costs}.", ""]
    if caught:
        lines.append(warnings_section(caught))
    path.write_text("\n".join(lines))
