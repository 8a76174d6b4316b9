"""Images: a decoded latent grid and reconstructions beside their inputs."""

from collections.abc import Mapping

import numpy as np

from ._colours import _ColourKey, _is_continuous
from ._figure import _pyplot


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
    title=None,
    color_label=None,
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
    title : str, default=None
        Title of the figure. None names the model, e.g. "Latent traversal
        of AutoEncoder"; an empty string leaves the title out.
    color_label : str, default=None
        What ``y`` is (e.g. ``"digit"``): the title of the codes' legend, or
        the label of their colour bar when ``y`` is a continuous coordinate.

    Returns
    -------
    figure : matplotlib.figure.Figure
        Two axes (codes, decoded grid) when ``X`` is given, else one. The
        grid's image is the last axes' only image, of shape
        ``(n_steps * (height + 1) - 1, n_steps * (width + 1) - 1)``. When
        ``y`` is given, the codes' axes has a legend of its classes or, for
        a continuous ``y``, a colour bar (an inset of that axes).

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
    >>> figure.get_suptitle()
    'Latent traversal of AutoEncoder'
    """
    plt = _pyplot()

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
        1,
        n_panels,
        figsize=(size * n_panels, size),
        squeeze=False,
        layout="constrained",
    )
    axes = axes.ravel()
    if codes is not None:
        ax = axes[0]
        key = None
        if y is not None:
            y = np.asarray(y).ravel()
            if len(y) != len(codes):
                raise ValueError(
                    f"y has {len(y)} values for the {len(codes)} rows of X; "
                    "pass one a row."
                )
            continuous = _is_continuous(y)
            key = _ColourKey(
                y, continuous, "Spectral" if continuous else "tab10", color_label
            )
        ax.scatter(
            codes[:, 0],
            codes[:, 1],
            s=4,
            linewidths=0,
            **({} if key is None else key.scatter_colours(y)),
        )
        if key is not None:
            key.draw_inside(ax)
        ax.scatter(grid[:, 0], grid[:, 1], marker="+", s=12, c="k", linewidths=0.6)
        ax.set_xlabel("code 1")
        ax.set_ylabel("code 2")
        ax.set_title("codes and the decoded grid (+)", fontsize=10)
    ax = axes[-1]
    ax.imshow(canvas, cmap=cmap, interpolation="nearest")
    ax.set_title(f"decoded {n_steps} x {n_steps} grid", fontsize=10)
    ax.axis("off")
    if title is None:
        title = f"Latent traversal of {type(model).__name__}"
    if title:
        figure.suptitle(title)
    return figure


def plot_reconstructions(
    X,
    reconstructions,
    *,
    image_shape,
    n_images=10,
    size=1.0,
    cmap="gray_r",
    title=None,
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
    title : str, default=None
        Title of the figure (e.g. the data set and the code size).

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
    plt = _pyplot()

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
        figsize=(
            size * n_images + label_inches,
            size * len(rows) * height / width + (0.4 if title else 0.0),
        ),
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
    if title is not None:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure
