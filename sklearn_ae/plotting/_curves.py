"""Curves: training losses against epoch, and cost against data size."""

from collections.abc import Mapping

import numpy as np

from ._colours import _distinct_colours
from ._figure import _fit_title, _pyplot


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
