"""Figures build with the right panels and refuse bad embeddings."""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from sklearn_ae.plotting import plot_embeddings

matplotlib.use("Agg")


def test_plot_embeddings_grid(tmp_path):
    Z = np.random.RandomState(0).normal(size=(30, 2))
    figure = plot_embeddings([Z] * 5, colors=[np.arange(30)] * 5, n_cols=3)
    # Five panels, then the colour bar of their shared coordinate.
    assert len(figure.axes) == 6 and len(_colour_bars(figure)) == 1
    figure.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 0


def _colour_bars(figure):
    return [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]


def test_plot_embeddings_key_classes_with_a_legend_and_coordinates_with_a_bar():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(60, 2))
    classes = np.arange(60) % 4
    coordinate = rng.uniform(0, 10, size=60)
    # Two methods (rows) x two data sets (columns): classes, then a coordinate.
    figure = plot_embeddings(
        [Z, Z, Z, Z],
        colors=[classes, coordinate] * 2,
        n_cols=2,
        color_labels=["digit", "position"] * 2,
    )
    panels = figure.axes[:4]
    legends = [ax.get_legend() for ax in panels if ax.get_legend() is not None]
    # One legend for the class column, below its last panel.
    assert len(legends) == 1 and panels[2].get_legend() is legends[0]
    assert [t.get_text() for t in legends[0].get_texts()] == ["0", "1", "2", "3"]
    assert legends[0].get_title().get_text() == "digit"
    # One colour bar for the coordinate column, spanning its full range.
    (bar,) = _colour_bars(figure)
    assert bar.get_xlabel() == "position"
    assert bar.get_xlim() == pytest.approx((coordinate.min(), coordinate.max()))
    # Without keys: the panels only.
    assert len(plot_embeddings([Z], colors=[classes], legend=False).axes) == 1
    assert (
        plot_embeddings([Z], colors=[classes], legend=False).axes[0].get_legend()
        is None
    )


def test_plot_embeddings_keys_each_data_set_beside_its_own_panels():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(40, 2))
    roll, curve = rng.uniform(0, 1, 40), rng.uniform(5, 9, 40)
    # Two coordinates: two colour bars, never one scale over both.
    figure = plot_embeddings(
        [Z, Z, Z, Z], colors=[roll, curve, roll, curve], n_cols=2, transpose=True
    )
    bars = _colour_bars(figure)
    assert len(bars) == 2
    assert sorted(bar.get_ylim() for bar in bars) == [
        pytest.approx((roll.min(), roll.max())),
        pytest.approx((curve.min(), curve.max())),
    ]
    # Integer labels with many values read as a coordinate, and a float
    # coordinate can be declared as classes.
    many = plot_embeddings([Z], colors=[np.arange(40)])
    assert len(_colour_bars(many)) == 1
    declared = plot_embeddings([Z], colors=[np.arange(40) % 2 + 0.5], continuous=False)
    assert len(declared.axes[0].get_legend().get_texts()) == 2
    # Class names may be strings; a coordinate with a missing value keys once.
    names = np.array(["cat", "dog"] * 20)
    legend = plot_embeddings([Z], colors=[names]).axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["cat", "dog"]
    gappy = roll.copy()
    gappy[0] = np.nan
    assert len(_colour_bars(plot_embeddings([Z, Z], colors=[gappy, gappy]))) == 1
    with pytest.raises(ValueError, match="colors\\[0\\] has 3 values"):
        plot_embeddings([Z], colors=[[1, 2, 3]])


def test_plot_embeddings_transpose_draws_a_wide_grid():
    Z = np.random.RandomState(0).normal(size=(20, 2))
    # Four methods x two data sets, in row order: a tall table ...
    tall = plot_embeddings([Z] * 8, n_cols=2, titles=list("abcdefgh"), size=2)
    wide = plot_embeddings(
        [Z] * 8, n_cols=2, titles=list("abcdefgh"), size=2, transpose=True
    )
    assert tuple(tall.get_size_inches()) == (4, 8)
    assert tuple(wide.get_size_inches()) == (8, 4)
    # ... whose first row (panels a and b) becomes the first column.
    a, b = wide.axes[0].get_position(), wide.axes[1].get_position()
    assert a.x0 == pytest.approx(b.x0) and a.y0 > b.y0
    assert [ax.get_title() for ax in wide.axes] == list("abcdefgh")
    titled = plot_embeddings([Z], title="swiss roll", dpi=50)
    assert titled.get_suptitle() == "swiss roll" and titled.dpi == 50


def test_plot_embeddings_refuses_one_column():
    with pytest.raises(ValueError, match="2 columns"):
        plot_embeddings([np.zeros((5, 1))])
    with pytest.raises(ValueError, match="at least one"):
        plot_embeddings([])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def digits_ae():
    from sklearn.datasets import load_digits

    from sklearn_ae import AutoEncoder

    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16
    return AutoEncoder(max_iter=3, random_state=0).fit(X), X, y[:300]


def test_latent_traversal_draws_the_decoded_grid(digits_ae):
    from sklearn_ae.plotting import plot_latent_traversal

    model, X, y = digits_ae
    figure = plot_latent_traversal(model, X, y, image_shape=(8, 8), n_steps=4)
    canvas = figure.axes[-1].images[0].get_array()
    assert canvas.shape == (4 * 9 - 1, 4 * 9 - 1)
    # Bottom-left cell: the lowest quantile of both code axes, decoded.
    codes = model.transform(X)
    corner = np.quantile(codes, 0.02, axis=0)
    expected = model.inverse_transform(corner[None, :]).reshape(8, 8)
    np.testing.assert_allclose(canvas[-8:, :8], expected, rtol=1e-5, atol=1e-6)
    # Without data the grid spans the standard normal's quantiles.
    assert len(plot_latent_traversal(model, image_shape=(8, 8)).axes) == 1


def test_latent_traversal_names_its_model_and_keys_its_codes(digits_ae):
    from sklearn_ae.plotting import plot_latent_traversal

    model, X, y = digits_ae
    figure = plot_latent_traversal(
        model, X, y, image_shape=(8, 8), n_steps=3, color_label="digit"
    )
    assert figure.get_suptitle() == "Latent traversal of AutoEncoder"
    legend = figure.axes[0].get_legend()
    assert legend.get_title().get_text() == "digit"
    assert len(legend.get_texts()) == len(np.unique(y))
    titled = plot_latent_traversal(model, image_shape=(8, 8), n_steps=3, title="VAE")
    assert titled.get_suptitle() == "VAE"
    assert (
        plot_latent_traversal(
            model, image_shape=(8, 8), n_steps=3, title=""
        ).get_suptitle()
        == ""
    )
    # A continuous y gets a colour bar, inset in the codes' axes: the grid
    # stays the last axes.
    coordinate = np.linspace(0, 1, len(X))
    figure = plot_latent_traversal(
        model, X, coordinate, image_shape=(8, 8), n_steps=3, color_label="position"
    )
    assert len(figure.axes) == 2 and figure.axes[-1].images
    (inset,) = figure.axes[0].child_axes
    assert inset.get_ylabel() == "position"
    assert inset.get_ylim() == pytest.approx((0, 1))


def test_latent_traversal_refuses_models_and_shapes_that_do_not_fit(digits_ae):
    from sklearn.decomposition import PCA

    from sklearn_ae.plotting import plot_latent_traversal

    model, X, _ = digits_ae
    with pytest.raises(ValueError, match="n_components=2"):
        plot_latent_traversal(PCA(3).fit(X), X, image_shape=(8, 8))
    with pytest.raises(ValueError, match="image_shape"):
        plot_latent_traversal(model, X, image_shape=(28, 28))
    with pytest.raises(ValueError, match="quantiles"):
        plot_latent_traversal(model, X, image_shape=(8, 8), quantiles=(0.9, 0.1))


def test_reconstructions_one_row_per_model_or_array(digits_ae):
    from sklearn_ae.plotting import plot_reconstructions

    model, X, _ = digits_ae
    figure = plot_reconstructions(
        X, {"ae": model, "identity": X}, image_shape=(8, 8), n_images=5
    )
    assert len(figure.axes) == 3
    first = figure.axes[1].images[0].get_array()[:, :8]
    expected = model.inverse_transform(model.transform(X[:1])).reshape(8, 8)
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="reconstructions"):
        plot_reconstructions(X, {"bad": X[:, :10]}, image_shape=(8, 8))
    with pytest.raises(TypeError, match="dict"):
        plot_reconstructions(X, [X], image_shape=(8, 8))


def test_reconstructions_leave_room_for_long_row_labels(digits_ae):
    from sklearn_ae.plotting import plot_reconstructions

    _, X, _ = digits_ae
    long_name = "ConditionalVariationalAutoEncoder"
    figure = plot_reconstructions(
        X, {long_name: X, "PCA": X}, image_shape=(8, 8), n_images=10
    )
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    label = figure.axes[1].yaxis.label
    assert label.get_text() == long_name
    # The whole label lies inside the figure: none of it is cut off.
    assert label.get_window_extent(renderer).x0 >= 0


def test_loss_curves_put_a_long_legend_beside_the_axes():
    from sklearn_ae.plotting import plot_loss_curves

    curves = {f"model {i}": [3.0 - 0.1 * i, 2.0, 1.0] for i in range(8)}
    figure = plot_loss_curves(curves)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    # Beside the axes, not over the curves, and inside the figure.
    assert legend.x0 >= ax.get_window_extent(renderer).x1
    assert legend.x1 <= figure.bbox.x1
    few = plot_loss_curves({"a": [2.0, 1.0]}).axes[0]
    few.figure.canvas.draw()
    inside = few.get_legend().get_window_extent(few.figure.canvas.get_renderer())
    assert inside.x1 <= few.get_window_extent().x1


def _labelled_ticks(axis):
    axis.figure.canvas.draw()
    low, high = sorted(axis.get_view_interval())
    return [
        label.get_text()
        for loc, label in zip(
            axis.get_majorticklocs(), axis.get_majorticklabels(), strict=True
        )
        if low <= loc <= high and label.get_text()
    ]


@pytest.mark.parametrize(
    "losses, log_scale, scale",
    [
        ([3.0, 2.0, 1.5, 1.4], "auto", "linear"),  # a factor 2: linear
        ([3.0, 2.0, 1.5, 1.4], True, "log"),  # forced log on a narrow range
        ([1.02, 1.01, 1.0], True, "log"),  # narrower still
        ([40.0, 10.0, 3.0, 1.0], "auto", "log"),  # over a decade: log
        ([900.0, 10.0, 0.5], "auto", "log"),  # three decades
        ([2.0, 0.5, -1.0], True, "linear"),  # not positive: linear
    ],
)
def test_loss_curves_label_several_ticks_on_any_range(losses, log_scale, scale):
    from sklearn_ae.plotting import plot_loss_curves

    ax = plot_loss_curves({"a": losses}, log_scale=log_scale).axes[0]
    assert ax.get_yscale() == scale
    labels = _labelled_ticks(ax.yaxis)
    assert len(labels) >= 3, f"only {len(labels)} labelled y ticks: {labels}"
    # Epochs are whole numbers.
    assert all(float(loc).is_integer() for loc in ax.xaxis.get_majorticklocs())


def test_loss_curves_refuse_an_unknown_scale():
    from sklearn_ae.plotting import plot_loss_curves

    with pytest.raises(ValueError, match="log_scale='symlog'"):
        plot_loss_curves({"a": [2.0, 1.0]}, log_scale="symlog")


def test_loss_curves_draw_training_and_validation(digits_ae):
    from sklearn_ae import AutoEncoder
    from sklearn_ae.plotting import plot_loss_curves

    model, X, _ = digits_ae
    validated = AutoEncoder(
        max_iter=3, early_stopping=True, n_iter_no_change=5, random_state=0
    ).fit(X)
    figure = plot_loss_curves({"plain": model, "validated": validated})
    lines = figure.axes[0].lines
    assert len(lines) == 3  # two training curves, one dashed validation curve
    np.testing.assert_allclose(lines[0].get_ydata(), model.loss_curve_)
    assert lines[2].get_linestyle() == "--"
    with pytest.raises(ValueError, match="fit it first"):
        plot_loss_curves({"unfitted": AutoEncoder()})


def test_scaling_plot_skips_missing_values_and_labels_slopes():
    from sklearn_ae.plotting import plot_scaling

    rows = [
        {"method": "A", "n_samples": 1000, "fit_seconds": 1.0},
        {"method": "A", "n_samples": 2000, "fit_seconds": ""},
        {"method": "A", "n_samples": 4000, "fit_seconds": 4.0},
        {"method": "B", "n_samples": 1000, "fit_seconds": 0.0},
    ]
    figure = plot_scaling(rows, metrics="fit_seconds", slopes={"A": {"fit_seconds": 1}})
    (ax,) = figure.axes
    assert len(ax.lines) == 1  # B has no positive value
    assert list(ax.lines[0].get_xdata()) == [1000, 4000]
    assert "slope 1.00" in ax.get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="at least one"):
        plot_scaling([])


# Run by a fresh interpreter in which matplotlib cannot be imported.
WITHOUT_MATPLOTLIB = """
import sys
sys.modules["matplotlib"] = None  # import matplotlib now raises ImportError
import numpy as np
import sklearn_ae, sklearn_ae.datasets, sklearn_ae.metrics, sklearn_ae.plotting
assert "matplotlib.pyplot" not in sys.modules
try:
    sklearn_ae.plotting.plot_loss_curves({"a": np.ones(3)})
except ImportError as exc:
    print(exc)
"""


def test_import_works_without_matplotlib_and_plotting_names_the_extra():
    import os
    import subprocess
    import sys
    from pathlib import Path

    import sklearn_ae

    root = Path(sklearn_ae.__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_MATPLOTLIB],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert 'pip install "sklearn-ae[plot]"' in result.stdout, result


def test_loss_curves_in_panels_show_each_shape_on_its_own_scale():
    from sklearn_ae.plotting import plot_loss_curves

    # A VAE-like loss in the thousands beside squared errors near one.
    curves = {f"model {i}": [2.0 - 0.1 * i, 1.5, 1.2] for i in range(12)}
    curves["elbo"] = [19_000.0, 9_000.0, 8_500.0]
    figure = plot_loss_curves(curves, panels=True, n_cols=4, title="losses")
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert len(visible) == 13
    for ax, values in zip(visible, curves.values(), strict=True):
        low, high = ax.get_ylim()
        # Each curve fills its own panel: its range is most of the axis.
        assert max(values) - min(values) > 0.5 * (high - low)
        assert ax.get_title()
    colours = [matplotlib.colors.to_hex(ax.lines[0].get_color()) for ax in visible]
    assert len(set(colours)) == 13
    with pytest.raises(ValueError, match="panels=True"):
        plot_loss_curves(curves, panels=True, ax=plt.subplots()[1])


def test_loss_curves_on_one_axes_repeat_no_colour():
    from sklearn_ae.plotting import plot_loss_curves

    curves = {f"model {i}": [3.0 - 0.1 * i, 2.0, 1.0] for i in range(13)}
    lines = plot_loss_curves(curves).axes[0].lines
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in lines}
    assert len(colours) == 13


def test_plot_embeddings_annotates_panels_and_clips_outliers_to_the_edge():
    rng = np.random.RandomState(0)
    Z = rng.uniform(size=(200, 2))
    Z[0] = [1_000.0, 0.5]  # one outlier would squash the rest
    figure = plot_embeddings(
        [Z, Z],
        colors=[np.arange(200) % 3] * 2,
        annotations=["5-NN 0.812", None],
        limit_quantiles=(0.01, 0.99),
    )
    ax = figure.axes[0]
    high = ax.get_xlim()[1]
    assert high < 2  # the outlier is out of the limits ...
    crosses = [c for c in ax.collections if len(c.get_offsets()) == 1]
    assert crosses and crosses[0].get_offsets()[0][0] == pytest.approx(high)
    texts = [t.get_text() for t in ax.texts]
    assert "5-NN 0.812" in texts and "1 beyond (x)" in texts
    assert "5-NN 0.812" not in [t.get_text() for t in figure.axes[1].texts]
    # Without limits every point is in view.
    free = plot_embeddings([Z]).axes[0]
    assert free.get_xlim()[1] > 1_000
    with pytest.raises(ValueError, match="limit_quantiles"):
        plot_embeddings([Z], limit_quantiles=(0.9, 0.1))


def test_plot_embeddings_titles_fit_their_panels():
    Z = np.random.RandomState(0).normal(size=(30, 2))
    long_name = "ConditionalVariationalAutoEncoder"
    figure = plot_embeddings([Z, Z, Z, Z], titles=[long_name, "PCA"] * 2, size=2.5)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ax = figure.axes[0]
    title = ax.title
    assert title.get_text().replace("\n", "") == long_name
    assert (
        title.get_window_extent(renderer).width <= ax.get_window_extent(renderer).width
    )
    assert figure.axes[1].title.get_text() == "PCA"


def test_reconstructions_carry_a_title(digits_ae):
    from sklearn_ae.plotting import plot_reconstructions

    _, X, _ = digits_ae
    figure = plot_reconstructions(
        X, {"PCA": X}, image_shape=(8, 8), title="digits, 10-D codes"
    )
    assert figure.get_suptitle() == "digits, 10-D codes"


def test_scaling_plot_legends_sit_below_the_lines_in_distinct_colours():
    from sklearn_ae.plotting import plot_scaling

    rows = [
        {"method": f"M{k}", "n_samples": n, "fit_seconds": (k + 1) * n / 1e3}
        for k in range(9)
        for n in (1000, 2000, 4000)
    ]
    figure = plot_scaling(rows, metrics=("fit_seconds",))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    (ax,) = figure.axes
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.y1 <= ax.get_window_extent(renderer).y0  # below, not over
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in ax.lines}
    assert len(colours) == 9
