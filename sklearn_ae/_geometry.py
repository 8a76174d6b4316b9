"""The manifold autoencoder's geometry terms, on the training rows' graph.

Each term is one choice of ``geometry``: UMAP's and t-SNE's losses on
sampled edges, Isomap's geodesics, a regressed UMAP layout, and a teacher's
embedding. :class:`~sklearn_ae.ManifoldAutoEncoder` picks one per fit.

A geometry describes itself: a graph term that declares its ``option`` (the
``geometry`` string) registers in :data:`GEOMETRIES`, with its docstring
line and the values of the estimator's ``"auto"`` parameters for it, from
which the estimator's validation and reference are generated. A new
geometry is one class here.
"""

import textwrap

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state

from ._graph import (
    Timer,
    fuzzy_weights,
    geodesic_distances,
    nearest_neighbors,
    padded_rows,
    perplexity_weights,
    symmetrise,
)
from ._layout import UMAP_A, UMAP_B, umap_layout
from ._objective import Term
from ._sample_weight import weighted_mean

# Principal components on which geometry="layout" finds neighbours.
LAYOUT_PCA = 50
# Rows among which geometry="isomap" holds every geodesic (n^2 of them);
# from more rows it draws this many landmarks and holds theirs. A million
# swiss-roll points unroll from 3,000 landmarks (|Spearman| of the held-out
# rows' best axis 1.0, docs/user_guide/manifold.rst), whose graph took 2 s
# and whose geodesics hold 72 MB in float64, where 20,000 rows' would hold
# 3.2 GB.
GEODESIC_LANDMARKS = 3_000
# Rows above which geometry="auto" takes sampled UMAP edges, not the layout:
# the layout holds the whole graph and was measured up to MNIST-5k.
MAX_LAYOUT_ROWS = 20_000

# The geometries a ``geometry`` string names, {option: class}, in the order
# the estimator's reference lists them; filled as the classes are defined.
GEOMETRIES = {}


class GeometryTerm(Term):
    """A geometry term, with what the estimator needs to know of it.

    Attributes
    ----------
    option : str
        The ``geometry`` string that chooses it (``"teacher"`` for an
        estimator).
    description : str
        Its line in the estimator's reference (reStructuredText).
    default_weight : float
        ``geometry_weight="auto"``. Geodesic distances and coordinates are
        regressed, on a scale the reconstruction error of raw data dwarfs:
        100; the neighbour losses are cross-entropies of order 1.
    default_noise : float
        ``input_noise="auto"``: Gaussian noise on the encoder's input, in
        units of each feature's input scale.
    """

    name = "geometry"
    option = None
    description = ""
    default_weight = 100.0
    default_noise = 0.0


class GraphTerm(GeometryTerm):
    """A geometry term on a neighbour graph of the training rows.

    :meth:`attach` builds the graph once per fit and gives each training row
    its position in it (side data ``"row"``); validation rows have none, so
    the term is 0 on them. The training rows are kept only for the fit, to
    encode each batch row's sampled neighbour.

    A subclass that sets ``option`` registers in :data:`GEOMETRIES`.
    ``default_neighbors`` is its ``n_neighbors="auto"`` (UMAP's default,
    15).
    """

    default_neighbors = 15

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "option" in vars(cls):
            GEOMETRIES[cls.option] = cls

    @classmethod
    def of(cls, estimator):
        """The term for a fit of ``estimator`` (its ``"auto"`` values resolved)."""
        auto = estimator.n_neighbors == "auto"
        return cls(
            cls.default_neighbors if auto else estimator.n_neighbors,
            estimator.neighbors,
            estimator.random_state,
            at_most_rows=auto,
            **cls._options(estimator),
        )

    @classmethod
    def _options(cls, estimator):
        """Keyword arguments of the term beyond the graph's, from the estimator."""
        return {}

    @classmethod
    def graph_rows(cls, n_rows):
        """How many of ``n_rows`` training rows the graph holds: all of them."""
        return n_rows

    @classmethod
    def check_rows(cls, n_neighbors, n_rows):
        """Refuse ``n_neighbors`` that the graph of ``n_rows`` rows cannot have."""
        in_graph = cls.graph_rows(n_rows)
        if n_neighbors != "auto" and n_neighbors >= in_graph:
            raise ValueError(
                f"n_neighbors={n_neighbors} must be below the number of "
                f"training rows in the graph ({in_graph}): each row needs that "
                "many others."
            )

    def __init__(self, n_neighbors, neighbors, random_state, *, at_most_rows=False):
        self.n_neighbors = n_neighbors
        self.neighbors = neighbors
        self.random_state = random_state
        self.at_most_rows = at_most_rows

    def attach(self, train):
        X = self._graph_inputs(train.inputs.cpu().numpy())
        if self.at_most_rows:  # a default, not the user's number: fit to X
            self.n_neighbors = min(self.n_neighbors, len(X) - 1)
        with Timer() as timer:
            indices, distances = nearest_neighbors(
                X,
                self.n_neighbors,
                method=self.neighbors,
                random_state=self.random_state,
            )
            self._build(indices, distances, train.inputs.device)
        self.data = train.inputs
        train.side["row"] = torch.arange(len(train.inputs), device=train.inputs.device)
        return {"graph_seconds_": timer.seconds, "n_neighbors_": self.n_neighbors}

    def _graph_inputs(self, X):
        """The rows whose neighbours make the graph: X itself."""
        return X

    def _seed(self):
        """A seed for the graph's own draws, from ``random_state``."""
        return check_random_state(self.random_state).randint(2**31 - 1)

    def release(self):
        self.data = None
        for name in ("neighbor_indices", "neighbor_weights", "geodesic"):
            if hasattr(self, name):
                setattr(self, name, None)

    def _keep_rows(self, graph, device):
        indices, weights = padded_rows(graph, 2 * self.n_neighbors)
        self.neighbor_indices = torch.as_tensor(indices, device=device)
        self.neighbor_weights = torch.as_tensor(weights, device=device)

    def _neighbours(self, rows, generator, n_draws=1):
        """``n_draws`` neighbours of each row, drawn by edge weight.

        Shape ``(n_draws * len(rows),)``, draw-major.
        """
        weights = self.neighbor_weights[rows]
        weights = weights + (weights.sum(dim=1, keepdim=True) == 0)  # isolated
        columns = torch.multinomial(
            weights.float(), n_draws, replacement=True, generator=generator
        )
        return self.neighbor_indices[rows[:, None], columns].T.reshape(-1)

    def __call__(self, output, batch, module):
        rows = batch.side.get("row")
        if rows is None:  # a validation batch: its rows are not in the graph
            return output.code.new_zeros(())
        return self._loss(output.code, rows, module, batch.generator)


class _EdgeSamplingTerm(GraphTerm):
    """A graph term that pairs each batch row with neighbours drawn by weight.

    UMAP's and t-SNE's losses both attract ``edges_per_row`` neighbours of
    each row and differ only in their kernels and normalisers.
    """

    def __init__(
        self, n_neighbors, neighbors, random_state, *, edges_per_row=4, **kwargs
    ):
        super().__init__(n_neighbors, neighbors, random_state, **kwargs)
        self.edges_per_row = edges_per_row

    def _drawn_edges(self, code, rows, module, generator):
        """``(anchor, partner)`` codes of every drawn edge, draw-major."""
        partners = self._neighbours(rows, generator, self.edges_per_row)
        partner = module.encode(self.data[partners])
        return code.repeat(self.edges_per_row, 1), partner


class UMAPGeometry(_EdgeSamplingTerm):
    """UMAP's fuzzy cross-entropy on sampled edges, with negative sampling.

    Each batch row is paired with ``edges_per_row`` neighbours drawn by edge
    weight (attraction, ``-log q(d)``), each with ``negative_sample_rate``
    codes of other drawn neighbours (repulsion, ``-log(1 - q(d))``),
    ``q(d) = 1 / (1 + a d^(2b))`` (Sainburg, McInnes & Gentner 2021). UMAP
    makes hundreds of passes over the graph's edges; several edges a row
    give each update more of them for one encoder pass of the batch (on
    digits, 4 edges took held-out 5-NN accuracy from 0.89 to 0.95 in 3,000
    updates of a geometry-only fit, at 3 times the rate of 1 edge).
    """

    option = "umap"
    description = (
        "UMAP's fuzzy-graph cross-entropy over sampled edges with negative "
        "sampling (Sainburg et al. 2021). Clusters and local neighbourhoods; "
        "the choice for images (MNIST, digits)."
    )
    default_weight = 1.0

    def __init__(self, *args, negative_sample_rate=5, **kwargs):
        super().__init__(*args, **kwargs)
        self.negative_sample_rate = negative_sample_rate

    def _build(self, indices, distances, device):
        graph = symmetrise(indices, fuzzy_weights(distances), "fuzzy_union")
        self._keep_rows(graph, device)

    def _loss(self, code, rows, module, generator):
        code, partner = self._drawn_edges(code, rows, module, generator)
        n = len(code)
        negatives = torch.randint(
            n,
            (n * self.negative_sample_rate,),
            device=code.device,
            generator=generator,
        )
        anchors = code.repeat(self.negative_sample_rate, 1)
        positive = _similarity(code, partner)
        negative = _similarity(anchors, partner[negatives])
        attraction = -torch.log(positive.clamp_min(1e-4)).mean()
        repulsion = -torch.log((1 - negative).clamp_min(1e-4)).mean()
        return attraction + self.negative_sample_rate * repulsion


def _similarity(a, b):
    squared = (a - b).pow(2).sum(dim=1)
    return 1.0 / (1.0 + UMAP_A * squared.clamp_min(1e-12).pow(UMAP_B))


class TSNEGeometry(_EdgeSamplingTerm):
    """The t-SNE objective, estimated on each batch and its rows' sampled edges.

    ``KL(P || Q) = -sum_ij p_ij log w_ij + log sum_kl w_kl + const``, with
    ``w`` the Student-t kernel ``1 / (1 + |z_i - z_j|^2)`` of the codes and
    ``P`` the perplexity-calibrated, symmetrised affinities (van der Maaten
    2009's parametric t-SNE). The first sum is a mean over edges drawn as
    UMAP draws them, ``edges_per_row`` neighbours of each batch row by
    weight, each counted once (weighting a drawn edge by ``p_ij`` again
    would count strong edges twice); the normaliser is the mean kernel over
    every pair of the batch's codes, its rows' and their neighbours'.
    Against the batch's own ``KL`` with one neighbour a row, the earlier
    form (both with 90 neighbours), this kept digits' held-out
    neighbourhoods better than a plain autoencoder of the same network and
    seed on five splits and seeds (trustworthiness +0.003 to +0.014,
    against -0.009 to +0.001 on four).
    """

    option = "tsne"
    description = (
        "the t-SNE objective with perplexity-calibrated affinities (van der "
        'Maaten 2009). Like ``"umap"``, with heavier clustering.'
    )
    # On digits (the tests' network, seed 0) weights 1, 3 and 10 moved
    # held-out trustworthiness by +0.002, +0.001 and +0.003 over a plain
    # autoencoder, and 5-NN accuracy by +0.024, +0.030 and +0.022: the
    # term's gradient is spread over every pair of a batch.
    default_weight = 10.0
    # 3 x the perplexity (30), as scikit-learn's TSNE searches. With 15 the
    # perplexity fell to 5 and the geometry kept digits' held-out
    # neighbourhoods worse than a plain autoencoder (trustworthiness 0.923
    # against 0.933; 0.936 with 90).
    default_neighbors = 90

    def __init__(self, *args, perplexity=30.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.perplexity = perplexity

    def _build(self, indices, distances, device):
        p = perplexity_weights(distances, min(self.perplexity, distances.shape[1] / 3))
        self._keep_rows(symmetrise(indices, p, "mean"), device)

    def _loss(self, code, rows, module, generator):
        anchor, partner = self._drawn_edges(code, rows, module, generator)
        attraction = torch.log1p((anchor - partner).pow(2).sum(dim=1)).mean()
        mean_kernel = _mean_student_kernel(torch.cat([code, partner]))
        return attraction + torch.log(mean_kernel.clamp_min(1e-12))


# Kernel entries computed at once: the check after training evaluates the
# term on 1,024 rows and their 4,096 neighbours, whose whole kernel took
# 300 MB (a fit's peak memory on digits, against 110 MB without the term).
# A training batch's kernel (64 rows, 320 codes) is one chunk.
KERNEL_CHUNK_ENTRIES = 2**20


def _mean_student_kernel(codes):
    """Mean of ``1 / (1 + |z_i - z_k|^2)`` over every pair ``i != k``."""
    n = len(codes)
    total = sum(
        (1.0 / (1.0 + torch.cdist(part, codes).pow(2))).sum()
        for part in codes.split(max(1, KERNEL_CHUNK_ENTRIES // n))
    )
    return (total - n) / (n * (n - 1))  # the diagonal's kernel is 1


class IsomapGeometry(GraphTerm):
    """Code distances matched to geodesic distances, over pairs of rows.

    The geodesics are shortest paths along the neighbour graph, scaled to
    mean 1; the term is the mean squared difference over every pair of
    rows in the batch (metric MDS on geodesics, as Isomap solves in closed
    form). Up to :data:`GEODESIC_LANDMARKS` training rows it holds all
    their ``n^2`` geodesics during fit. From more rows the graph is built
    on that many landmarks drawn at random (de Silva & Tenenbaum's landmark
    Isomap, 2003), and each update pairs as many landmarks as the batch has
    rows, encoded for the term without the input noise (which trains the
    batch's own codes); the batch's rows then train the reconstruction
    only.
    """

    option = "isomap"
    description = (
        "code distances matched to geodesic (graph shortest-path) distances "
        "over pairs of rows. Unrolls a single smooth sheet (swiss roll, "
        f"S-curve); from more than {GEODESIC_LANDMARKS:,} training rows the "
        f"geodesics are those of {GEODESIC_LANDMARKS:,} landmark rows drawn at "
        "random."
    )

    @classmethod
    def graph_rows(cls, n_rows):
        """The landmarks: at most :data:`GEODESIC_LANDMARKS` rows."""
        return min(n_rows, GEODESIC_LANDMARKS)

    def _graph_inputs(self, X):
        """X, or from more rows than :data:`GEODESIC_LANDMARKS` its landmarks.

        The landmarks' positions in X are kept in ``landmarks``.
        """
        self.landmarks = None
        if len(X) <= GEODESIC_LANDMARKS:
            return X
        rows = np.random.default_rng(self._seed()).choice(
            len(X), GEODESIC_LANDMARKS, replace=False
        )
        self.landmarks = torch.as_tensor(np.sort(rows))
        return X[self.landmarks.numpy()]

    def _build(self, indices, distances, device):
        geodesic = geodesic_distances(indices, distances)
        # Copies of a few points have no geodesic to scale: all are 0 (0 / 0
        # made every target NaN, and the fit diverge).
        mean = geodesic.mean()
        if mean > 0:
            geodesic /= mean
        self.geodesic = torch.as_tensor(geodesic, dtype=torch.float32, device=device)
        if self.landmarks is not None:
            self.landmarks = self.landmarks.to(device)

    def release(self):
        super().release()
        self.landmarks = None

    def _loss(self, code, rows, module, generator):
        if self.landmarks is not None:
            rows = torch.randint(
                len(self.landmarks),
                (len(rows),),
                device=code.device,
                generator=generator,
            )
            code = module.encode(self.data[self.landmarks[rows]])
        target = self.geodesic[rows][:, rows].to(code.dtype)
        distances = (code[:, None, :] - code[None, :, :]).pow(2).sum(2)
        distances = distances.clamp_min(1e-12).sqrt()
        return (distances - target).pow(2).mean()


class LayoutGeometry(GraphTerm):
    """Squared distance of each code to its row's place in a UMAP layout.

    The layout is computed once per fit on the fuzzy graph of the training
    rows, by UMAP's own optimisation of free points
    (:func:`~sklearn_ae._layout.umap_layout`), and scaled to unit variance
    per axis; the encoder then only regresses onto it. Optimising UMAP's
    loss through the encoder instead spends a network pass on each
    update and sees far fewer of the graph's edges.
    """

    option = "layout"
    description = (
        "UMAP's layout of the training rows, computed once per fit by UMAP's "
        "optimisation of free points on the same fuzzy graph, and regressed by "
        "the encoder from noisy inputs (see ``input_noise``). Every edge "
        "update moves a point, not a network, so the layout gets UMAP's full "
        "optimisation."
    )
    # Regressing the layout from noisy copies keeps the encoder smooth
    # between the training rows (the study in docs/user_guide/manifold.rst).
    default_noise = 0.7
    # Annealed over 50 iterations against the patience rule's stop (MNIST-5k
    # held-out, seeds 0-2): 5-NN 0.870 against 0.864 on the benchmark's
    # split and 0.866 against 0.845 on another, trust 0.915 and 0.913
    # against 0.907 and 0.907, reconstruction 31.3 and 30.7 against 32.5
    # and 32.4. Digits, the same two splits (``benchmarks.manifold --methods
    # ManifoldAutoEncoder ManifoldAutoEncoder-constant``):
    # 5-NN 0.958 and 0.950 against 0.956 and 0.950, trust 0.956 and 0.955
    # against 0.950 and 0.945, reconstruction 2.24 and 2.17 against 2.33
    # and 2.45.
    anneals = True
    # And over at least MNIST-5k's 50 passes of 63 batches (its 4,000
    # training rows at 64 a batch): digits' 1,437 make 23 batches a pass,
    # which 50 passes left undertrained. Digits held-out, medians of seeds
    # 0-2 on benchmarks.manifold's split and split 7, 137 passes (3,150
    # updates) against 50: 5-NN 0.975 and 0.956 against 0.961 and 0.931,
    # trust 0.964 and 0.959 against 0.948 and 0.950, reconstruction 1.67
    # and 1.66 against 1.90 and 1.83, at about twice the fit time
    # (``--datasets digits --methods ManifoldAutoEncoder
    # ManifoldAutoEncoder-iter50``, and ``--split-seed 7``; 200 passes, a
    # probe: 0.975 and 0.950, trust 0.966 and 0.964).
    annealed_updates = 3150

    def __init__(self, *args, n_components=2, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_components = n_components

    @classmethod
    def _options(cls, estimator):
        return {"n_components": estimator.n_components}

    def _graph_inputs(self, X):
        """X's first :data:`LAYOUT_PCA` principal components, as UMAP users do.

        Distances between images are mostly noise beyond the leading
        components: the layout of MNIST-5k's graph on 50 components scored
        a cross-validated 5-NN accuracy of 0.913, on the raw pixels 0.875.
        """
        if X.shape[1] <= LAYOUT_PCA or len(X) <= LAYOUT_PCA:
            return X
        return PCA(LAYOUT_PCA, random_state=self._seed()).fit_transform(X)

    def _build(self, indices, distances, device):
        graph = symmetrise(indices, fuzzy_weights(distances), "fuzzy_union")
        layout = umap_layout(graph, self.n_components, random_state=self._seed())
        layout = (layout - layout.mean(0)) / layout.std(0).clip(1e-12)
        self.target = torch.as_tensor(layout, dtype=torch.float32, device=device)

    def release(self):
        super().release()
        self.target = None

    def _loss(self, code, rows, module, generator):
        target = self.target[rows].to(code.dtype)
        return (code - target).pow(2).sum(dim=1).mean()


class TeacherGeometry(GeometryTerm):
    """Squared distance of each code to its row's teacher coordinates.

    The coordinates travel with the rows as side data ``"teacher"``; they
    are :func:`teacher_embedding`'s, made before the fit.
    """

    option = "teacher"
    description = (
        "an estimator with ``fit_transform`` (``Isomap(n_components=2)``, "
        "``SpectralEmbedding``, ``TSNE``, ``umap.UMAP``, ...): a teacher, "
        "cloned and fitted on the training rows inside :meth:`fit` and kept as "
        "``teacher_``; the codes are pulled towards its embedding, scaled to "
        "unit variance (Duque et al. 2022)."
    )

    def __call__(self, output, batch, module):
        target = batch.side["teacher"].to(output.code.dtype)
        return weighted_mean((output.code - target).pow(2).sum(dim=1), batch)


def teacher_embedding(teacher, X, n_components):
    """``(embedding, seconds)``: the fitted ``teacher``'s embedding of X.

    Scaled to unit variance per axis, as float32, with the seconds its fit
    took. Refuses an embedding of another width than the codes' or with
    non-finite values.
    """
    with Timer() as timer:
        embedding = np.asarray(teacher.fit_transform(X), dtype=np.float64)
    if embedding.shape != (len(X), n_components):
        raise ValueError(
            f"The teacher {type(teacher).__name__} embedded X in shape "
            f"{embedding.shape}, but the codes have n_components="
            f"{n_components} columns: give it n_components={n_components}."
        )
    if not np.isfinite(embedding).all():
        raise ValueError(
            f"The teacher {type(teacher).__name__} embedded X with "
            "non-finite values (NaN or infinity); the codes cannot be "
            "pulled towards them. Check the teacher's parameters or X."
        )
    embedding = (embedding - embedding.mean(0)) / embedding.std(0).clip(1e-12)
    return embedding.astype(np.float32), timer.seconds


def _listed(items):
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _by_value(attribute, classes):
    """Each value of a class ``attribute`` and the geometries that have it.

    ``1 for ``"umap"``, 10 for ``"tsne"`` and 100 for ``"isomap"`` and a
    teacher``, in registry order.
    """
    groups = {}
    for cls in classes:
        name = "a teacher" if cls is TeacherGeometry else f'``"{cls.option}"``'
        groups.setdefault(getattr(cls, attribute), []).append(name)
    return _listed(f"{value:g} for {_listed(names)}" for value, names in groups.items())


def _wrap(text, indent=8, hanging=0):
    """``text`` as docstring lines, indented like a parameter's description."""
    return textwrap.fill(
        text,
        79,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + hanging),
        break_long_words=False,
        break_on_hyphens=False,
    )


def geometry_docs():
    """The estimator's reference pieces generated from :data:`GEOMETRIES`.

    ``{placeholder: text}`` for :func:`~sklearn_ae._docstrings.fill_pieces`:
    the ``geometry`` strings, a bullet for each geometry (the teacher's
    last), and the ``"auto"`` values of ``geometry_weight``,
    ``n_neighbors`` and ``input_noise`` for each.
    """
    graphs = list(GEOMETRIES.values())
    bullets = [f'- ``"{cls.option}"``: {cls.description}' for cls in graphs]
    bullets.append(f"- {TeacherGeometry.description}")
    noisy = [cls for cls in graphs if cls.default_noise]
    noise = f"{_by_value('default_noise', noisy)} and 0 otherwise" if noisy else "0"
    weights = _by_value("default_weight", [*graphs, TeacherGeometry])
    neighbors = _by_value("default_neighbors", graphs)
    return {
        "geometry_options": ", ".join(f'"{option}"' for option in GEOMETRIES),
        "geometry_list": "\n".join(_wrap(bullet, hanging=2) for bullet in bullets),
        "geometry_weights": _wrap(f'``"auto"`` is {weights}.'),
        "geometry_neighbors": _wrap(
            f'``"auto"`` is {neighbors}, or one less than the training rows '
            "when they are fewer."
        ),
        "geometry_noise": _wrap(f'``"auto"`` is {noise}.'),
    }
