"""Study of AutoEncoder's training defaults (issue 4): held-out MNIST error.

Protocol of the benchmark: the 5,000-image MNIST subset, split 80/20 by
``train_test_split(np.arange(5000), test_size=0.2, random_state=0)``; each
configuration is fitted on the 4,000 training images with ``n_components=30``
and scored by :func:`sklearn_ae.metrics.reconstruction_error` (squared error
summed over pixels, mean over images) on the 1,000 held out, against
``PCA(30)`` fitted and scored the same way. Every configuration runs with
the same seeds, one after another in this process; the table gives the
median, the spread (min-max) and the median fit time.

The checks then compare the old and the new defaults on small data: digits
(1,437 training images, about 11 updates per epoch) and the swiss roll, with
2-d codes (k-NN accuracy, trustworthiness, coordinate correlation) and
held-out reconstruction error.

Run: ``python -m benchmarks.defaults`` (about an hour on one busy CPU core);
``--configs old new --seeds 1`` for a subset, ``--check-configs`` for the
configurations of the small-data checks (old and new defaults), ``--no-checks``
to skip them.
"""

import argparse
import contextlib
import time

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

import sklearn_ae._base as _base
from sklearn_ae import AutoEncoder
from sklearn_ae.datasets import load_dataset, load_mnist
from sklearn_ae.metrics import (
    coordinate_correlation,
    knn_accuracy,
    reconstruction_error,
    trustworthiness,
)

OLD = {"learning_rate": "constant", "weight_decay": 0.0, "batch_size": 128}
# name: (AutoEncoder parameters, input scaling). "floored" is the package's
# standardisation; "none" only centres the input (a study-only switch).
CONFIGS = {
    "old": (OLD, "floored"),
    "old, no scaling": (OLD, "none"),
    "cosine": ({**OLD, "learning_rate": "cosine"}, "floored"),
    "wd 0.1": ({**OLD, "weight_decay": 0.1}, "floored"),
    "wd 1": ({**OLD, "weight_decay": 1.0}, "floored"),
    "wd 0.1, no scaling": ({**OLD, "weight_decay": 0.1}, "none"),
    "wd 0.1, (512, 256)": (
        {**OLD, "weight_decay": 0.1, "hidden_layer_sizes": (512, 256)},
        "floored",
    ),
    "wd 0.1, batch 64": ({**OLD, "weight_decay": 0.1, "batch_size": 64}, "floored"),
    "wd 0.2, batch 64": ({**OLD, "weight_decay": 0.2, "batch_size": 64}, "floored"),
    "wd 0.3, batch 64": ({**OLD, "weight_decay": 0.3, "batch_size": 64}, "floored"),
    "wd 0.5, batch 64": ({**OLD, "weight_decay": 0.5, "batch_size": 64}, "floored"),
    "wd 1, batch 64": ({**OLD, "weight_decay": 1.0, "batch_size": 64}, "floored"),
    "wd 0.1, early stopping": (
        {**OLD, "weight_decay": 0.1, "early_stopping": True},
        "floored",
    ),
    "cosine, wd 0.1": (
        {**OLD, "learning_rate": "cosine", "weight_decay": 0.1},
        "floored",
    ),
    "cosine, wd 0.3": (
        {**OLD, "learning_rate": "cosine", "weight_decay": 0.3},
        "floored",
    ),
    "cosine, wd 1": (
        {**OLD, "learning_rate": "cosine", "weight_decay": 1.0},
        "floored",
    ),
    "cosine, wd 3": (
        {**OLD, "learning_rate": "cosine", "weight_decay": 3.0},
        "floored",
    ),
    "new": ({}, "floored"),
}


def _centring_only(X):
    offset = X.mean(axis=0, dtype=np.float64)
    return (
        torch.as_tensor(offset, dtype=torch.float32),
        torch.ones(X.shape[1], dtype=torch.float32),
    )


@contextlib.contextmanager
def input_scaling(kind):
    """Swap the package's input standardisation for the study."""
    original = _base._standardisation
    if kind == "none":
        _base._standardisation = _centring_only
    try:
        yield
    finally:
        _base._standardisation = original


def mnist_split():
    X = load_mnist().data.astype(np.float32)
    train, test = train_test_split(np.arange(len(X)), test_size=0.2, random_state=0)
    return X[train], X[test]


def held_out_error(model, X):
    return reconstruction_error(X, model.inverse_transform(model.transform(X)))


def study(names, seeds):
    X_train, X_test = mnist_split()
    pca_error = held_out_error(PCA(30, random_state=0).fit(X_train), X_test)
    print(
        f"PCA(30) held-out error: {pca_error:.3f}; target 0.65x = "
        f"{0.65 * pca_error:.3f}\n",
        flush=True,
    )
    print(
        "| configuration | held-out error (median) | min-max | x PCA | "
        "train error | fit s |"
    )
    print("|---|---|---|---|---|---|")
    for name in names:
        params, scaling = CONFIGS[name]
        errors, train_errors, seconds = [], [], []
        with input_scaling(scaling):
            for seed in seeds:
                model = AutoEncoder(30, random_state=seed, device="cpu", **params)
                start = time.perf_counter()
                model.fit(X_train)
                seconds.append(time.perf_counter() - start)
                errors.append(held_out_error(model, X_test))
                train_errors.append(held_out_error(model, X_train))
        median = float(np.median(errors))
        print(
            f"| {name} | {median:.3f} | {min(errors):.3f}-{max(errors):.3f} | "
            f"{median / pca_error:.3f} | {np.median(train_errors):.3f} | "
            f"{np.median(seconds):.0f} |",
            flush=True,
        )


def small_data_checks(names, seeds):
    """Configurations (old and new defaults) on digits and the swiss roll."""
    print(
        "\n| data | defaults | 2-d k-NN acc. | 2-d trust. | 2-d coord. corr. | "
        "2-d error | 10-d error | fit s (2-d) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for dataset in ("digits", "swiss_roll"):
        data = load_dataset(dataset, random_state=0)
        rows = np.arange(len(data.data))
        train, test = train_test_split(rows, test_size=0.2, random_state=0)
        X_train, X_test = data.data[train], data.data[test]
        for label in names:
            params, scaling = CONFIGS[label]
            scores = {key: [] for key in ("knn", "trust", "corr", "e2", "e10", "s")}
            for seed in seeds:
                model = AutoEncoder(2, random_state=seed, device="cpu", **params)
                start = time.perf_counter()
                with input_scaling(scaling):
                    model.fit(X_train)
                scores["s"].append(time.perf_counter() - start)
                Z_train, Z_test = model.transform(X_train), model.transform(X_test)
                scores["trust"].append(trustworthiness(X_test, Z_test))
                scores["e2"].append(held_out_error(model, X_test))
                if data.target is not None:
                    scores["knn"].append(
                        knn_accuracy(
                            Z_train, data.target[train], Z_test, data.target[test]
                        )
                    )
                    wide = AutoEncoder(10, random_state=seed, device="cpu", **params)
                    with input_scaling(scaling):
                        wide.fit(X_train)
                    scores["e10"].append(held_out_error(wide, X_test))
                if data.coordinate is not None:
                    scores["corr"].append(
                        coordinate_correlation(Z_test, data.coordinate[test])
                    )
            cell = {
                key: f"{np.median(v):.3f}" if v else "-" for key, v in scores.items()
            }
            print(
                f"| {dataset} | {label} | {cell['knn']} | {cell['trust']} | "
                f"{cell['corr']} | {cell['e2']} | {cell['e10']} | "
                f"{np.median(scores['s']):.1f} |",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", nargs="*", choices=list(CONFIGS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--check-configs", nargs="*", choices=list(CONFIGS), default=["old", "new"]
    )
    parser.add_argument("--no-checks", action="store_true")
    parser.add_argument("--checks-only", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    seeds = list(range(args.seeds))
    if not args.checks_only:
        study(args.configs or list(CONFIGS), seeds)
    if not args.no_checks:
        small_data_checks(args.check_configs, seeds)


if __name__ == "__main__":
    main()
