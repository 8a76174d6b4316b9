"""What colours mean: class labels (a legend) or a coordinate (a colour bar),
and distinct colours for a set of curves.
"""

import numpy as np

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


def _distinct_colours(n):
    """``n`` colours, none repeated: tab10's up to 10, tab20's up to 20."""
    import matplotlib.pyplot as plt

    if n <= 10:
        return [plt.get_cmap("tab10")(k) for k in range(n)]
    if n <= 20:
        return [plt.get_cmap("tab20")(k) for k in range(n)]
    return [plt.get_cmap("turbo")(k / (n - 1)) for k in range(n)]
