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
