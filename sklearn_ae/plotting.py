"""Figures: embeddings side by side.

matplotlib is imported inside each function, so ``import sklearn_ae`` and
``import sklearn_ae.plotting`` never need it.
"""

import numpy as np

__all__ = ["plot_embeddings"]


def plot_embeddings(embeddings, *, colors=None, titles=None, n_cols=4, size=3.0):
    """Scatter plots of 2-D embeddings in a grid, one panel per embedding.

    Parameters
    ----------
    embeddings : list of ndarray of shape (n_samples_i, 2)
        The embedded points of each panel (extra columns are ignored).
    colors : list of array-like of shape (n_samples_i,), default=None
        Colour of each point: a class label or a manifold coordinate.
    titles : list of str, default=None
        Title of each panel.
    n_cols : int, default=4
        Panels per row.
    size : float, default=3.0
        Width and height of one panel, in inches.

    Returns
    -------
    figure : matplotlib.figure.Figure

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

    if not len(embeddings):
        raise ValueError("plot_embeddings needs at least one embedding.")
    n = len(embeddings)
    n_cols = min(n_cols, n)
    n_rows = int(np.ceil(n / n_cols))
    figure, axes = plt.subplots(
        n_rows, n_cols, figsize=(size * n_cols, size * n_rows), squeeze=False
    )
    for i, ax in enumerate(axes.ravel()):
        if i >= n:
            ax.remove()
            continue
        Z = np.asarray(embeddings[i])
        if Z.ndim != 2 or Z.shape[1] < 2:
            raise ValueError(
                f"embedding {i} has shape {Z.shape}; plot_embeddings needs at "
                "least 2 columns."
            )
        c = None if colors is None else colors[i]
        ax.scatter(Z[:, 0], Z[:, 1], c=c, s=4, cmap="Spectral", linewidths=0)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
    figure.tight_layout()
    return figure
