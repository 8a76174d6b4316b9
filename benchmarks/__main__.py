"""Manifold-learning benchmark: every autoencoder against classical methods.

Each method is fitted on a train split and measured on held-out points
through ``transform``; t-SNE, which cannot embed new points, embeds train and
test together and is marked transductive. Writes ``results.csv``,
``results.md`` and ``embeddings.png`` into the output folder.

Run: ``python -m benchmarks`` (defaults: all data sets, all methods), or
``python -m benchmarks --quick`` for a smoke run.
"""

import argparse
import inspect
import json
import platform
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, Isomap, LocallyLinearEmbedding
from sklearn.model_selection import train_test_split
from tqdm.auto import tqdm

import sklearn_ae
from sklearn_ae.datasets import DATASETS, load_dataset
from sklearn_ae.metrics import (
    continuity,
    coordinate_correlation,
    knn_accuracy,
    reconstruction_error,
    trustworthiness,
)

SEED = 0
TEST_SIZE = 0.2
COLUMNS = [
    "dataset",
    "method",
    "transductive",
    "trustworthiness",
    "continuity",
    "knn_accuracy",
    "coordinate_correlation",
    "reconstruction_error",
    "fit_seconds",
    "transform_seconds",
]


def autoencoder_classes():
    """Every public estimator of sklearn_ae, found from ``__all__``."""
    return {
        name: getattr(sklearn_ae, name)
        for name in sklearn_ae.__all__
        if inspect.isclass(getattr(sklearn_ae, name))
    }


def make_methods(*, quick, device):
    """``{name: (factory, transductive)}`` of every available method."""
    epochs = {"max_iter": 5} if quick else {}
    methods = {
        "PCA": (lambda: PCA(2, random_state=SEED), False),
        "Isomap": (lambda: Isomap(n_components=2), False),
        "LLE": (
            lambda: LocallyLinearEmbedding(n_components=2, random_state=SEED),
            False,
        ),
        "t-SNE": (lambda: TSNE(2, random_state=SEED, init="pca"), True),
    }
    try:
        import umap  # noqa: F401

        methods["UMAP"] = (_umap_factory, False)
    except ImportError:
        pass
    for name, cls in autoencoder_classes().items():
        params = {"n_components": 2, "random_state": SEED, "device": device}
        params.update(epochs)
        if "prior" in inspect.signature(cls).parameters:
            params.setdefault("max_iter", 100)
        methods[name] = (lambda cls=cls, params=params: cls(**params), False)
    return methods


def _umap_factory():
    import umap

    return umap.UMAP(n_components=2, random_state=SEED)


def evaluate(model, transductive, data, X_train, X_test, train_rows, test_rows):
    """Fit one method on one data set and measure it on the held-out points."""
    row = {}
    start = time.perf_counter()
    if transductive:
        Z_all = model.fit_transform(np.vstack([X_train, X_test]))
        row["fit_seconds"] = time.perf_counter() - start
        Z_train, Z_test = Z_all[: len(X_train)], Z_all[len(X_train) :]
        row["transform_seconds"] = np.nan
    else:
        model.fit(X_train)
        row["fit_seconds"] = time.perf_counter() - start
        Z_train = model.transform(X_train)
        start = time.perf_counter()
        Z_test = model.transform(X_test)
        row["transform_seconds"] = time.perf_counter() - start
    row["trustworthiness"] = trustworthiness(X_test, Z_test)
    row["continuity"] = continuity(X_test, Z_test)
    if data.target is not None:
        row["knn_accuracy"] = knn_accuracy(
            Z_train, data.target[train_rows], Z_test, data.target[test_rows]
        )
    if data.coordinate is not None:
        row["coordinate_correlation"] = coordinate_correlation(
            Z_test, data.coordinate[test_rows]
        )
    if hasattr(model, "inverse_transform") and not transductive:
        try:
            row["reconstruction_error"] = reconstruction_error(
                X_test, model.inverse_transform(Z_test)
            )
        except (ValueError, NotImplementedError, AttributeError):
            pass  # e.g. Isomap has no inverse_transform at all
    return row, Z_test


def markdown_table(rows):
    header = "| " + " | ".join(COLUMNS) + " |"
    lines = [header, "|" + " --- |" * len(COLUMNS)]
    for row in rows:
        cells = []
        for column in COLUMNS:
            value = row.get(column, "")
            if isinstance(value, float):
                value = "" if np.isnan(value) else f"{value:.3f}"
            cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=None, choices=DATASETS)
    parser.add_argument("--methods", nargs="+", default=None)
    parser.add_argument("--n-samples", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--output", default="benchmark_results")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args(argv)

    datasets = args.datasets or (
        ["swiss_roll", "digits"]
        if args.quick
        else ["swiss_roll", "s_curve", "digits", "mnist"]
    )
    available = make_methods(quick=args.quick, device=args.device)
    quick_methods = ["PCA", "Isomap", "AutoEncoder", "LinearAutoEncoder"]
    names = args.methods or (quick_methods if args.quick else list(available))
    unknown = set(names) - set(available)
    if unknown:
        parser.error(
            f"unknown methods {sorted(unknown)}; choose from {list(available)}"
        )
    methods = {name: available[name] for name in names}
    n_samples = args.n_samples or (400 if args.quick else None)

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    rows, panels, colours, titles = [], [], [], []
    progress = tqdm(total=len(datasets) * len(methods), desc="benchmark")
    for dataset in datasets:
        data = load_dataset(dataset, n_samples=n_samples, random_state=SEED)
        rows_all = np.arange(len(data.data))
        train_rows, test_rows = train_test_split(
            rows_all, test_size=TEST_SIZE, random_state=SEED
        )
        X_train, X_test = data.data[train_rows], data.data[test_rows]
        colour = data.target if data.target is not None else data.coordinate
        for name, (factory, transductive) in methods.items():
            progress.set_postfix_str(f"{dataset} / {name}")
            row, Z_test = evaluate(
                factory(), transductive, data, X_train, X_test, train_rows, test_rows
            )
            rows.append(
                {
                    "dataset": dataset,
                    "method": name,
                    "transductive": transductive,
                    **row,
                }
            )
            panels.append(Z_test)
            colours.append(colour[test_rows])
            titles.append(
                f"{dataset}: {name}{' (transductive)' if transductive else ''}"
            )
            progress.update(1)
    progress.close()

    with open(output / "results.csv", "w") as f:
        f.write(",".join(COLUMNS) + "\n")
        for row in rows:
            f.write(",".join(str(row.get(c, "")) for c in COLUMNS) + "\n")
    (output / "results.md").write_text(markdown_table(rows))
    (output / "run.json").write_text(
        json.dumps(
            {
                "seed": SEED,
                "test_size": TEST_SIZE,
                "datasets": datasets,
                "methods": list(methods),
                "n_samples": n_samples,
                "quick": args.quick,
                "versions": {
                    "sklearn_ae": sklearn_ae.__version__,
                    "torch": torch.__version__,
                    "scikit-learn": sklearn.__version__,
                },
                "machine": platform.platform(),
                "date": time.strftime("%Y-%m-%d"),
            },
            indent=2,
        )
    )
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_ae.plotting import plot_embeddings

    figure = plot_embeddings(panels, colors=colours, titles=titles, n_cols=len(methods))
    figure.savefig(output / "embeddings.png", dpi=80)
    print(markdown_table(rows))
    print(f"Results written to {output}/")


if __name__ == "__main__":
    main()
