"""Figures build with the right panels and refuse bad embeddings."""

import matplotlib
import numpy as np
import pytest

from sklearn_ae.plotting import plot_embeddings

matplotlib.use("Agg")


def test_plot_embeddings_grid(tmp_path):
    Z = np.random.RandomState(0).normal(size=(30, 2))
    figure = plot_embeddings([Z] * 5, colors=[np.arange(30)] * 5, n_cols=3)
    assert len(figure.axes) == 5
    figure.savefig(tmp_path / "grid.png")
    assert (tmp_path / "grid.png").stat().st_size > 0


def test_plot_embeddings_refuses_one_column():
    with pytest.raises(ValueError, match="2 columns"):
        plot_embeddings([np.zeros((5, 1))])
    with pytest.raises(ValueError, match="at least one"):
        plot_embeddings([])


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
