"""Scatter plots of 2-D embeddings, one panel each."""

import numpy as np

from ._colours import _ColourKey, _is_continuous
from ._figure import _fit_title, _per_panel, _pyplot


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
