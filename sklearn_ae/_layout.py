"""A non-parametric layout of the training rows: UMAP's SGD on free points.

The manifold autoencoder's ``geometry="layout"`` regresses its codes onto
this layout instead of optimising the neighbour loss through the encoder.
The layout moves one free point per row, so every epoch can afford all of
the graph's edges, as UMAP's own optimisation does; through an encoder each
update costs a network pass and the loss saw a fraction of the edges (the
reason the earlier design's training codes reached only 0.76-0.86 in
cross-validated 5-NN accuracy on MNIST-5k). It is written in torch on the
fuzzy graph that :mod:`sklearn_ae._graph` builds, so umap-learn stays an
optional dependency.
"""

import warnings

import numpy as np
import torch
from sklearn.manifold import spectral_embedding

# UMAP's output kernel 1 / (1 + a d^(2b)) for min_dist=0.1, spread=1
# (umap-learn's find_ab_params).
UMAP_A, UMAP_B = 1.577, 0.8951
# umap-learn's gradient clip and repulsion offset.
GRADIENT_CLIP = 4.0
REPULSION_EPSILON = 1e-3


# Epochs of the layout by rows, as umap-learn sets them: 500 up to 10,000
# rows, 200 above (each epoch then has more edges to move the points).
SMALL_GRAPH_ROWS = 10_000
SMALL_GRAPH_EPOCHS, LARGE_GRAPH_EPOCHS = 500, 200

# Edges of an epoch applied in one vectorised step; the epoch's edges are
# applied in parts of this size, one after the other. Applied all at once, a
# vertex's clipped pulls from every edge of the epoch add up before any of
# them moves it, and the layout settles worse. MNIST-5k's training rows
# (PCA-50, the benchmark's stratified split) draw about 25,500 edges an
# epoch, 16 parts of this size: the layout's cross-validated 5-NN accuracy
# was 0.933 in parts and 0.911 all at once at seed 0 (the slow test in
# tests/test_manifold.py), 0.933 (0.925-0.934) and 0.902 (0.901-0.911)
# over seeds 0-2, against umap-learn's 0.935; at 200 epochs 0.928 and
# 0.913. Those are an Intel Xeon's figures; on an AMD EPYC the same code
# gave 0.914, 0.931, 0.914 in parts against 0.903, 0.915, 0.915 (seeds 0-2),
# a smaller gain, which the slow test checks on the mean of the three.
# Digits' layouts scored alike either way (0.986 and 0.987). Small
# graphs make a single part, where steps would cost more than edges.
EDGES_PER_PART = 1600


def default_epochs(n_rows):
    """umap-learn's epochs for a graph of ``n_rows`` vertices."""
    return SMALL_GRAPH_EPOCHS if n_rows <= SMALL_GRAPH_ROWS else LARGE_GRAPH_EPOCHS


def umap_layout(
    graph,
    n_components,
    *,
    n_epochs=None,
    negative_sample_rate=5,
    edges_per_part=EDGES_PER_PART,
    random_state=0,
):
    """Coordinates of the graph's vertices by UMAP's stochastic optimisation.

    A spectral start (the graph Laplacian's eigenvectors, scaled to
    [0, 10]), then ``n_epochs`` epochs of UMAP's clipped cross-entropy
    gradients (McInnes, Healy & Melville 2018, section 4.1): each edge
    takes part in an epoch with probability its weight over the largest,
    attracting its two ends, and its first end repels
    ``negative_sample_rate`` vertices drawn at random. An epoch's edges are
    shuffled and applied in vectorised steps of ``edges_per_part``, each
    seeing the points the previous moved (umap-learn applies them one by
    one), with UMAP's learning rate decaying linearly from 1 to 0.

    Parameters
    ----------
    graph : sparse matrix of shape (n_rows, n_rows)
        Symmetric edge weights in (0, 1], UMAP's fuzzy union.
    n_components : int
        Dimensions of the layout.
    n_epochs : int or None, default=None
        Passes over the edges; None is umap-learn's choice
        (:func:`default_epochs`).
    negative_sample_rate : int, default=5
        Vertices each used edge's first end repels.
    edges_per_part : int or None, default=EDGES_PER_PART
        Edges applied in one step (None: an epoch's all at once).
    random_state : int
        Seed of the spectral start and of the edge and negative draws.

    Returns
    -------
    layout : ndarray of shape (n_rows, n_components)
    """
    graph = graph.tocoo()
    n = graph.shape[0]
    if n_epochs is None:
        n_epochs = default_epochs(n)
    # Edges too weak to be drawn once in n_epochs are dropped, as UMAP does.
    kept = graph.data >= graph.data.max() / n_epochs
    heads = torch.as_tensor(graph.row[kept], dtype=torch.long)
    tails = torch.as_tensor(graph.col[kept], dtype=torch.long)
    chance = torch.as_tensor(graph.data[kept] / graph.data.max(), dtype=torch.float32)
    layout = torch.as_tensor(_start(graph, n_components, random_state))
    generator = torch.Generator().manual_seed(int(random_state))
    for epoch in range(n_epochs):
        rate = 1.0 - epoch / n_epochs
        used = torch.nonzero(torch.rand(len(chance), generator=generator) < chance)
        used = used[torch.randperm(len(used), generator=generator), 0]
        parts = 1 if edges_per_part is None else -(-len(used) // edges_per_part)
        for edges in used.chunk(max(parts, 1)):
            _move(
                layout,
                heads[edges],
                tails[edges],
                rate,
                negative_sample_rate,
                generator,
            )
    return layout.numpy().astype(np.float64)


def _move(layout, head, tail, rate, negative_sample_rate, generator):
    """One vectorised step: the edges' attraction and their heads' repulsion."""
    step = torch.zeros_like(layout)
    pull = _attraction(layout[head] - layout[tail]) * rate
    step.index_add_(0, head, pull)
    step.index_add_(0, tail, -pull)
    head = head.repeat(negative_sample_rate)
    other = torch.randint(len(layout), (len(head),), generator=generator)
    step.index_add_(0, head, _repulsion(layout[head] - layout[other]) * rate)
    layout += step


def _attraction(difference):
    squared = difference.pow(2).sum(dim=1, keepdim=True)
    coefficient = -2 * UMAP_A * UMAP_B * squared.clamp_min(1e-12).pow(UMAP_B - 1)
    coefficient = coefficient / (1 + UMAP_A * squared.pow(UMAP_B))
    coefficient = torch.where(squared > 0, coefficient, 0.0)
    return (coefficient * difference).clamp(-GRADIENT_CLIP, GRADIENT_CLIP)


def _repulsion(difference):
    squared = difference.pow(2).sum(dim=1, keepdim=True)
    coefficient = (
        2
        * UMAP_B
        / ((REPULSION_EPSILON + squared) * (1 + UMAP_A * squared.pow(UMAP_B)))
    )
    gradient = (coefficient * difference).clamp(-GRADIENT_CLIP, GRADIENT_CLIP)
    # A vertex drawn as its own negative (or a duplicate) is pushed by the
    # clip, as umap-learn pushes coincident points.
    return torch.where(squared > 0, gradient, GRADIENT_CLIP)


def _start(graph, n_components, random_state):
    """The spectral layout scaled to [0, 10], with a little noise to break ties.

    Too few rows for the eigenvectors: a random start.
    """
    rng = np.random.default_rng(random_state)
    n = graph.shape[0]
    if n > n_components + 2:
        # A graph in pieces still gets its pieces' eigenvectors; the SGD
        # places the pieces.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            start = spectral_embedding(
                graph.tocsr(),
                n_components=n_components,
                random_state=random_state,
                drop_first=True,
            )
    else:
        start = rng.uniform(size=(n, n_components))
    span = np.ptp(start, axis=0)
    start = 10 * (start - start.min(0)) / np.where(span > 0, span, 1)
    return (start + rng.normal(scale=1e-4, size=start.shape)).astype(np.float32)
