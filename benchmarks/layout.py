"""The free-point UMAP layout that ``geometry="layout"`` regresses onto.

The encoder can only be as good as the layout it is taught: on MNIST-5k's
benchmark split an encoder regressing umap-learn's layout reached a held-out
5-NN accuracy of 0.873, one regressing our earlier layout 0.789
(seed 0). This study scores the layout itself, with the cross-validated
5-NN accuracy of the training rows' coordinates, for the levers of
:func:`sklearn_ae._layout.umap_layout`: the number of epochs and the number
of edges applied in one step (an epoch's edges are applied in parts).
umap-learn's layout of the same graph inputs is the reference when it is
installed.

Run: ``python -m benchmarks.layout`` (about a minute; ``--datasets``,
``--seeds``, ``--edges-per-part``, ``--epochs``).
"""

import argparse
import statistics
import time

import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from sklearn_ae._geometry import LAYOUT_PCA
from sklearn_ae._graph import fuzzy_weights, nearest_neighbors, symmetrise
from sklearn_ae._layout import umap_layout

from ._protocol import load, split


def graph_inputs(X, seed):
    """The rows the layout's graph is built on, as geometry="layout" builds it."""
    if X.shape[1] <= LAYOUT_PCA:
        return X
    return PCA(LAYOUT_PCA, random_state=seed).fit_transform(X)


def layout_score(layout, y):
    """Cross-validated 5-NN accuracy of the layout's coordinates."""
    return cross_val_score(KNeighborsClassifier(5), layout, y, cv=5).mean()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "digits"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--edges-per-part",
        nargs="+",
        type=int,
        default=[0, 6400, 1600, 400],
        help="0: an epoch's edges all at once",
    )
    parser.add_argument("--epochs", nargs="+", type=int, default=[200, 500])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        import umap
    except ImportError:
        umap = None
    print("cross-validated 5-NN accuracy of the training rows' layout, one thread")
    print(f"{'data':<8}{'layout':<26}{'5-NN (median, range)':>24}{'seconds':>10}")
    for name in args.datasets:
        data = load(name)
        train, _ = split(len(data.data), stratify=data.target)
        X, y = data.data[train], data.target[train]
        rows = {}
        for seed in args.seeds:
            inputs = graph_inputs(X, seed)
            indices, distances = nearest_neighbors(inputs, 15, random_state=seed)
            graph = symmetrise(indices, fuzzy_weights(distances), "fuzzy_union")
            for epochs in args.epochs:
                for size in args.edges_per_part:
                    start = time.process_time()
                    layout = umap_layout(
                        graph,
                        2,
                        n_epochs=epochs,
                        edges_per_part=size or None,
                        random_state=seed,
                    )
                    seconds = time.process_time() - start
                    key = f"{epochs} epochs, {size or 'all'} a part"
                    rows.setdefault(key, []).append((layout_score(layout, y), seconds))
            if umap is not None:
                model = umap.UMAP(random_state=seed, n_jobs=1)
                start = time.process_time()
                layout = model.fit(inputs).embedding_
                seconds = time.process_time() - start
                rows.setdefault("umap-learn", []).append(
                    (layout_score(layout, y), seconds)
                )
        for key, values in rows.items():
            scores = [score for score, _ in values]
            spread = (
                f"{statistics.median(scores):.3f} ({min(scores):.3f}-{max(scores):.3f})"
            )
            seconds = statistics.median(s for _, s in values)
            print(f"{name:<8}{key:<26}{spread:>24}{seconds:>10.1f}", flush=True)


if __name__ == "__main__":
    main()
