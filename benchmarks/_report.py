"""The benchmark's report: targets, task tables, known failures, warnings.

Everything here reads rows (dicts of :data:`~benchmarks._evaluate.COLUMNS`)
and writes text or figures; nothing fits a model.
"""

from collections import Counter

import numpy as np

from ._evaluate import COLUMNS, COMPRESSION
from ._provenance import measured_sentence

# Latent traversals are drawn for these models' 2-D codes of MNIST (or of
# the first image data set run).
TRAVERSED = ("AutoEncoder", "VariationalAutoEncoder", "AdversarialAutoEncoder")
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


def _get(rows, dataset, method, n_components):
    for row in rows:
        if (row["dataset"], row["method"], row["n_components"]) == (
            dataset,
            method,
            n_components,
        ):
            return row
    return None


def _finite(row, column):
    return row is not None and np.isfinite(row.get(column, np.nan))


def targets(rows, methods):
    """The issue's targets on MNIST, each ``(target, measured, goal, met)``.

    A target whose rows were not run (another data set, fewer methods) is
    left out.
    """
    checks = []
    pca = _get(rows, "mnist", "PCA", COMPRESSION["mnist"])
    ae = _get(rows, "mnist", "AutoEncoder", COMPRESSION["mnist"])
    if _finite(pca, "reconstruction_error") and _finite(ae, "reconstruction_error"):
        ratio = ae["reconstruction_error"] / pca["reconstruction_error"]
        checks.append(
            (
                f"{COMPRESSION['mnist']}-d AutoEncoder / PCA held-out "
                "reconstruction error",
                f"{ae['reconstruction_error']:.2f} / "
                f"{pca['reconstruction_error']:.2f} = {ratio:.3f}",
                "<= 0.65",
                ratio <= 0.65,
            )
        )
    autoencoders = [
        row
        for row in rows
        if row["dataset"] == "mnist"
        and row["n_components"] == 2
        and methods[row["method"]].autoencoder
        and _finite(row, "knn_accuracy")
    ]
    if autoencoders:
        best = max(autoencoders, key=lambda row: row["knn_accuracy"])
        for rival in ("PCA", "Isomap", "LocallyLinearEmbedding", "UMAP", "TSNE"):
            other = _get(rows, "mnist", rival, 2)
            if other is None:
                continue
            must_beat = rival in ("PCA", "Isomap", "LocallyLinearEmbedding")
            both = all(best[c] > other[c] for c in ("knn_accuracy", "trustworthiness"))
            checks.append(
                (
                    f"2-d codes: best AE ({best['method']}) vs {rival}"
                    + (" (transductive)" if methods[rival].transductive else ""),
                    f"5-NN {best['knn_accuracy']:.3f} vs "
                    f"{other['knn_accuracy']:.3f}, trust "
                    f"{best['trustworthiness']:.3f} vs "
                    f"{other['trustworthiness']:.3f}",
                    "beat on both" if must_beat else "report the gap",
                    both if must_beat else None,
                )
            )
    ae2 = _get(rows, "mnist", "AutoEncoder", 2)
    umap = _get(rows, "mnist", "UMAP", 2)
    if _finite(ae2, "transform_seconds") and _finite(umap, "transform_seconds"):
        speedup = umap["transform_seconds"] / ae2["transform_seconds"]
        checks.append(
            (
                "transform of the held-out MNIST points: UMAP / AutoEncoder time",
                f"{umap['transform_seconds']:.3f} s / "
                f"{ae2['transform_seconds'] * 1e3:.1f} ms = {speedup:.0f}x",
                ">= 100x",
                speedup >= 100,
            )
        )
    return checks + manifold_targets(rows)


def manifold_targets(rows):
    """The ManifoldAutoEncoder's targets, each ``(target, measured, goal, met)``.

    Rows of the default model are named ``ManifoldAutoEncoder``; declared
    geometries ``ManifoldAutoEncoder-<geometry>``.
    """
    checks = []
    manifold = "ManifoldAutoEncoder"
    for dataset in ("swiss_roll", "s_curve"):
        candidates = [
            row
            for row in rows
            if row["dataset"] == dataset
            and row["method"].startswith(manifold)
            and _finite(row, "coordinate_correlation")
        ]
        if candidates:
            best = max(candidates, key=lambda row: row["coordinate_correlation"])
            corr, trust = best["coordinate_correlation"], best["trustworthiness"]
            checks.append(
                (
                    f"{dataset}: best {manifold} ({best['method']}), "
                    "|Spearman| of the best axis and trust",
                    f"{corr:.4f}, {trust:.4f}",
                    ">= 0.99 and >= 0.98",
                    corr >= 0.99 and trust >= 0.98,
                )
            )
    for dataset, knn_goal, trust_goal in (
        ("mnist", 0.85, 0.93),
        ("digits", 0.95, None),
    ):
        row = _get(rows, dataset, manifold, 2)
        umap = _get(rows, dataset, "UMAP", 2)
        if not _finite(row, "knn_accuracy"):
            continue
        measured = f"5-NN {row['knn_accuracy']:.3f}, trust {row['trustworthiness']:.3f}"
        if umap is not None:
            measured += (
                f" (UMAP {umap['knn_accuracy']:.3f}, {umap['trustworthiness']:.3f})"
            )
        met = row["knn_accuracy"] >= knn_goal
        goal = f"5-NN >= {knn_goal}"
        if trust_goal is not None:
            met = met and row["trustworthiness"] >= trust_goal
            goal += f", trust >= {trust_goal}"
        checks.append(
            (f"{dataset} 2-d codes: {manifold} defaults", measured, goal, met)
        )
    for row in rows:
        if row["method"] != manifold or not _finite(row, "reconstruction_error"):
            continue
        ae = _get(rows, row["dataset"], "AutoEncoder", row["n_components"])
        if _finite(ae, "reconstruction_error"):
            checks.append(
                (
                    f"{row['dataset']} {row['n_components']}-d: reconstruction "
                    f"error, {manifold} vs AutoEncoder",
                    f"{row['reconstruction_error']:.3f} vs "
                    f"{ae['reconstruction_error']:.3f}",
                    "<= the AutoEncoder's",
                    row["reconstruction_error"] <= ae["reconstruction_error"],
                )
            )
    row, umap = _get(rows, "mnist", manifold, 2), _get(rows, "mnist", "UMAP", 2)
    if _finite(row, "transform_seconds") and _finite(umap, "transform_seconds"):
        speedup = umap["transform_seconds"] / row["transform_seconds"]
        fit_ratio = row["fit_seconds"] / umap["fit_seconds"]
        checks.append(
            (
                f"MNIST: transform time, UMAP / {manifold}",
                f"{speedup:.0f}x",
                ">= 1000x",
                speedup >= 1000,
            )
        )
        checks.append(
            (
                f"MNIST: fit time, {manifold} / UMAP",
                f"{row['fit_seconds']:.1f} s / {umap['fit_seconds']:.1f} s = "
                f"{fit_ratio:.1f}x",
                "<= 3x",
                fit_ratio <= 3,
            )
        )
    return checks


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


def markdown_table(rows, columns):
    """A markdown table of ``rows`` (dicts) with the given columns."""
    lines = [
        "| " + " | ".join(TITLES.get(c, c) for c in columns) + " |",
        "|" + " --- |" * len(columns),
    ]
    for row in rows:
        cells = [_cell(row.get(c, ""), c) for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _kind(n_components):
    return "embedding" if n_components == 2 else "compression"


def _task_rows(rows, dataset, n_components):
    return [
        r for r in rows if r["dataset"] == dataset and r["n_components"] == n_components
    ]


def failure_reason(method, dataset):
    """The known reason why ``method`` falls behind PCA on ``dataset``."""
    return KNOWN_REASONS.get(
        (method, dataset), KNOWN_REASONS.get(method, GENERIC_REASON)
    )


def known_failures(rows, dataset, n_components):
    """The rows of a task whose quality is worse than PCA's on that task.

    Quality is :data:`QUALITY` of the task's kind (2-D embedding:
    trustworthiness and 5-NN accuracy, where the data have classes;
    compression: reconstruction error); a row is flagged when it is worse
    than PCA's on every one of them that both rows have.

    Returns
    -------
    failures : list of (method, comparison, reason)
    """
    subset = _task_rows(rows, dataset, n_components)
    pca = _get(subset, dataset, "PCA", n_components)
    if pca is None:
        return []
    quality = QUALITY[_kind(n_components)]
    failures = []
    for row in subset:
        if row is pca:
            continue
        compared = [c for c in quality if _finite(row, c) and _finite(pca, c)]
        if not compared:
            continue
        worse = [row[c] < pca[c] if quality[c] else row[c] > pca[c] for c in compared]
        if all(worse):
            comparison = ", ".join(
                f"{TITLES[c]} {_cell(row[c], c)} vs PCA {_cell(pca[c], c)}"
                for c in compared
            )
            reason = failure_reason(row["method"], dataset)
            failures.append((row["method"], comparison, reason))
    return failures


def task_table(rows, dataset, n_components):
    """The table of one task, without the columns no row of it has.

    Methods worse than PCA (:func:`known_failures`) carry
    :data:`FAILURE_MARK`.
    """
    subset = _task_rows(rows, dataset, n_components)
    failed = {method for method, *_ in known_failures(rows, dataset, n_components)}
    subset = [
        {**r, "method": f"{r['method']} {FAILURE_MARK}"} if r["method"] in failed else r
        for r in subset
    ]
    columns = ["method"]
    if any(r["transductive"] for r in subset):
        columns.append("transductive")
    columns += [c for c in COLUMNS[4:] if any(_cell(r.get(c, ""), c) for r in subset)]
    return markdown_table(subset, columns)


def task_report(rows, dataset, n_components):
    """A task's heading, table and known-failure list, in markdown."""
    kind = _kind(n_components)
    lines = [
        f"## {dataset}, {n_components}-D {kind}",
        "",
        task_table(rows, dataset, n_components),
    ]
    failures = known_failures(rows, dataset, n_components)
    if failures:
        pca = _get(rows, dataset, "PCA", n_components)
        measures = " and ".join(TITLES[c] for c in QUALITY[kind] if _finite(pca, c))
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
        message = message.replace("|", "\\|")
        lines.append(f"| {method} | {task} | {message} | {count} |")
    return "\n".join(lines) + "\n"


def figure_entry(key, method, bunch, split_rows, codes, model=None):
    """What the figures need of one row: its codes, colours, model and data."""
    dataset, name, k = key
    test_rows = split_rows[1]
    continuous = bunch.target is None
    colour = bunch.coordinate if continuous else bunch.target
    return {
        "dataset": dataset,
        "method": name,
        "n_components": k,
        "transductive": method.transductive,
        "autoencoder": method.autoencoder,
        "continuous": continuous,
        "codes": codes,
        "colour": colour[test_rows],
        "model": model,
        "X_test": bunch.data[test_rows],
        "y_test": None if continuous else bunch.target[test_rows],
    }


def draw_figures(output, results, datasets):
    """Write the PNG figures; returns ``{file name: caption}``.

    ``results`` are dicts with each row's held-out codes and its fitted
    model; a row resumed from an earlier run has its codes but no model
    (None), and is left out of the figures that need one.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sklearn_ae.plotting import (
        plot_embeddings,
        plot_latent_traversal,
        plot_loss_curves,
        plot_reconstructions,
    )

    figures = {}

    def save(figure, name, caption, dpi=80):
        figure.savefig(output / name, dpi=dpi)
        plt.close(figure)
        figures[name] = caption

    # One figure per data set, its methods in a grid of 4 columns: panels
    # large enough to read (a methods x data sets grid of 16 x 4 panels
    # was 720 x 2,880 pixels, each panel 170 wide).
    embedded = [r for r in results if r["n_components"] == 2]
    methods = list(dict.fromkeys(r["method"] for r in embedded))
    by_key = {(r["method"], r["dataset"]): r for r in embedded}
    for dataset in datasets:
        mine = [by_key[m, dataset] for m in methods if (m, dataset) in by_key]
        if not mine:
            continue
        continuous = mine[0]["continuous"]
        save(
            plot_embeddings(
                [r["codes"] for r in mine],
                colors=[r["colour"] for r in mine],
                titles=[
                    r["method"] + (" *" if r["transductive"] else "") for r in mine
                ],
                n_cols=min(4, len(mine)),
                size=2.5,
                cmap="Spectral" if continuous else "tab10",
                color_labels="position along the manifold" if continuous else "class",
                title=f"Held-out 2-D codes of {dataset}",
            ),
            f"embeddings_{dataset}.png",
            f"Held-out 2-D codes of {dataset}, one panel per method, coloured "
            + ("by the true manifold coordinate" if continuous else "by class")
            + " (* transductive).",
            dpi=100,
        )

    images = [d for d in ("mnist", "digits") if d in datasets]
    if not images:
        return figures
    dataset = images[0]
    shape = (28, 28) if dataset == "mnist" else (8, 8)
    fitted = [r for r in results if r["model"] is not None]
    two_d = {
        r["method"]: r
        for r in fitted
        if r["dataset"] == dataset and r["autoencoder"] and r["n_components"] == 2
    }
    for method in TRAVERSED:
        if method in two_d:
            result = two_d[method]
            save(
                plot_latent_traversal(
                    result["model"],
                    result["X_test"],
                    result["y_test"],
                    image_shape=shape,
                ),
                f"latent_traversal_{method}.png",
                f"{method} on {dataset}: held-out codes (left) and the images "
                "decoded from an even grid over the code plane (right).",
            )
    if two_d:
        save(
            plot_loss_curves(
                {m: r["model"] for m, r in two_d.items()},
                title=f"training loss, 2-D codes of {dataset}",
            ),
            "loss_curves.png",
            f"Training loss per epoch of each autoencoder (2-D codes of {dataset}); "
            "the losses differ in kind (squared error, ELBO, adversarial terms), "
            "so compare shapes, not levels.",
        )
    k = COMPRESSION.get(dataset)
    compressed = {
        r["method"]: r["model"]
        for r in fitted
        if r["dataset"] == dataset and r["n_components"] == k
    }
    if compressed:
        X_test = next(r["X_test"] for r in results if r["dataset"] == dataset)
        save(
            plot_reconstructions(X_test, compressed, image_shape=shape),
            "reconstructions.png",
            f"Held-out {dataset} images (top) and their reconstructions from "
            f"{k}-component codes, one row per method.",
        )
    return figures


def write_report(path, rows, tasks, checks, run, figures, caught=()):
    """The markdown report: provenance, targets, task tables, figures, warnings.

    ``caught`` are the warnings of the rows (dicts of
    :data:`~benchmarks._evaluate.WARNING_COLUMNS`).
    """
    lines = [
        "# Benchmark results",
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
        + ", ".join(f"{m} {p}" for m, p in run["params"].items())
        + ".",
        "",
    ]
    if run["one_time_seconds"]:
        costs = ", ".join(f"{k} {v:.1f} s" for k, v in run["one_time_seconds"].items())
        lines += [f"One-time costs paid before timing, not in the table: {costs}.", ""]
    if checks:
        lines += ["## Targets", "", "| target | measured | goal | met |"]
        lines.append("| --- | --- | --- | --- |")
        for target, measured, goal, met in checks:
            verdict = "" if met is None else ("yes" if met else "**no**")
            lines.append(f"| {target} | {measured} | {goal} | {verdict} |")
        lines.append("")
    if resumed := run.get("resumed_rows"):
        were = "1 row was" if resumed == 1 else f"{resumed} rows were"
        lines += [
            f"Resumed run: {were} measured before an interruption and read back "
            "from results.csv; the figures that need a fitted model show only "
            "the rows fitted after the resume.",
            "",
        ]
    for dataset, k, _ in tasks:
        lines.append(task_report(rows, dataset, k))
    if figures:
        lines += ["## Figures", ""]
        for name, caption in figures.items():
            lines += [f"![{caption}]({name})", "", caption, ""]
    if caught:
        lines.append(warnings_section(caught))
    path.write_text("\n".join(lines))
