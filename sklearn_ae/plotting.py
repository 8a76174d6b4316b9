"""Figures: embeddings, latent traversals, reconstructions, loss curves, scaling.

Every function returns the matplotlib :class:`~matplotlib.figure.Figure` it
drew, to show or save. matplotlib is imported inside each function, so
``import sklearn_ae`` and ``import sklearn_ae.plotting`` never need it.
"""

from collections.abc import Mapping

import numpy as np

__all__ = [
    "plot_embeddings",
    "plot_latent_traversal",
    "plot_loss_curves",
    "plot_reconstructions",
    "plot_scaling",
]


def _per_panel(value, n, name):
    """``value`` repeated for n panels, or checked to have one per panel."""
    if value is None or isinstance(value, str):
        return [value] * n
    value = list(value)
    if len(value) != n:
        raise ValueError(
            f"{name} has {len(value)} entries for {n} embeddings; pass one per "
            "embedding (or a single string for all)."
        )
    return value


def plot_embeddings(
    embeddings,
    *,
    colors=None,
    titles=None,
    n_cols=4,
    size=3.0,
    cmap="Spectral",
    point_size=4.0,
):
    """Scatter plots of 2-D embeddings in a grid, one panel per embedding.

    Panels fill the grid row by row, so a methods x data sets table is a
    list in row order with ``n_cols`` set to the number of data sets.

    Parameters
    ----------
    embeddings : list of (ndarray of shape (n_samples_i, n_components_i) or None)
        The embedded points of each panel; the first two columns are drawn.
        None leaves an empty panel marked "not run" (a method that does not
        apply to a data set).
    colors : list of (array-like of shape (n_samples_i,) or None), default=None
        Colour of each point: a class label or a manifold coordinate.
    titles : list of str, default=None
        Title of each panel.
    n_cols : int, default=4
        Panels per row.
    size : float, default=3.0
        Width and height of one panel, in inches.
    cmap : str or list of str, default="Spectral"
        Colour map of all panels, or one per panel (e.g. ``"tab10"`` for
        class labels, ``"Spectral"`` for a coordinate).
    point_size : float, default=4.0
        Marker area, in points squared.

    Returns
    -------
    figure : matplotlib.figure.Figure
        One axes per embedding.

    See Also
    --------
    plot_latent_traversal : Decoded images over a 2-D code plane.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ae.plotting import plot_embeddings
    >>> Z = np.random.RandomState(0).normal(size=(50, 2))
    >>> figure = plot_embeddings([Z, Z], titles=["a", "b"])
    >>> len(figure.axes)
    2
    """
    import matplotlib.pyplot as plt

    n = len(embeddings)
    if not n:
        raise ValueError("plot_embeddings needs at least one embedding.")
    colors = _per_panel(colors, n, "colors")
    titles = _per_panel(titles, n, "titles")
    cmaps = _per_panel(cmap, n, "cmap")
    checked = []
    for i, Z in enumerate(embeddings):
        if Z is not None:
            Z = np.asarray(Z)
            if Z.ndim != 2 or Z.shape[1] < 2:
                raise ValueError(
                    f"embedding {i} has shape {Z.shape}; plot_embeddings needs "
                    "at least 2 columns."
                )
        checked.append(Z)
    n_cols = max(1, min(n_cols, n))
    n_rows = int(np.ceil(n / n_cols))
    figure, axes = plt.subplots(
        n_rows, n_cols, figsize=(size * n_cols, size * n_rows), squeeze=False
    )
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.remove()
            continue
        Z = checked[i]
        if Z is None:
            ax.text(0.5, 0.5, "not run", ha="center", va="center", color="0.5")
        else:
            ax.scatter(
                Z[:, 0],
                Z[:, 1],
                c=colors[i],
                s=point_size,
                cmap=cmaps[i] if colors[i] is not None else None,
                linewidths=0,
            )
        ax.set_xticks([])
        ax.set_yticks([])
        if titles[i] is not None:
            ax.set_title(titles[i], fontsize=9)
    figure.tight_layout()
    return figure


def _tile(images, n_rows, n_cols, image_shape, pad=1):
    """One canvas of ``n_rows x n_cols`` images with ``pad`` blank pixels between."""
    height, width = image_shape
    canvas = np.full(
        (n_rows * (height + pad) - pad, n_cols * (width + pad) - pad), np.nan
    )
    for k, image in enumerate(images):
        r, c = divmod(k, n_cols)
        top, left = r * (height + pad), c * (width + pad)
        canvas[top : top + height, left : left + width] = image.reshape(image_shape)
    return canvas


def _check_image_shape(image_shape, n_features, what):
    image_shape = tuple(int(side) for side in image_shape)
    if len(image_shape) != 2 or int(np.prod(image_shape)) != n_features:
        raise ValueError(
            f"image_shape={image_shape} does not fit {what} of {n_features} "
            "features; pass (height, width) with height * width == n_features, "
            "e.g. (28, 28) for MNIST."
        )
    return image_shape


def plot_latent_traversal(
    model,
    X=None,
    y=None,
    *,
    image_shape=(28, 28),
    n_steps=15,
    quantiles=(0.02, 0.98),
    size=6.0,
    cmap="gray_r",
):
    """Decode a grid over a 2-D code plane and tile the decoded images.

    Walking the code plane in even steps and decoding each point shows what
    the model learned to vary along its two axes (on MNIST: the digit's
    class, slant and thickness). The grid's row and column ``i`` sit at the
    same quantile of each code axis, so every cell covers the same share of
    the codes: of the codes of ``X`` when it is given, otherwise of a
    standard normal (the prior of a variational or adversarial
    autoencoder, whose codes have a known distribution).

    Parameters
    ----------
    model : fitted estimator
        A 2-component model with ``transform`` and ``inverse_transform``,
        such as :class:`~sklearn_ae.AutoEncoder` with ``n_components=2``.
    X : array-like of shape (n_samples, n_features), default=None
        Data whose codes set the grid's range; also drawn, coloured by
        ``y``, in a first panel. None: the grid spans quantiles of N(0, 1).
    y : array-like of shape (n_samples,), default=None
        Colours (e.g. class labels) of the codes of ``X``.
    image_shape : tuple of int, default=(28, 28)
        ``(height, width)`` of one decoded image.
    n_steps : int, default=15
        Grid points along each axis: ``n_steps ** 2`` images are decoded.
    quantiles : tuple of float, default=(0.02, 0.98)
        The lowest and highest quantile of each axis that the grid reaches.
    size : float, default=6.0
        Height of the figure, and width of each panel, in inches.
    cmap : str, default="gray_r"
        Colour map of the images.

    Returns
    -------
    figure : matplotlib.figure.Figure
        Two axes (codes, decoded grid) when ``X`` is given, else one. The
        grid's image is the last axes' only image, of shape
        ``(n_steps * (height + 1) - 1, n_steps * (width + 1) - 1)``.

    See Also
    --------
    plot_reconstructions : Images next to their reconstructions.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoEncoder
    >>> from sklearn_ae.plotting import plot_latent_traversal
    >>> X, y = load_digits(return_X_y=True)
    >>> ae = AutoEncoder(max_iter=2, random_state=0).fit(X / 16)
    >>> figure = plot_latent_traversal(ae, X / 16, y, image_shape=(8, 8), n_steps=5)
    >>> len(figure.axes), figure.axes[1].images[0].get_array().shape
    (2, (44, 44))
    """
    import matplotlib.pyplot as plt

    low, high = quantiles
    if not 0 <= low < high <= 1:
        raise ValueError(
            f"quantiles={quantiles!r} must be (low, high) with "
            "0 <= low < high <= 1, e.g. (0.02, 0.98)."
        )
    if int(n_steps) < 2:
        raise ValueError(f"n_steps={n_steps}; pass at least 2 grid points per axis.")
    n_steps = int(n_steps)
    probabilities = np.linspace(low, high, n_steps)
    if X is None:
        from scipy.stats import norm

        # ppf(0) and ppf(1) are infinite: keep the grid finite.
        axis_values = norm.ppf(np.clip(probabilities, 1e-3, 1 - 1e-3))
        axis_values = np.c_[axis_values, axis_values]
        codes = None
    else:
        codes = np.asarray(model.transform(X))
        if codes.ndim != 2 or codes.shape[1] != 2:
            raise ValueError(
                f"the model's codes have shape {codes.shape}; a latent traversal "
                "needs a model with n_components=2."
            )
        axis_values = np.quantile(codes, probabilities, axis=0)
    # Rows run from the top of the plane down, as in a scatter plot.
    grid = np.array([[u, v] for v in axis_values[::-1, 1] for u in axis_values[:, 0]])
    try:
        decoded = np.asarray(model.inverse_transform(grid))
    except ValueError as exc:
        raise ValueError(
            "could not decode a 2-D grid: a latent traversal needs a model "
            f"fitted with n_components=2 ({exc})"
        ) from exc
    image_shape = _check_image_shape(image_shape, decoded.shape[1], "decoded images")
    canvas = _tile(decoded, n_steps, n_steps, image_shape)

    n_panels = 1 if codes is None else 2
    figure, axes = plt.subplots(
        1, n_panels, figsize=(size * n_panels, size), squeeze=False
    )
    axes = axes.ravel()
    if codes is not None:
        ax = axes[0]
        ax.scatter(
            codes[:, 0],
            codes[:, 1],
            c=y,
            s=4,
            cmap="tab10" if y is not None else None,
            linewidths=0,
        )
        ax.scatter(grid[:, 0], grid[:, 1], marker="+", s=12, c="k", linewidths=0.6)
        ax.set_xlabel("code 1")
        ax.set_ylabel("code 2")
        ax.set_title("codes and the decoded grid (+)", fontsize=10)
    ax = axes[-1]
    ax.imshow(canvas, cmap=cmap, interpolation="nearest")
    ax.set_title(f"decoded {n_steps} x {n_steps} grid", fontsize=10)
    ax.axis("off")
    figure.tight_layout()
    return figure


def plot_reconstructions(
    X,
    reconstructions,
    *,
    image_shape,
    n_images=10,
    size=1.0,
    cmap="gray_r",
):
    """Original images in the first row, each method's reconstruction below.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The original images, one flattened image a row; the first
        ``n_images`` rows are drawn.
    reconstructions : dict of str to (array-like or fitted estimator)
        One row of the figure per entry, labelled by the key: either the
        reconstructions of the rows of ``X`` (same shape as ``X``), or a
        fitted model, which reconstructs them as
        ``model.inverse_transform(model.transform(X))``.
    image_shape : tuple of int
        ``(height, width)`` of one image, e.g. ``(28, 28)``.
    n_images : int, default=10
        Images per row.
    size : float, default=1.0
        Width and height of one image, in inches.
    cmap : str, default="gray_r"
        Colour map of the images.

    Returns
    -------
    figure : matplotlib.figure.Figure
        ``1 + len(reconstructions)`` axes, one image each, of shape
        ``(height, n_images * (width + 1) - 1)``.

    See Also
    --------
    plot_latent_traversal : Decoded images over a 2-D code plane.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae.plotting import plot_reconstructions
    >>> X, _ = load_digits(return_X_y=True)
    >>> pca = PCA(10).fit(X)
    >>> figure = plot_reconstructions(X, {"PCA-10": pca}, image_shape=(8, 8))
    >>> len(figure.axes), figure.axes[0].images[0].get_array().shape
    (2, (8, 89))
    """
    import matplotlib.pyplot as plt

    X = np.asarray(X)
    n_images = int(min(n_images, len(X)))
    if n_images < 1 or X.ndim != 2:
        raise ValueError(
            f"X has shape {X.shape}; pass at least one flattened image a row."
        )
    if not isinstance(reconstructions, Mapping):
        raise TypeError(
            "reconstructions must be a dict of {label: reconstructed images or "
            f"fitted model}}, got {type(reconstructions).__name__}."
        )
    image_shape = _check_image_shape(image_shape, X.shape[1], "X")
    originals = X[:n_images]
    rows = {"original": originals}
    for label, value in reconstructions.items():
        if hasattr(value, "inverse_transform"):
            value = value.inverse_transform(value.transform(originals))
        value = np.asarray(value)
        if value.ndim != 2 or value.shape[1] != X.shape[1] or len(value) < n_images:
            raise ValueError(
                f"reconstructions[{label!r}] has shape {value.shape}; pass the "
                f"reconstructions of the first {n_images} rows of X, shape "
                f"({n_images}, {X.shape[1]})."
            )
        rows[label] = value[:n_images]

    height, width = image_shape
    # Room for the row labels left of the images: about 0.075 inch a
    # character at font size 9, so that long class names are not cut.
    label_inches = 0.3 + 0.075 * max(len(str(label)) for label in rows)
    figure, axes = plt.subplots(
        len(rows),
        1,
        figsize=(size * n_images + label_inches, size * len(rows) * height / width),
        squeeze=False,
    )
    # One colour scale for every row, so that faint reconstructions look faint.
    low, high = float(originals.min()), float(originals.max())
    for ax, (label, images) in zip(axes.ravel(), rows.items(), strict=True):
        ax.imshow(
            _tile(images, 1, n_images, image_shape),
            cmap=cmap,
            vmin=low,
            vmax=high,
            interpolation="nearest",
        )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    figure.tight_layout()
    return figure


def plot_loss_curves(curves, *, ax=None, log_scale=True, title=None):
    """Training loss against epoch, one line per model.

    Parameters
    ----------
    curves : dict of str to (fitted estimator or array-like of shape (n_epochs,))
        Labelled models, whose ``loss_curve_`` is drawn (and their
        ``validation_loss_curve_``, dashed, when they have one), or the
        loss values themselves.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; None makes a new figure.
    log_scale : bool, default=True
        Logarithmic loss axis: losses of different models differ by orders
        of magnitude. Falls back to linear when a loss is not positive.
    title : str, default=None
        Title of the axes.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure of ``ax``, one line per curve.

    See Also
    --------
    plot_scaling : Cost against data size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ae.plotting import plot_loss_curves
    >>> figure = plot_loss_curves({"a": [3.0, 2.0, 1.5], "b": [4.0, 1.0]})
    >>> len(figure.axes[0].lines)
    2
    """
    import matplotlib.pyplot as plt

    if not isinstance(curves, Mapping) or not curves:
        raise ValueError(
            "curves must be a non-empty dict of {label: fitted model or loss values}."
        )
    # Past a few curves the legend would hide them: it goes beside the axes.
    legend_outside = len(curves) > 4
    if ax is None:
        _, ax = plt.subplots(figsize=(9 if legend_outside else 6, 4))
    positive = True
    for label, value in curves.items():
        validation = None
        if hasattr(value, "loss_curve_"):
            validation = getattr(value, "validation_loss_curve_", None)
            value = value.loss_curve_
        elif hasattr(value, "fit"):
            raise ValueError(
                f"curves[{label!r}] has no loss_curve_: fit it first, or pass "
                "its loss values."
            )
        loss = np.asarray(value, dtype=float)
        epochs = np.arange(1, len(loss) + 1)
        (line,) = ax.plot(epochs, loss, label=label, linewidth=1.2)
        positive &= bool(np.all(loss[np.isfinite(loss)] > 0))
        if validation is not None:
            validation = np.asarray(validation, dtype=float)
            ax.plot(
                np.arange(1, len(validation) + 1),
                validation,
                linestyle="--",
                color=line.get_color(),
                linewidth=1.0,
            )
            positive &= bool(np.all(validation[np.isfinite(validation)] > 0))
    if log_scale and positive:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    if title is not None:
        ax.set_title(title, fontsize=10)
    if legend_outside:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        ax.figure.tight_layout()
    else:
        ax.legend(fontsize=7)
    return ax.figure


def plot_scaling(
    results,
    *,
    metrics=("fit_seconds", "transform_seconds", "peak_memory_mb"),
    slopes=None,
    size=4.0,
):
    """Cost against the number of samples on log-log axes, one line per method.

    Parameters
    ----------
    results : iterable of dict
        One record per measurement, with keys ``"method"``, ``"n_samples"``
        and each of ``metrics`` (as in the scaling study's CSV). Missing,
        empty and non-positive values are left out.
    metrics : tuple of str, default=("fit_seconds", "transform_seconds", \
"peak_memory_mb")
        One panel per metric.
    slopes : dict of str to dict of str to float, default=None
        ``slopes[method][metric]``: fitted log-log slope, shown in the legend.
    size : float, default=4.0
        Width and height of one panel, in inches.

    Returns
    -------
    figure : matplotlib.figure.Figure
        One axes per metric.

    See Also
    --------
    plot_loss_curves : Training loss against epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ae.plotting import plot_scaling
    >>> rows = [
    ...     {"method": "PCA", "n_samples": n, "fit_seconds": n / 1e4}
    ...     for n in (1000, 2000, 4000)
    ... ]
    >>> figure = plot_scaling(rows, metrics=("fit_seconds",))
    >>> len(figure.axes), len(figure.axes[0].lines)
    (1, 1)
    """
    import matplotlib.pyplot as plt

    records = list(results)
    if not records:
        raise ValueError("plot_scaling needs at least one result.")
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    methods = list(dict.fromkeys(record["method"] for record in records))
    colours = plt.get_cmap("tab20")
    figure, axes = plt.subplots(
        1, len(metrics), figsize=(size * len(metrics), size), squeeze=False
    )
    for ax, metric in zip(axes.ravel(), metrics, strict=True):
        for k, method in enumerate(methods):
            points = sorted(
                (float(record["n_samples"]), _as_float(record.get(metric)))
                for record in records
                if record["method"] == method
            )
            points = [(n, v) for n, v in points if np.isfinite(v) and v > 0]
            if not points:
                continue
            label = method
            slope = (slopes or {}).get(method, {}).get(metric)
            if slope is not None and np.isfinite(slope):
                label = f"{method} (slope {slope:.2f})"
            n, values = zip(*points, strict=True)
            ax.plot(
                n, values, marker="o", markersize=3, label=label, color=colours(k % 20)
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n_samples")
        ax.set_ylabel(metric)
        ax.set_title(metric, fontsize=10)
        if ax.lines:
            ax.legend(fontsize=6)
    figure.tight_layout()
    return figure


def _as_float(value):
    """A CSV cell as a float: empty or missing is NaN."""
    if value is None or value == "":
        return np.nan
    return float(value)
