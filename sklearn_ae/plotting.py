"""Figures: embeddings, latent traversals, reconstructions, loss curves, scaling.

Every function returns the matplotlib :class:`~matplotlib.figure.Figure` it
drew, to show or save. matplotlib is the ``plot`` extra
(``pip install "sklearn-ae[plot]"``), imported inside each function, so
``import sklearn_ae`` and ``import sklearn_ae.plotting`` never need it.
"""

import re
from collections.abc import Mapping

import numpy as np

__all__ = [
    "plot_embeddings",
    "plot_latent_traversal",
    "plot_loss_curves",
    "plot_reconstructions",
    "plot_scaling",
]


def _pyplot():
    """``matplotlib.pyplot``, or an ImportError naming the extra to install."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "sklearn_ae.plotting draws with matplotlib, which is not installed: "
            'pip install "sklearn-ae[plot]".'
        ) from exc
    return plt


def _per_panel(value, n, name, scalar=(str,)):
    """``value`` repeated for n panels, or checked to have one per panel."""
    if value is None or isinstance(value, scalar):
        return [value] * n
    value = list(value)
    if len(value) != n:
        raise ValueError(
            f"{name} has {len(value)} entries for {n} embeddings; pass one per "
            "embedding (or a single value for all)."
        )
    return value


# Up to this many distinct values, a colour array of whole numbers is read
# as class labels (drawn with a legend); past it, as a coordinate (drawn
# with a colour bar).
_MAX_CLASSES = 20


def _is_continuous(values):
    """Whether colour values are a coordinate rather than class labels."""
    if values.dtype.kind not in "fc":
        return values.dtype.kind in "iu" and len(np.unique(values)) > _MAX_CLASSES
    finite = values[np.isfinite(values)]
    whole = bool(np.all(finite == np.round(finite)))
    return not whole or len(np.unique(finite)) > _MAX_CLASSES


def _class_colours(classes, cmap):
    """One colour per class: a qualitative map's own colours, in order, when
    it has enough of them, else even steps along the map."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    cmap = plt.get_cmap(cmap)
    n = len(classes)
    if isinstance(cmap, ListedColormap) and n <= cmap.N <= _MAX_CLASSES:
        return [cmap(k) for k in range(n)]
    return [cmap(k / max(1, n - 1)) for k in range(n)]


class _ColourKey:
    """What the colours of a set of panels mean: classes or a coordinate.

    Panels with the same colours (same values, kind, colour map and label)
    share one key and one colour scale, drawn once for all of them.
    """

    def __init__(self, values, continuous, cmap, label):
        self.continuous = continuous
        self.cmap = cmap
        self.label = label
        if continuous:
            self.classes = None
            self.low = float(np.nanmin(values))
            self.high = float(np.nanmax(values))
        else:
            self.classes = tuple(np.unique(values).tolist())

        # Equal colour arrays (one data set's labels or coordinate, drawn
        # for several methods) share a key; two data sets' never do, even
        # with the same classes: their keys go beside their own panels.
        # Bytes, not floats, so that arrays with NaN compare equal too.
        data = values.tobytes() if values.dtype.kind != "O" else tuple(values.tolist())
        self.values = hash((values.dtype.str, values.shape, data))

    @property
    def signature(self):
        return (self.continuous, str(self.cmap), self.label, self.values)

    def scatter_colours(self, values):
        """The ``c`` and ``norm`` arguments of the scatter of ``values``."""
        from matplotlib.colors import Normalize

        if self.continuous:
            return {
                "c": values,
                "cmap": self.cmap,
                "norm": Normalize(self.low, self.high),
            }
        colours = np.array(_class_colours(self.classes, self.cmap))
        index = {label: k for k, label in enumerate(self.classes)}
        return {"c": colours[[index[v] for v in values.tolist()]]}

    def draw_inside(self, ax):
        """A key for one panel that adds no axes to the figure: a legend
        beside it, or a colour bar in an inset axes beside it."""
        if not self.continuous:
            return self.draw(ax.figure, [ax], [(0, 0)], "right")
        import matplotlib.pyplot as plt
        from matplotlib.colors import Normalize

        mappable = plt.cm.ScalarMappable(
            norm=Normalize(self.low, self.high), cmap=self.cmap
        )
        return ax.figure.colorbar(
            mappable, cax=ax.inset_axes([1.03, 0.0, 0.03, 1.0]), label=self.label
        )

    def draw(self, figure, axes, cells, where):
        """A legend or colour bar for ``axes`` (at grid ``cells``), to their
        right or below them."""
        import matplotlib.pyplot as plt
        from matplotlib.colors import Normalize
        from matplotlib.lines import Line2D

        if self.continuous:
            mappable = plt.cm.ScalarMappable(
                norm=Normalize(self.low, self.high), cmap=self.cmap
            )
            right = where == "right"
            return figure.colorbar(
                mappable,
                ax=axes,
                location=where,
                label=self.label,
                shrink=0.9 if right else 0.8,
                aspect=30,
                pad=0.02 if right else 0.01,
            )
        handles = [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markersize=6,
                color=colour,
                label=str(label),
            )
            for label, colour in zip(
                self.classes, _class_colours(self.classes, self.cmap), strict=True
            )
        ]
        if where == "right":
            # Beside the middle panel of the rightmost column.
            last = max(col for _, col in cells)
            column = [
                ax for ax, (_, col) in zip(axes, cells, strict=True) if col == last
            ]
            ax = column[(len(column) - 1) // 2]
            placement = {
                "loc": "center left",
                "bbox_to_anchor": (1.02, 0.5),
                "ncols": 1 if len(handles) <= 12 else 2,
            }
        else:
            ax = axes[int(np.argmax([row for row, _ in cells]))]
            placement = {
                "loc": "upper center",
                "bbox_to_anchor": (0.5, -0.02),
                "ncols": min(len(handles), 5),
            }
        return ax.legend(
            handles=handles,
            title=self.label,
            fontsize=8,
            title_fontsize=8,
            frameon=False,
            handletextpad=0.1,
            columnspacing=0.8,
            **placement,
        )


def plot_embeddings(
    embeddings,
    *,
    colors=None,
    titles=None,
    n_cols=4,
    size=3.0,
    cmap="Spectral",
    point_size=4.0,
    transpose=False,
    color_labels=None,
    continuous=None,
    legend=True,
    title=None,
    dpi=None,
    annotations=None,
    limit_quantiles=None,
):
    """Scatter plots of 2-D embeddings in a grid, one panel per embedding.

    Panels fill the grid row by row, so a methods x data sets table is a
    list in row order with ``n_cols`` set to the number of data sets. Such
    a table of many methods is tall and narrow; two layouts read better:
    ``transpose=True`` draws its rows as columns (one row per data set, a
    grid wider than tall), and calling this function once per data set,
    with that data set's panels and ``title``, makes one figure each.

    The colours' meaning is drawn once for all panels with the same colour
    values (one data set's labels or coordinate): a legend of the classes,
    or a colour bar of a continuous coordinate, beside those panels (below
    them when they fill one column of the grid).

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
        Panels per row (per column when ``transpose=True``).
    size : float, default=3.0
        Width and height of one panel, in inches.
    cmap : str or list of str, default="Spectral"
        Colour map of all panels, or one per panel (e.g. ``"tab10"`` for
        class labels, ``"Spectral"`` for a coordinate).
    point_size : float, default=4.0
        Marker area, in points squared.
    transpose : bool, default=False
        Draw the grid's rows as columns: the panel that would sit in row
        ``i``, column ``j`` sits in row ``j``, column ``i``.
    color_labels : str or list of (str or None), default=None
        What the colours are (e.g. ``"digit"``, ``"position along the
        roll"``), for all panels or one per panel: the legend's title or the
        colour bar's label.
    continuous : bool or list of (bool or None), default=None
        Whether the colours of all panels, or of each panel, are a
        continuous coordinate (drawn with a colour map and a colour bar)
        rather than class labels (one colour per class and a legend). None:
        a coordinate if the values are not whole numbers or if there are
        more than 20 distinct values.
    legend : bool, default=True
        Draw the legends and colour bars.
    title : str, default=None
        Title of the figure, above the panels.
    dpi : float, default=None
        Resolution of the figure, in dots per inch; None: matplotlib's
        ``figure.dpi``. A ``savefig(dpi=...)`` overrides it.
    annotations : str or list of (str or None), default=None
        Text drawn inside each panel's top left corner (e.g. the panel's
        score), for all panels or one per panel.
    limit_quantiles : tuple of float, default=None
        ``(low, high)``: each panel's axes reach from the ``low`` to the
        ``high`` quantile of its points along each axis, widened by 5% a
        side, so that a few outliers do not squash the rest into a corner;
        the points beyond are drawn at the edge as crosses and counted in
        the panel's bottom right corner. None: every point in view.

    Returns
    -------
    figure : matplotlib.figure.Figure
        One axes per embedding, in the order of ``embeddings``, then one per
        colour bar.

    See Also
    --------
    plot_latent_traversal : Decoded images over a 2-D code plane.

    Notes
    -----
    A title wider than its panel is broken into lines at its words, the
    capitals of a CamelCase name and its hyphens.

    Examples
    --------
    >>> import numpy as np
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ae.plotting import plot_embeddings
    >>> Z = np.random.RandomState(0).normal(size=(50, 2))
    >>> labels = np.arange(50) % 3
    >>> figure = plot_embeddings([Z, Z], colors=[labels, labels], titles=["a", "b"])
    >>> len(figure.axes), len(figure.axes[1].get_legend().get_texts())
    (2, 3)
    """
    plt = _pyplot()

    n = len(embeddings)
    if not n:
        raise ValueError("plot_embeddings needs at least one embedding.")
    colors = _per_panel(colors, n, "colors")
    titles = _per_panel(titles, n, "titles")
    cmaps = _per_panel(cmap, n, "cmap")
    color_labels = _per_panel(color_labels, n, "color_labels")
    continuous = _per_panel(continuous, n, "continuous", scalar=(bool, np.bool_))
    annotations = _per_panel(annotations, n, "annotations")
    if limit_quantiles is not None:
        low, high = (float(q) for q in limit_quantiles)
        if not 0 <= low < high <= 1:
            raise ValueError(
                f"limit_quantiles={limit_quantiles!r} must be (low, high) with "
                "0 <= low < high <= 1, e.g. (0.01, 0.99)."
            )
    checked = []
    for i, Z in enumerate(embeddings):
        if Z is not None:
            Z = np.asarray(Z)
            if Z.ndim != 2 or Z.shape[1] < 2:
                raise ValueError(
                    f"embedding {i} has shape {Z.shape}; plot_embeddings needs "
                    "at least 2 columns."
                )
            if colors[i] is not None:
                colors[i] = np.asarray(colors[i]).ravel()
                if len(colors[i]) != len(Z):
                    raise ValueError(
                        f"colors[{i}] has {len(colors[i])} values for the "
                        f"{len(Z)} points of embedding {i}; pass one a point."
                    )
        checked.append(Z)

    # Panels with the same colours share a key and a colour scale.
    keys, key_of = {}, [None] * n
    for i, (Z, values) in enumerate(zip(checked, colors, strict=True)):
        if Z is None or values is None:
            continue
        is_continuous = continuous[i]
        if is_continuous is None:
            is_continuous = _is_continuous(values)
        key = _ColourKey(values, bool(is_continuous), cmaps[i], color_labels[i])
        key_of[i] = keys.setdefault(key.signature, key)

    n_cols = max(1, min(n_cols, n))
    n_rows = int(np.ceil(n / n_cols))
    cells = [divmod(i, n_cols) for i in range(n)]
    if transpose:
        n_rows, n_cols = n_cols, n_rows
        cells = [(col, row) for row, col in cells]
    # Constrained layout makes room for the titles, legends and colour bars.
    figure = plt.figure(
        figsize=(size * n_cols, size * n_rows), layout="constrained", dpi=dpi
    )
    grid = figure.add_gridspec(n_rows, n_cols)
    # Made in the order of the panels, so that figure.axes lists them so.
    axes = [figure.add_subplot(grid[cell]) for cell in cells]
    for i, ax in enumerate(axes):
        Z = checked[i]
        if Z is None:
            ax.text(0.5, 0.5, "not run", ha="center", va="center", color="0.5")
        else:
            style = {} if key_of[i] is None else key_of[i].scatter_colours(colors[i])
            _scatter_within(ax, Z[:, :2], style, point_size, limit_quantiles)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles[i] is not None:
            ax.set_title(_fit_title(titles[i], size, fontsize=9), fontsize=9)
        if annotations[i]:
            ax.text(
                0.03,
                0.97,
                annotations[i],
                transform=ax.transAxes,
                ha="left",
                va="top",
                fontsize=8,
                bbox={"facecolor": "white", "alpha": 0.8, "linewidth": 0, "pad": 1},
            )
    if legend:
        for key in keys.values():
            members = [i for i in range(n) if key_of[i] is key]
            columns = {cells[i][1] for i in members}
            # A key shared by one column of a taller grid goes below it (a
            # data set's column), any other beside its panels.
            where = "bottom" if len(columns) == 1 and n_rows > 1 else "right"
            key.draw(
                figure, [axes[i] for i in members], [cells[i] for i in members], where
            )
    if title is not None:
        figure.suptitle(title)
    return figure


def _fit_title(text, width_inches, fontsize):
    """``text`` broken into lines that fit ``width_inches`` at ``fontsize``.

    Breaks at spaces, hyphens and the capitals of CamelCase names, so that
    "ConditionalVariationalAutoEncoder" reads "ConditionalVariational /
    AutoEncoder" in a narrow panel.
    """
    # An average character of matplotlib's sans-serif is about 0.6 em wide.
    max_chars = max(8, int(width_inches * 72 / (0.62 * fontsize)))
    lines = []
    for line in str(text).split("\n"):
        if len(line) <= max_chars:
            lines.append(line)
            continue
        pieces = re.findall(r"[A-Z]?[^A-Z\s-]*[-\s]?", line)
        current = ""
        for piece in (p for p in pieces if p):
            if current and len(current + piece.rstrip()) > max_chars:
                lines.append(current.rstrip())
                current = ""
            current += piece
        lines.append(current.rstrip())
    return "\n".join(lines)


def _scatter_within(ax, Z, style, point_size, limit_quantiles):
    """Scatter ``Z`` on ``ax``; with quantile limits, outliers at the edge."""
    if limit_quantiles is None or len(Z) < 2:
        ax.scatter(Z[:, 0], Z[:, 1], s=point_size, linewidths=0, **style)
        return
    low, high = np.nanquantile(Z, limit_quantiles, axis=0)
    margin = 0.05 * np.where(high > low, high - low, 1.0)
    low, high = low - margin, high + margin
    outside = np.any((Z < low) | (Z > high), axis=1)
    clipped = np.clip(Z, low, high)
    colours = style.get("c")
    for mask, marker, size in ((~outside, "o", point_size), (outside, "x", 12)):
        if not mask.any():
            continue
        own = dict(style)
        if colours is not None and np.ndim(colours) > 0 and len(colours) == len(Z):
            own["c"] = np.asarray(colours)[mask]
        ax.scatter(
            clipped[mask, 0],
            clipped[mask, 1],
            s=size,
            marker=marker,
            linewidths=0 if marker == "o" else 0.8,
            **own,
        )
    ax.set_xlim(low[0], high[0])
    ax.set_ylim(low[1], high[1])
    if outside.any():
        ax.text(
            0.97,
            0.03,
            f"{int(outside.sum())} beyond (x)",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=7,
            color="0.3",
        )


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


def _distinct_colours(n):
    """``n`` colours, none repeated: tab10's up to 10, tab20's up to 20."""
    import matplotlib.pyplot as plt

    if n <= 10:
        return [plt.get_cmap("tab10")(k) for k in range(n)]
    if n <= 20:
        return [plt.get_cmap("tab20")(k) for k in range(n)]
    return [plt.get_cmap("turbo")(k / (n - 1)) for k in range(n)]


def _loss_values(label, value):
    """A curve's training and validation losses (the latter None if absent)."""
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
    if validation is not None:
        validation = np.asarray(validation, dtype=float)
    return loss, validation


def plot_loss_curves(
    curves, *, ax=None, log_scale="auto", title=None, panels=False, n_cols=4
):
    """Training loss against epoch, one line per model.

    Parameters
    ----------
    curves : dict of str to (fitted estimator or array-like of shape (n_epochs,))
        Labelled models, whose ``loss_curve_`` is drawn (and their
        ``validation_loss_curve_``, dashed, when they have one), or the
        loss values themselves.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; None makes a new figure. Only without ``panels``.
    log_scale : "auto" or bool, default="auto"
        Logarithmic loss axis, for losses of different models that differ
        by orders of magnitude. "auto": logarithmic when the losses span a
        factor of 10 or more, linear otherwise; True: logarithmic; False:
        linear. Linear whenever a loss is not positive. With ``panels``,
        decided for each panel.
    title : str, default=None
        Title of the axes (of the figure, with ``panels``).
    panels : bool, default=False
        One small panel per curve, each on its own loss scale, so that
        every curve's shape shows even when the losses differ in kind and
        level (a VAE's ELBO in the thousands beside squared errors near
        one). False: every curve on one axes.
    n_cols : int, default=4
        Panels per row, with ``panels``.

    Returns
    -------
    figure : matplotlib.figure.Figure
        The figure of ``ax``, one line per curve (plus one per validation
        curve); with ``panels``, one axes per curve. No two curves share a
        colour.

    See Also
    --------
    plot_scaling : Cost against data size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_ae.plotting import plot_loss_curves
    >>> figure = plot_loss_curves({"a": [3.0, 2.0, 1.5], "b": [4.0, 1.0]})
    >>> len(figure.axes[0].lines), figure.axes[0].get_yscale()
    (2, 'linear')
    >>> figure = plot_loss_curves({"a": [3.0, 2.0], "b": [9e3, 1e3]}, panels=True)
    >>> len(figure.axes)
    2
    """
    plt = _pyplot()

    if not isinstance(curves, Mapping) or not curves:
        raise ValueError(
            "curves must be a non-empty dict of {label: fitted model or loss values}."
        )
    if log_scale not in ("auto", True, False):
        raise ValueError(f"log_scale={log_scale!r}; pass 'auto', True or False.")
    if panels and ax is not None:
        raise ValueError(
            "plot_loss_curves(panels=True) draws its own figure; pass ax=None."
        )
    losses = {label: _loss_values(label, value) for label, value in curves.items()}
    colours = _distinct_colours(len(losses))
    if panels:
        n_cols = max(1, min(int(n_cols), len(losses)))
        n_rows = int(np.ceil(len(losses) / n_cols))
        figure, grid = plt.subplots(
            n_rows,
            n_cols,
            figsize=(2.6 * n_cols, 2.0 * n_rows + 0.4),
            squeeze=False,
            layout="constrained",
        )
        for ax_k in grid.ravel()[len(losses) :]:
            ax_k.set_visible(False)
        for ax_k, (label, pair), colour in zip(
            grid.ravel(), losses.items(), colours, strict=False
        ):
            _draw_losses(ax_k, {label: pair}, [colour], log_scale)
            ax_k.set_title(_fit_title(label, 2.6, fontsize=8), fontsize=8)
            ax_k.tick_params(labelsize=7)
        for ax_k in grid[-1]:
            ax_k.set_xlabel("epoch", fontsize=8)
        for ax_k in grid[:, 0]:
            ax_k.set_ylabel("training loss", fontsize=8)
        if title is not None:
            figure.suptitle(title, fontsize=10)
        return figure
    # Past a few curves the legend would hide them: it goes beside the axes.
    legend_outside = len(curves) > 4
    if ax is None:
        _, ax = plt.subplots(figsize=(9 if legend_outside else 6, 4))
    _draw_losses(ax, losses, colours, log_scale)
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


def _draw_losses(ax, losses, colours, log_scale):
    """Each curve of ``losses`` on ``ax`` (its validation curve dashed)."""
    positive, values = True, []
    for (label, (loss, validation)), colour in zip(
        losses.items(), colours, strict=True
    ):
        epochs = np.arange(1, len(loss) + 1)
        ax.plot(epochs, loss, label=label, linewidth=1.2, color=colour)
        positive &= bool(np.all(loss[np.isfinite(loss)] > 0))
        values.append(loss)
        if validation is not None:
            ax.plot(
                np.arange(1, len(validation) + 1),
                validation,
                linestyle="--",
                color=colour,
                linewidth=1.0,
            )
            positive &= bool(np.all(validation[np.isfinite(validation)] > 0))
            values.append(validation)
    _loss_axis(ax, np.concatenate(values), log_scale, positive)


def _loss_axis(ax, values, log_scale, positive):
    """Scale and ticks of a loss axis: several labelled ticks on any range."""
    from matplotlib.ticker import (
        FuncFormatter,
        LogLocator,
        MaxNLocator,
        NullFormatter,
    )

    # Epochs are whole numbers: no tick at epoch 2.5.
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if finite.size else (1.0, 1.0)
    if log_scale == "auto":
        log_scale = positive and high >= 10 * low
    if not (log_scale and positive):
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6))
        return
    ax.set_yscale("log")
    if high >= 100 * low:
        return  # two decades or more: a tick a decade reads well
    # Less than two decades: matplotlib's log axis labels only the powers
    # of ten, one or two ticks at most. Label 1, 2 and 5 times each power,
    # or, on a range narrower still, evenly spaced values.
    locator = LogLocator(subs=(1.0, 2.0, 5.0))
    ticks = locator.tick_values(low, high)
    if np.sum((ticks >= low) & (ticks <= high)) < 3:
        locator = MaxNLocator(nbins=6)
    ax.yaxis.set_major_locator(locator)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


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
    plt = _pyplot()

    records = list(results)
    if not records:
        raise ValueError("plot_scaling needs at least one result.")
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    methods = list(dict.fromkeys(record["method"] for record in records))
    # A colour and a marker of its own for each method, kept across panels.
    colours = _distinct_colours(len(methods))
    markers = "osD^vP*X<>ph"
    figure, axes = plt.subplots(
        1,
        len(metrics),
        figsize=(size * len(metrics), size + 0.25 * len(methods)),
        squeeze=False,
        layout="constrained",
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
                n,
                values,
                marker=markers[k % len(markers)],
                markersize=4,
                label=label,
                color=colours[k],
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("n_samples")
        ax.set_ylabel(metric)
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3, which="major")
        if ax.lines:
            # Below the axes, not over the lines: a legend inside a log-log
            # panel of many methods always covers some of them.
            ax.legend(
                fontsize=7,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.15),
                frameon=False,
            )
    return figure


def _as_float(value):
    """A CSV cell as a float: empty or missing is NaN."""
    if value is None or value == "":
        return np.nan
    return float(value)
