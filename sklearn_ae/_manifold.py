"""The manifold autoencoder: codes that keep the data's neighbourhood geometry."""

import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import clone

from ._autoencoder import AutoEncoder
from ._code_axes import align_code_axes
from ._compat import HasMethods, Interval, StrOptions, _fit_context
from ._decoder_fit import fit_decoder
from ._denoising import Corruption
from ._docstrings import fill_doc, fill_pieces, fill_sample_weight
from ._geometry import (
    GEOMETRIES,
    MAX_LAYOUT_ROWS,
    GraphTerm,
    TeacherGeometry,
    geometry_docs,
    teacher_embedding,
)
from ._graph import intrinsic_dimension
from ._projection import (
    check_principal_components,
    fit_principal_subspace,
    principal_components_of,
)
from ._record import noise_variance
from ._restore import restores_on_failure

# geometry="auto": geodesic when the rows lie on a curve or a sheet that the
# code can hold, the two-NN estimate of the intrinsic dimension below
# min(n_components, 2) + 0.5. Measured on 1,500 rows: swiss roll 2.02,
# S-curve 2.04, swiss roll with a hole 1.94, 3-D Gaussian 2.92, swiss roll
# with noise 0.5 2.66 (its turns touch); digits 9.0, MNIST-5k 12.6. Sheets of
# higher dimension cannot be unrolled into 2-D, and images want clusters.
AUTO_SHEET_DIMENSION = 2

# decoder_updates="auto". On digits and MNIST-5k the held-out reconstruction
# levelled off by here: at 600 updates it was within 0.03 of 300's (MNIST:
# 29.63 / 29.89 against 29.56 / 29.83, digits 1.87 / 1.89 against 1.90 /
# 1.89; seed 0 on benchmarks.manifold's splits 0 and 7, a probe outside the
# package).
DECODER_UPDATES = 300


@fill_pieces(**geometry_docs())
@fill_doc
class ManifoldAutoEncoder(AutoEncoder):
    """Autoencoder whose codes keep the manifold's neighbourhood geometry.

    Reconstruction alone lets an encoder fold a manifold: a swiss roll
    squashed flat reconstructs as well as one unrolled. This model adds a
    geometry term on the codes, computed on a neighbour graph of the
    training rows built once per fit:

    .. math::

        L = -\\log p(x \\mid g(h(x))) + \\lambda \\, G(h),

    with :math:`\\lambda` = ``geometry_weight``.

    The encoder then maps new points (:meth:`transform`), which t-SNE
    cannot, the decoder maps codes back (:meth:`inverse_transform`), which
    UMAP does only by interpolation, and :meth:`score` stays the
    reconstruction log-likelihood.

    Parameters
    ----------
    n_components : int, default=2
        Size of the code.

    geometry : {"auto", {geometry_options}} or estimator, default="auto"
        The geometry term ``G``:

        - ``"auto"``: chosen from the data, and recorded in ``geometry_``.
          ``"isomap"`` when the rows lie on a curve or a sheet that the code
          can hold (a two-NN estimate of their intrinsic dimension,
          ``intrinsic_dimension_``, below ``min(n_components, 2) + 0.5``),
          however many rows; ``"layout"`` for other data of at most 20,000
          training rows, and ``"umap"`` above. The
          swiss roll and the S-curve estimate at 2.0 and are unrolled;
          digits (9.0) and MNIST (12.6) get a UMAP layout's clusters. A
          sheet with noise on the scale of its neighbour distances
          estimates above 2.5 (a swiss roll with noise 0.5: 2.7) and gets
          ``"layout"``; pass ``"isomap"`` to unroll it.
{geometry_list}

    geometry_weight : float or "auto", default="auto"
        Weight of ``G`` against the reconstruction term.
{geometry_weights}
        The neighbour losses are cross-entropies of order 1 (t-SNE's
        gradient is the weaker, spread over every pair of a batch); the
        others regress coordinates of order 1, which the reconstruction
        error of unscaled data would drown.

    n_neighbors : int or "auto", default="auto"
        Neighbours of each row in the graph; an int must be below the
        number of training rows in the graph (all of them, or the 3,000
        landmarks of ``"isomap"`` from more rows).
{geometry_neighbors}
        15 is UMAP's default; t-SNE's perplexity is a third of its
        neighbours (30, t-SNE's default, at 90). Unused with a teacher.

    neighbors : {"auto", "exact", "approximate"}, default="auto"
        How the graph's neighbours are found: ``"exact"`` with
        scikit-learn, ``"approximate"`` with pynndescent (optional, the
        ``manifold`` extra), ``"auto"`` approximate from 20,000 rows when
        pynndescent is installed.

    input_noise : float or "auto", default="auto"
        Standard deviation of Gaussian noise added to the encoder's input
        in training, in units of each feature's input scale (the
        reconstruction target stays clean). Regressing a layout from
        noisy copies keeps the encoder smooth between the training rows,
        so new rows land near their neighbours' places.
{geometry_noise}

    decoder_updates : int or "auto", default="auto"
        Updates of the decoder alone once training ends, each on 256
        training rows, at ``learning_rate_init`` annealed to 0 on a cosine;
        0 skips them. ``"auto"``: 300, or as many as training made when it
        made fewer (a short fit gets a short refit). The encoder and the
        codes stay as they are: the decoder, trained on codes of noisy
        inputs that the geometry term was still moving, is fitted to the
        codes that :meth:`transform` gives. Held-out reconstruction error,
        medians of seeds 0-2 on two splits (``python -m
        benchmarks.manifold --datasets mnist digits --methods AutoEncoder
        ManifoldAutoEncoder ManifoldAutoEncoder-norefit``, and with
        ``--split-seed 7``): digits 1.90 and 1.83 against 2.24 and 2.13
        without them (the AutoEncoder's 1.99 both), MNIST-5k 29.4 and 29.6
        against 30.5 and 30.7 (33.0 and 32.9), the codes the same bit for
        bit, at 3 to 7 s of a 33 s MNIST-5k fit (1 to 2 s on digits);
        measured before the principal subspace and the layout's budget of
        3,150 updates, which brought digits to 1.67 and MNIST-5k to 29.4.

    principal_components : int, "auto" or None, default="auto"
        The MLP encoder reads the rows' coordinates on this many of their
        first principal axes (of the standardised training rows, weighted
        by ``sample_weight``), and with a Gaussian likelihood the MLP
        decoder writes its output on them: a fixed subspace, computed once
        per fit and not trained. ``"auto"``: 50 for rows of more than 100
        features, None otherwise; None reads and writes every feature.
        Networks of your own (``encoder``, ``decoder``) read and write
        every feature. At 784 pixels the first layer is 70% of the
        encoder's multiply-adds. On MNIST-5k, medians of seeds 0-2 on the
        study's split and split 7 (``python -m benchmarks.manifold
        --datasets mnist --methods UMAP ManifoldAutoEncoder
        ManifoldAutoEncoder-full``, and with ``--split-seed 7``), against
        every feature: 5-NN accuracy 0.895 and 0.888 against 0.881 and
        0.873, trustworthiness 0.920 and 0.921 against 0.917 and 0.914,
        reconstruction 29.4 and 29.8 against 29.4 and 29.6, in 0.73 and
        0.67 times the fit time and 0.47 times the transform time.
        Reconstruction cannot go below the subspace's own error
        (on MNIST-5k, 10.1 with 50 axes against the 2-D codes' 29).

    hidden_layer_sizes : int or tuple of int, default=(512, 256, 128)
        Widths of the encoder's hidden layers (an int: one layer); the
        decoder mirrors them.
        Wider than :class:`AutoEncoder`'s: with the layout geometry on
        MNIST-5k's 2-D codes (medians of seeds 0-2, held-out rows), the
        AutoEncoder's ``(256, 128)`` gave 5-NN accuracy 0.852 against
        0.887 and trustworthiness 0.891 against 0.917, at half the fit
        time; ``(1024, 512, 256)`` gave 0.885 and 0.916 at over twice it
        (0.880 against 0.869 on another split, trust 0.916 against 0.915).

    {network_parameters}

    activation : {"relu", "tanh", "logistic", "elu", "gelu", "identity"}, \
default="relu"
        Nonlinearity between layers.

    loss : {"mse", "gaussian", "gaussian_shared", "bce"}, default="mse"
        Reconstruction likelihood: ``"mse"`` is a unit-variance Gaussian,
        ``"gaussian"`` and ``"gaussian_shared"`` learn its variance (per
        feature, or one), ``"bce"`` a Bernoulli for features in [0, 1].

{training_parameters}

    Attributes
    ----------
    geometry_ : str
        The geometry of the last fit: ``geometry`` itself, what
        ``"auto"`` chose (``"isomap"``, ``"layout"`` or ``"umap"``), or
        ``"teacher"`` for an estimator.

    decoder_loss_curve_ : ndarray of shape (n_passes,)
        The mean reconstruction loss of each pass of the decoder's updates
        after training (see ``decoder_updates``); empty when there were
        none. ``loss_curve_`` is the training before them.

    n_principal_components_ : int
        Principal axes the network reads and writes (``principal_components``
        resolved; 0: every feature, as with networks of your own at both
        ends).

    intrinsic_dimension_ : float
        The two-NN estimate of the training rows' intrinsic dimension
        (Facco et al. 2017) that ``geometry="auto"`` read, from at most
        2,000 evenly spaced rows; absent with another geometry.

    graph_seconds_ : float
        Seconds spent building the neighbour graph (and geodesics) in the
        last fit; 0 for a teacher (see ``teacher_seconds_``).

    n_neighbors_ : int
        Neighbours of each row in the last fit's graph (``n_neighbors``
        resolved); absent with a teacher.

    teacher_ : estimator
        The fitted clone of ``geometry`` when it is an estimator.

{training_attributes}

    See Also
    --------
    AutoEncoder : Reconstruction alone.
    sklearn.manifold.Isomap : Geodesic embedding without an encoder.
    sklearn.manifold.TSNE : Neighbour embedding that cannot map new points.

    Notes
    -----
    The graph is built once per fit, on the training rows (not the
    validation split of ``early_stopping``); each training batch draws a
    neighbour of each of its rows by edge weight, so the rows carry their
    positions in the graph through the batching. Validation batches carry
    none: the validation loss is the reconstruction term. The training rows
    are released when fitting ends, so a fitted model holds none of them
    (except inside a teacher that keeps its own, as Isomap does).

    There is no ``partial_fit``: the geometry is that of the whole training
    set (its neighbour graph, geodesics or teacher embedding), and a graph
    of one chunk's rows would pull each row towards neighbours of that
    chunk only, a different geometry on every call. Fit on a sample that
    fits in memory; ``transform`` then encodes any number of rows.

    References
    ----------
    Sainburg, T., McInnes, L., & Gentner, T. Q. (2021). Parametric UMAP
    embeddings for representation and semi-supervised learning. Neural
    Computation, 33(11), 2881-2907.

    van der Maaten, L. (2009). Learning a parametric embedding by preserving
    local structure. AISTATS.

    Duque, A. F., Morin, S., Wolf, G., & Moon, K. R. (2022). Geometry
    regularized autoencoders. IEEE TPAMI, 45(6), 7381-7394.

    Facco, E., d'Errico, M., Rodriguez, A., & Laio, A. (2017). Estimating
    the intrinsic dimension of datasets by a minimal neighborhood
    information. Scientific Reports, 7, 12140.

    Examples
    --------
    >>> from sklearn.datasets import make_swiss_roll
    >>> from sklearn_ae import ManifoldAutoEncoder
    >>> X, t = make_swiss_roll(400, random_state=0)
    >>> model = ManifoldAutoEncoder(max_iter=5, random_state=0)
    >>> model.fit_transform(X).shape
    (400, 2)
    >>> model.geometry_, round(model.intrinsic_dimension_)
    ('isomap', 2)
    """

    # The neighbour graph is built over all training rows at once (see
    # Notes): large or memory-mapped X is copied to the device whole, and
    # there is no partial_fit.
    _needs_all_rows = True

    _parameter_constraints: dict = {
        **AutoEncoder._parameter_constraints,
        "geometry": [
            StrOptions({"auto", *GEOMETRIES}),
            HasMethods(["fit_transform"]),
        ],
        "geometry_weight": [
            Interval(Real, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "n_neighbors": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "neighbors": [StrOptions({"auto", "exact", "approximate"})],
        "input_noise": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "decoder_updates": [
            Interval(Integral, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "principal_components": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
            None,
        ],
    }

    def __init__(
        self,
        n_components=2,
        *,
        geometry="auto",
        geometry_weight="auto",
        n_neighbors="auto",
        neighbors="auto",
        input_noise="auto",
        decoder_updates="auto",
        principal_components="auto",
        hidden_layer_sizes=(512, 256, 128),
        encoder=None,
        decoder=None,
        activation="relu",
        loss="mse",
        batch_size=64,
        learning_rate_init=3e-3,
        learning_rate="auto",
        weight_decay=0.0,
        max_iter=200,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        device="auto",
        random_state=None,
        verbose=0,
        warm_start=False,
        callbacks=None,
        optimizer=torch.optim.AdamW,
        optimizer_params=None,
    ):
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            encoder=encoder,
            decoder=decoder,
            activation=activation,
            loss=loss,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            max_iter=max_iter,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            device=device,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            optimizer=optimizer,
            optimizer_params=optimizer_params,
        )
        self.geometry = geometry
        self.geometry_weight = geometry_weight
        self.n_neighbors = n_neighbors
        self.neighbors = neighbors
        self.input_noise = input_noise
        self.decoder_updates = decoder_updates
        self.principal_components = principal_components

    def _n_training_rows(self, X):
        """Rows of X that the graph holds: all but ``early_stopping``'s share."""
        n_rows = len(X)
        if self.early_stopping:
            n_rows -= math.ceil(self.validation_fraction * n_rows)
        return n_rows

    def _geometry_class(self):
        """The class of this fit's geometry term."""
        if not isinstance(self.geometry, str):
            return TeacherGeometry
        return GEOMETRIES[self.geometry_ if self.geometry == "auto" else self.geometry]

    def _objective_terms(self):
        geometry = self._geometry_class()
        term = geometry() if geometry is TeacherGeometry else geometry.of(self)
        weight = self.geometry_weight
        if weight == "auto":
            weight = geometry.default_weight
        return [*super()._objective_terms(), (term, float(weight))]

    @_fit_context(prefer_skip_nested_validation=False)
    @restores_on_failure
    @fill_sample_weight
    def fit(self, X, y=None, sample_weight=None):
        """Build the neighbour graph (or fit the teacher) and train on X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored: the neighbour graph, the geodesics and a teacher are
            built from X alone (no supervised graph, unlike UMAP's
            ``target_metric``). Accepted so that pipelines can pass it.
        {sample_weight}

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight)

    def _row_data(self, X, y, *, reset, partial, classes=None):
        # The geometry of this fit, and a teacher's embedding of the rows.
        side = super()._row_data(X, y, reset=reset, partial=partial)
        check_principal_components(self.principal_components, X.shape[1])
        if isinstance(self.geometry, str):
            # "auto" chooses a graph geometry that takes these rows.
            geometry = GEOMETRIES.get(self.geometry, GraphTerm)
            geometry.check_rows(self.n_neighbors, self._n_training_rows(X))
        self._forget("intrinsic_dimension_")
        if self.geometry == "auto":
            self.geometry_ = self._choose_geometry(X)
        elif isinstance(self.geometry, str):
            self.geometry_ = self.geometry
        if isinstance(self.geometry, str):
            self._forget("teacher_", "teacher_seconds_")
            return side
        self.geometry_ = TeacherGeometry.option
        teacher = clone(self.geometry)
        embedding, seconds = teacher_embedding(teacher, X, self.n_components)
        self.teacher_, self.teacher_seconds_, self.graph_seconds_ = (
            teacher,
            seconds,
            0.0,
        )
        self._forget("n_neighbors_")
        return {**side, "teacher": embedding}

    def _after_training(self, X, train, *, partial, generator):
        self.decoder_loss_curve_ = fit_decoder(
            self.net_,
            train,
            n_updates=self._decoder_updates(),
            learning_rate=self.learning_rate_init,
            generator=generator,
        )
        # The refit moves a learned variance too.
        self.noise_variance_ = noise_variance(self.net_.module_, self.n_features_in_)
        align_code_axes(self.net_.module_, lambda: self._encode(X))

    def _module_options(self):
        n_axes = principal_components_of(self)
        # A network on every feature is described as before the subspace
        # existed, so that models saved then still load.
        return {"principal_components": n_axes} if n_axes else {}

    def _pretrain(self, module, train, generator):
        n_axes = self._module_options().get("principal_components", 0)
        fit_principal_subspace(module, train, n_axes)
        fitted = super()._pretrain(module, train, generator)
        return {**fitted, "n_principal_components_": n_axes}

    def _decoder_updates(self):
        """``decoder_updates`` resolved against the updates training made."""
        if self.decoder_updates == "auto":
            return min(DECODER_UPDATES, self.n_updates_)
        return self.decoder_updates

    def _corruption(self, module, X):
        """Gaussian noise on the encoder's input, in units of its scale."""
        level = self.input_noise
        if level == "auto":
            level = GEOMETRIES.get(self.geometry_, TeacherGeometry).default_noise
        if level == 0:
            return None
        return Corruption(
            "gaussian",
            float(level),
            module.scale.detach().cpu(),
            torch.as_tensor(np.min(X, axis=0), dtype=torch.float32),
            torch.as_tensor(np.max(X, axis=0), dtype=torch.float32),
        )

    def _choose_geometry(self, X):
        """``geometry="auto"``: geodesics on a curve or sheet, else a UMAP layout.

        Records the two-NN estimate in ``intrinsic_dimension_``. Geodesics
        take any number of rows (from landmarks above
        :data:`~sklearn_ae._geometry.GEODESIC_LANDMARKS`); above
        :data:`MAX_LAYOUT_ROWS` training rows the layout, which holds the
        whole graph, gives way to UMAP's sampled edges.
        """
        self.intrinsic_dimension_ = intrinsic_dimension(X)
        sheet = min(self.n_components, AUTO_SHEET_DIMENSION) + 0.5
        if self.intrinsic_dimension_ < sheet:
            return "isomap"
        return "layout" if self._n_training_rows(X) <= MAX_LAYOUT_ROWS else "umap"

    def _forget(self, *names):
        """Drop a previous fit's attributes that this fit's geometry lacks."""
        for name in names:
            self.__dict__.pop(name, None)
