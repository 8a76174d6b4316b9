"""The benchmark's figures: held-out codes, traversals, losses, reconstructions.

:func:`figure_entry` keeps what the figures need of one row while the run
goes; :func:`draw_figures` draws them all at its end.
"""

from ._evaluate import COMPRESSION

# Latent traversals are drawn for these models' 2-D codes of MNIST (or of
# the first image data set run).
TRAVERSED = ("AutoEncoder", "VariationalAutoEncoder", "AdversarialAutoEncoder")


# Axes of each embedding panel reach these quantiles of its codes: a few
# outliers (LLE's) would otherwise squash the rest into a line or a dot.
LIMIT_QUANTILES = (0.01, 0.99)


def figure_entry(key, method, bunch, split_rows, codes, model=None, row=None):
    """What the figures need of one row: its codes, colours, model and data.

    ``row`` (its figures) gives the panel's key figure: 5-NN accuracy on
    classes, else the coordinate correlation.
    """
    dataset, name, k = key[:3]
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
        "score": _score(row, continuous),
    }


def _score(row, continuous):
    """The panel's key figure as text, or None."""
    column, label = (
        ("coordinate_correlation", "|Spearman|")
        if continuous
        else ("knn_accuracy", "5-NN")
    )
    if row is None or column not in row:
        return None
    return f"{label} {row[column]:.3f}"


def _annotation(result):
    lines = [result["score"]] if result["score"] else []
    if result["transductive"]:
        lines.append("transductive")
    return "\n".join(lines) or None


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
                titles=[r["method"] for r in mine],
                annotations=[_annotation(r) for r in mine],
                n_cols=min(4, len(mine)),
                size=2.5,
                cmap="Spectral" if continuous else "tab10",
                color_labels="position along the manifold" if continuous else "class",
                title=f"Held-out 2-D codes of {dataset}",
                limit_quantiles=LIMIT_QUANTILES,
            ),
            f"embeddings_{dataset}.png",
            f"Held-out 2-D codes of {dataset}, one panel per method, coloured "
            + (
                "by the true manifold coordinate; each panel gives |Spearman|, "
                "the largest absolute Spearman correlation of an axis with it"
                if continuous
                else "by class; each panel gives its 5-NN accuracy"
            )
            + ". Each panel's axes reach the 1st to 99th percentile of its codes "
            "(plus 5%); points beyond are drawn as crosses at the edge. A "
            "method marked transductive embedded the held-out points together "
            "with the training points.",
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
                f"{method} on {dataset}: held-out codes with the grid of codes "
                "decoded (+, left), and the images decoded from it (right). The "
                "grid's steps are even in the quantiles of each code axis (2% to "
                "98%), not in the code values: it is uneven where the codes are.",
            )
    if two_d:
        save(
            plot_loss_curves(
                {m: r["model"] for m, r in two_d.items()},
                title=f"Training loss per epoch, 2-D codes of {dataset}",
                panels=True,
            ),
            "loss_curves.png",
            f"Training loss per epoch of each autoencoder (2-D codes of {dataset}), "
            "one panel per model, each on its own loss scale: the losses differ "
            "in kind (squared error, ELBO, adversarial terms), so compare shapes, "
            "not levels.",
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
            plot_reconstructions(
                X_test,
                compressed,
                image_shape=shape,
                title=f"Held-out {dataset} images (top) and their "
                f"reconstructions from {k}-D codes",
            ),
            "reconstructions.png",
            f"Held-out {dataset} images (top) and their reconstructions from "
            f"{k}-component codes, one row per method.",
        )
    return figures
