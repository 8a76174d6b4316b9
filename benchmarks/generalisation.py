"""Where the manifold autoencoder trails UMAP: on its training rows or on new ones.

Run: ``python -m benchmarks.generalisation`` (MNIST-5k, the benchmark's
split and split 7, seed 0; about 3 minutes on 2 cores with UMAP's
compilation), ``--quick`` for a smoke run.

For each split, each method is fitted on the training rows (seed
``--seed``) and two trustworthiness figures are printed: that of the
codes the fit made of ``--sample`` training rows drawn at random (the
encoder's codes of those rows; UMAP's ``embedding_``), and that of the
held-out rows' codes (``transform``), with the held-out 5-NN accuracy, as
:mod:`benchmarks.manifold` measures them. An encoder whose training codes
keep their neighbourhoods as well as UMAP's while its held-out codes do
not has a generalisation gap, not an optimisation one
(docs/user_guide/manifold.rst).
"""

import argparse

import numpy as np

from sklearn_ae.metrics import trustworthiness

from ._evaluate import evaluate
from ._methods import available_methods, warm_up
from ._protocol import SEED, load, split


def training_codes(estimator, X_train):
    """The codes a fit made of its training rows (UMAP's own layout)."""
    embedding = getattr(estimator, "embedding_", None)
    return estimator.transform(X_train) if embedding is None else embedding


def measure(method, data, split_seed, *, seed, n_sample):
    """Trustworthiness of the fit's training codes and of the held-out codes."""
    rows = split(len(data.data), random_state=split_seed)
    row, _, estimator = evaluate(method, method.make(2, random_state=seed), data, rows)
    X_train = data.data[rows[0]]
    sample = np.random.default_rng(seed).choice(
        len(X_train), min(n_sample, len(X_train)), replace=False
    )
    codes = training_codes(estimator, X_train)[sample]
    return {
        "split": split_seed,
        "method": method.name,
        "train_trust": trustworthiness(X_train[sample], codes, n_neighbors=10),
        "test_trust": row["trustworthiness"],
        "test_knn": row.get("knn_accuracy", float("nan")),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--splits", nargs="+", type=int, default=[SEED, 7])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--sample", type=int, default=1000, help="training rows")
    parser.add_argument("--methods", nargs="+", default=["ManifoldAutoEncoder", "UMAP"])
    parser.add_argument("--n-samples", type=int, help="points (default: all)")
    parser.add_argument("--quick", action="store_true", help="smoke run")
    args = parser.parse_args(argv)

    known = available_methods(quick=args.quick, include_umap="UMAP" in args.methods)
    missing = [name for name in args.methods if name not in known]
    if missing:
        parser.error(f"--methods: not available here: {', '.join(missing)}")
    methods = {name: known[name] for name in args.methods}
    warm_up(methods, "auto")
    data = load(args.dataset, n_samples=args.n_samples)
    print("| split | method | training codes' trust | held-out trust | held-out 5-NN |")
    print("| --- | --- | --- | --- | --- |")
    results = []
    for split_seed in args.splits:
        for method in methods.values():
            result = measure(
                method, data, split_seed, seed=args.seed, n_sample=args.sample
            )
            results.append(result)
            print(
                f"| {split_seed} | {method.name} | {result['train_trust']:.4f} "
                f"| {result['test_trust']:.4f} | {result['test_knn']:.4f} |",
                flush=True,
            )
    return results


if __name__ == "__main__":
    main()
