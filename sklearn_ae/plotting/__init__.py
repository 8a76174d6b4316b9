"""Figures: embeddings, latent traversals, reconstructions, loss curves, scaling.

Every function returns the matplotlib :class:`~matplotlib.figure.Figure` it
drew, to show or save. matplotlib is the ``plot`` extra
(``pip install "sklearn-ae[plot]"``), imported inside each function, so
``import sklearn_ae`` and ``import sklearn_ae.plotting`` never need it.
"""

from ._curves import plot_loss_curves, plot_scaling
from ._embeddings import plot_embeddings
from ._images import plot_latent_traversal, plot_reconstructions

__all__ = [
    "plot_embeddings",
    "plot_latent_traversal",
    "plot_loss_curves",
    "plot_reconstructions",
    "plot_scaling",
]
