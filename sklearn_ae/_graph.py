"""Neighbour graphs of the training rows, for the manifold autoencoder.

Built once per fit with a well-kept library: exact neighbours from
scikit-learn, or approximate ones from ``pynndescent`` (umap-learn's own
search, an optional dependency) for large data. A graph is kept as padded
per-row neighbour lists, ``(n_rows, k)`` indices and weights, so its memory
is linear in ``n_rows * n_neighbors``.
"""

import time

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import shortest_path
from sklearn.neighbors import NearestNeighbors

# Rows above which neighbors="auto" uses pynndescent when it is installed:
# exact search costs O(n^2 d); at 20,000 MNIST rows it takes seconds.
APPROXIMATE_FROM = 20_000


def nearest_neighbors(X, n_neighbors, *, method="auto", random_state=0):
    """``(indices, distances)`` of each row's ``n_neighbors`` nearest others.

    Both of shape ``(n_rows, n_neighbors)``, the row itself excluded.
    ``method`` is ``"exact"`` (scikit-learn), ``"approximate"``
    (pynndescent) or ``"auto"`` (approximate from
    :data:`APPROXIMATE_FROM` rows when pynndescent is installed).
    """
    if method == "auto":
        method = "exact"
        if len(X) >= APPROXIMATE_FROM:
            try:
                import pynndescent  # noqa: F401

                method = "approximate"
            except ImportError:
                pass
    if method == "approximate":
        try:
            from pynndescent import NNDescent
        except ImportError as exc:
            raise ImportError(
                'neighbors="approximate" needs pynndescent: pip install '
                '"sklearn-ae[manifold]" (or pynndescent).'
            ) from exc
        index = NNDescent(X, n_neighbors=n_neighbors + 1, random_state=random_state)
        indices, distances = index.neighbor_graph
    else:
        search = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X)
        distances, indices = search.kneighbors(X)
    # Drop each row itself (the first column, up to ties at distance 0).
    return _without_self(indices, distances)


def _without_self(indices, distances):
    n, k = indices.shape
    own = indices == np.arange(n)[:, None]
    # Rows whose own index is missing (duplicates) drop their last column.
    own[~own.any(axis=1), -1] = True
    keep = ~own
    return (
        indices[keep].reshape(n, k - 1),
        distances[keep].reshape(n, k - 1).astype(np.float64),
    )


# Rows the intrinsic-dimension estimate reads at most: two-NN's ratio is
# scale-free, so every k-th row estimates as well as all of them (MNIST-5k:
# 11.9 from 1,000 rows, 12.6 from 5,000) at a fraction of the search.
DIMENSION_ROWS = 2_000


def intrinsic_dimension(X, *, max_rows=DIMENSION_ROWS):
    """Two-NN estimate of the dimension of the manifold the rows lie on.

    The ratio ``mu = r2 / r1`` of each row's second to first neighbour
    distance follows a Pareto law of exponent ``d`` on a ``d``-dimensional
    manifold, whose maximum-likelihood estimate is ``n / sum(log mu)``
    (Facco, d'Errico, Rodriguez & Laio 2017). Rows at distance 0 from their
    nearest neighbour (duplicates) are skipped. At most ``max_rows`` evenly
    spaced rows are read.

    Examples
    --------
    >>> from sklearn.datasets import make_swiss_roll
    >>> X, _ = make_swiss_roll(1000, random_state=0)
    >>> round(intrinsic_dimension(X))
    2
    """
    X = X[:: max(1, -(-len(X) // max_rows))]
    if len(X) < 3:
        return float("nan")
    distances, _ = NearestNeighbors(n_neighbors=3).fit(X).kneighbors(X)
    first, second = distances[:, -2], distances[:, -1]
    kept = first > 0
    log_ratio = np.log(second[kept] / first[kept])
    if not kept.any() or log_ratio.sum() <= 0:
        return float("nan")
    return float(kept.sum() / log_ratio.sum())


def _bisect(objective, target, n_rows, *, low=1e-3, high=1e3, n_steps=64):
    """Per-row positive ``s`` with ``objective(s) == target`` by bisection.

    ``objective`` maps an ``(n_rows, 1)`` array of scales to the row values
    and must increase with the scale.
    """
    low = np.full((n_rows, 1), low)
    high = np.full((n_rows, 1), high)
    for _ in range(n_steps):
        middle = np.sqrt(low * high)
        above = objective(middle) > target
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    return np.sqrt(low * high)


def fuzzy_weights(distances):
    """UMAP's membership strengths of each row's neighbours.

    ``exp(-(d - rho) / sigma)`` with ``rho`` the distance to the nearest
    neighbour and ``sigma`` such that the strengths sum to ``log2(k)``
    (McInnes, Healy & Melville 2018, section 3.1).
    """
    k = distances.shape[1]
    rho = distances[:, :1]
    excess = np.maximum(distances - rho, 0.0)
    scale = max(float(np.mean(excess)), 1e-12)

    def total(sigma):
        return np.exp(-excess / (sigma * scale)).sum(axis=1, keepdims=True)

    sigma = _bisect(total, np.log2(k), len(distances)) * scale
    return np.exp(-excess / sigma)


def perplexity_weights(distances, perplexity):
    """t-SNE's conditional probabilities ``p_{j|i}`` over each row's neighbours.

    Gaussian kernels whose bandwidths give each row the perplexity
    ``perplexity`` (van der Maaten & Hinton 2008).
    """
    squared = distances**2
    squared = squared - squared[:, :1]  # stable: the nearest has weight 1
    scale = max(float(np.mean(squared)), 1e-12)

    def entropy(beta_inverse):
        weights = np.exp(-squared / (beta_inverse * scale))
        p = weights / weights.sum(axis=1, keepdims=True)
        return -(p * np.log(np.maximum(p, 1e-300))).sum(axis=1, keepdims=True)

    width = _bisect(entropy, np.log(perplexity), len(distances)) * scale
    weights = np.exp(-squared / width)
    return weights / weights.sum(axis=1, keepdims=True)


def symmetrise(indices, weights, how):
    """The symmetric graph of directed neighbour weights, as CSR.

    ``how="fuzzy_union"``: UMAP's ``a + a^T - a * a^T``; ``"mean"``:
    t-SNE's ``(p + p^T) / (2 n)``.
    """
    n, k = indices.shape
    rows = np.repeat(np.arange(n), k)
    directed = coo_matrix((weights.ravel(), (rows, indices.ravel())), shape=(n, n))
    directed = directed.tocsr()
    transpose = directed.T.tocsr()
    if how == "fuzzy_union":
        return (directed + transpose - directed.multiply(transpose)).tocsr()
    return ((directed + transpose) / (2.0 * n)).tocsr()


def padded_rows(graph, max_degree):
    """``(indices, weights)`` of shape ``(n_rows, max_degree)``, heaviest first.

    Rows with fewer neighbours are padded with weight 0 (pointing at the row
    itself); rows with more keep their ``max_degree`` heaviest edges, so the
    memory is ``n_rows * max_degree``.
    """
    graph = csr_matrix(graph)
    n = graph.shape[0]
    rows = np.repeat(np.arange(n), np.diff(graph.indptr))
    # Each row's edges, heaviest first, and each edge's rank in its row: one
    # sort on row - weight / (2 max weight), a float key that keeps rows apart
    # (2x faster than a Python loop over rows, 6x than np.lexsort, at 10^5).
    order = np.argsort(rows - graph.data / (2 * graph.data.max()), kind="stable")
    rank = np.arange(len(order)) - graph.indptr[rows[order]]
    kept = order[rank < max_degree]
    columns = rank[rank < max_degree]
    indices = np.tile(np.arange(n)[:, None], (1, max_degree))
    weights = np.zeros((n, max_degree))
    indices[rows[kept], columns] = graph.indices[kept]
    weights[rows[kept], columns] = graph.data[kept]
    return indices, weights


def geodesic_distances(indices, distances):
    """All shortest-path distances along the symmetric neighbour graph.

    Unreachable pairs (a disconnected graph) get the largest finite
    distance, so they repel as the farthest points do.
    """
    n, k = indices.shape
    rows = np.repeat(np.arange(n), k)
    graph = csr_matrix((distances.ravel(), (rows, indices.ravel())), shape=(n, n))
    geodesic = shortest_path(graph, method="D", directed=False)
    finite = np.isfinite(geodesic)
    geodesic[~finite] = geodesic[finite].max()
    return geodesic


class Timer:
    """Seconds spent in a block, in ``seconds``."""

    def __enter__(self):
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
