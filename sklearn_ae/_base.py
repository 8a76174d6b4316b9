"""The shared base estimator: a torch autoencoder as a scikit-learn transformer.

``_BaseAutoEncoder`` owns validation, ``fit``, ``transform``,
``inverse_transform``, ``score`` and the training loop. A variant is a small
subclass that names its module (``_module_class`` and ``_module_options``)
and its objective (``_objective_terms``: its loss terms and their weights),
and adds its parameters.

``fit`` runs in four steps, each in one place: prepare (split, input
statistics from the training rows only, tensors), build (module, objective,
net), train, then record the fitted state.
"""

import functools
from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_array, check_is_fitted

from ._compat import (
    Interval,
    _check_sample_weight,
    _fit_context,
    validate_data,
)
from ._device import resolve_device
from ._docstrings import fill_sample_weight
from ._extensions import ExtensionsMixin
from ._inference import decode_rows, encode_rows, map_batches
from ._layer_sizes import check_layer_sizes, layer_widths
from ._likelihoods import LIKELIHOODS
from ._limits import (
    allocate,
    check_float32_range,
    check_layer_weights,
    check_network_size,
)
from ._modules import AutoEncoderModule
from ._net import apply_settings, continue_training, make_net, snapshot
from ._networks import build_networks
from ._objective import Objective, Reconstruction
from ._random import (
    call_seed,
    deferred_initialisation,
    fit_generators,
    initialise,
    torch_seed,
)
from ._record import record_fit
from ._restore import restores_on_failure
from ._rows import pass_batches, split_rows, streams, to_dataset
from ._sample_weight import SAMPLE_WEIGHT, check_sample_weight, training_weights
from ._samplers import ShuffledBatches
from ._scaling import standardisation
from ._settings import TRAINING_CONSTRAINTS, TrainingSettings, refuse_boolean_integers
from ._sparse_input import INPUT, issparse
from ._state import PicklesNetAsArrays
from ._warm_start import check_same_network, fitted_network


class _BaseAutoEncoder(
    PicklesNetAsArrays,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    ExtensionsMixin,
    BaseEstimator,
):
    """Base class for autoencoder estimators. Not for direct use.

    Subclasses define ``__init__`` with their public parameters and may
    override ``_architecture``, ``_module_class``/``_module_options``,
    ``_objective_terms`` (or ``_make_objective`` for several phases),
    ``_pretrain``, ``_corruption``, ``_row_data`` (the validated rows: check
    parameters against them, return per-row data), ``_after_training`` and
    the class attributes ``_allows_overcomplete``, ``_needs_all_rows`` and
    ``_batch_sampler``.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        **TRAINING_CONSTRAINTS,
    }

    def __init__(
        self,
        n_components,
        *,
        batch_size,
        learning_rate_init,
        learning_rate,
        weight_decay,
        max_iter,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        tol,
        device,
        random_state,
        verbose,
        warm_start,
        callbacks,
        optimizer,
        optimizer_params,
    ):
        self.n_components = n_components
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params

    # Most autoencoders must compress; overcomplete variants (sparse) allow more.
    _allows_overcomplete = False

    # Whether training reads the whole training set at once (layer-wise
    # pretraining, a neighbour graph): such a model copies large or
    # memory-mapped X instead of reading it a batch at a time (HostRows), and
    # has no partial_fit, since a chunk cannot train it.
    _needs_all_rows = False

    # How the rows of a shuffled pass make up batches (see _samplers).
    _batch_sampler = ShuffledBatches()

    # ----------------------------------------------------------------- hooks
    def _architecture(self):
        """Return ``(hidden_layer_sizes, activation, loss)``."""
        return layer_widths(self.hidden_layer_sizes), self.activation, self.loss

    # The torch module a variant trains; see ``_module_options`` for extras.
    _module_class = AutoEncoderModule

    def _module_options(self):
        """Keyword arguments of ``_module_class`` beyond the architecture."""
        return {}

    # Why the model refuses networks of the user's own (None: it takes them).
    def _build_module(self, n_features, offset, scale, networks=None):
        """The module, around ``networks`` (see :func:`build_networks`)."""
        hidden, activation, loss = self._architecture()
        if networks is None:
            networks = build_networks(self, n_features)
        return self._module_class(
            n_features,
            self.n_components,
            hidden,
            activation,
            loss,
            offset,
            scale,
            **networks,
            **self._module_options(),
        )

    def _objective_terms(self):
        """``[(term, weight)]``: what training minimises, one forward pass."""
        return [(Reconstruction(), 1.0)]

    def _make_objective(self):
        """The :class:`~sklearn_ae._objective.Objective` of a fit.

        Built after the module, and again for each warm-started fit (so
        changed weights take effect); it must not draw random numbers.
        Override for several phases (the adversarial autoencoder's).
        """
        return Objective(self._objective_terms())

    def _pretrain(self, module, train, generator):
        """Initialise ``module`` from the training rows before training.

        ``train`` is the :class:`~sklearn_ae._rows.RowDataset` of the
        training rows, ``generator`` the fit's torch generator on their
        device. Called on a fresh (not warm-started) fit. Returns a dict of
        fitted attributes to record; nothing by default (the stacked
        autoencoder pretrains layer-wise).
        """
        return {}

    def _corruption(self, module, X):
        """Callable corrupting a clean training batch, or None.

        ``X`` is the training rows (without any validation split), for noise
        that depends on them, such as salt-and-pepper's per-feature range;
        ``module`` holds the input scaling.
        """
        return None

    def _row_data(self, X, y, *, reset, partial, classes=None):
        """Check the parameters against the validated rows X; their side data.

        The one way in for per-row data: each array of the returned dict is
        split, shuffled and batched with the rows, and reaches the module
        and the objective's terms under its name (labels, a teacher's
        embedding). ``y`` is not validated; ``reset``: this call builds the
        network; ``partial`` and ``classes``: of ``partial_fit``.
        """
        check_params_vs_data(self, X)
        return {}

    def _after_training(self, X, train, *, partial, generator):
        """Finish a trained, recorded fit: more fitted attributes, checks.

        ``X``: the call's validated rows; ``train``: the
        :class:`~sklearn_ae._rows.RowDataset` it trained on; ``partial``:
        one ``partial_fit`` call, not a finished training; ``generator``:
        the fit's training stream, where training left it, for anything
        random done here.
        """

    def _training_settings(self):
        """The training loop's settings, from the shared parameters."""
        return TrainingSettings.of(self)

    # ---------------------------------------------------------------- fitting
    def _validate_params(self):
        super()._validate_params()
        refuse_boolean_integers(self)

    @_fit_context(prefer_skip_nested_validation=True)
    @restores_on_failure
    @fill_sample_weight
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder on X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. A scipy.sparse matrix or array is read one
            batch at a time, densified batch by batch (see "Large data" in
            the user guide).
        y : None
            Ignored; present for API consistency.
        {sample_weight}

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        FloatingPointError
            If training diverged (a loss or a weight became NaN or
            infinite).
        """
        return self._fit(X, y, sample_weight=sample_weight)

    def _warm(self):
        """Whether this fit continues training the fitted network."""
        return self.warm_start and hasattr(self, "net_")

    def _fit(self, X, y=None, *, partial=False, classes=None, sample_weight=None):
        """Prepare, build, train and record: ``fit``'s and ``partial_fit``'s path.

        ``partial``: a ``partial_fit`` call, one constant-rate pass over X
        that continues the fitted network if there is one (a fit continues
        it only under ``warm_start``), holds nothing out and keeps the
        input scaling and corruption of the call that built the network.
        ``y`` and ``classes`` reach :meth:`_row_data`; ``sample_weight``
        weighs each row's loss (see :mod:`~sklearn_ae._sample_weight`).

        Everything random draws from the two generators made here from
        ``random_state`` (and ``partial_fit``'s passes so far), never from
        torch's global one: concurrent fits do not disturb each other.
        """
        continuing = hasattr(self, "net_") if partial else self._warm()
        X = self._validate_rows(X, reset=not continuing, partial=partial)
        weights = check_sample_weight(sample_weight, X, relative=not partial)
        side = self._row_data(
            X, y, reset=not continuing, partial=partial, classes=classes
        )
        if weights is not None:
            side = {**side, SAMPLE_WEIGHT: weights}
        device = resolve_device(self.device)
        seed = torch_seed(self.random_state)
        if partial:
            seed = call_seed(seed, getattr(self, "n_iter_", 0))
        init_generator, generator = fit_generators(seed, device)
        streamed = not self._needs_all_rows and streams(X)
        held_out = self.early_stopping and not partial
        fraction = self.validation_fraction if held_out else None
        (X_train, side_train), valid = split_rows(X, side, seed, fraction, streamed)
        side_train = training_weights(side_train, relative=not partial)
        train = to_dataset(X_train, side_train, device)
        if valid is not None:
            X_valid, side_valid = valid
            side_valid = training_weights(side_valid, relative=True)
            valid = to_dataset(X_valid, side_valid, device)
        settings = self._training_settings()
        if partial:
            settings = settings.for_chunk()
        else:
            terms = [term for term, _ in self._objective_terms()]
            settings = settings.for_pass(
                pass_batches(train, settings.batch_size, self._batch_sampler),
                anneal=any(term.anneals for term in terms),
                min_updates=max(term.annealed_updates for term in terms),
            )
        fitted = {}
        restore = None
        if continuing:
            check_same_network(self, *(("partial_fit", "call fit") if partial else ()))
            # Trains the fitted net in place, so keep what a failure must
            # put back (the estimator's attributes are restored by fit).
            net = self.net_
            restore = snapshot(net)
            n_codes = self._n_features_out
        else:
            net, fitted = self._new_net(
                X_train, train, settings, device, (init_generator, generator)
            )
            n_codes = self.n_components
        try:
            if restore is not None:
                apply_settings(net, self._make_objective(), settings)
                if not partial:
                    net.corrupt = self._corruption(net.module_, X_train)
            # Terms that read the whole training set get it for this fit only.
            fitted = {**fitted, **net.criterion_.attach(train)}
            try:
                continue_training(net, train, valid, generator)
            finally:
                net.criterion_.release()
            net.module_.eval()
            record_fit(
                self,
                net,
                validated=valid is not None,
                n_codes=n_codes,
                extend=partial and continuing,
                **fitted,
            )
            self._after_training(X, train, partial=partial, generator=generator)
        except BaseException:
            if restore is not None:
                restore()
            raise
        if partial and len(net.history) > 1:
            # The per-batch records of the last call only: a long stream
            # would otherwise keep a dict for every batch it ever trained on
            # (pickles and saved models drop them all).
            net.history[-2].pop("batches", None)
        return self

    def _validate_rows(self, X, *, reset, partial):
        """X validated for training; ``reset`` on a call that builds the network.

        A continued network keeps its columns. A fit needs 2 rows or more,
        as does the first call of ``partial_fit``, whose rows fix the input
        scaling.
        """
        minimum = {} if partial else {"ensure_min_samples": 2}
        X = validate_data(self, X, reset=reset, **INPUT, **minimum)
        if issparse(X) and self._needs_all_rows:
            # Read whole at once, as a memory map is copied whole.
            X = X.toarray()
        if partial and reset and len(X) < 2:
            raise ValueError(
                "The first call to partial_fit fixes the input scaling from "
                "its rows (each feature's mean and spread), so it needs at "
                "least 2 rows, and better a representative chunk of a few "
                "hundred; got 1."
            )
        return X

    def _new_net(self, X, train, settings, device, generators):
        """A new, initialised net to train on the rows X: ``(net, fitted)``.

        The input standardisation (and a corruption's statistics) come from
        X; ``train`` is X's :class:`~sklearn_ae._rows.RowDataset` on
        ``device``, ``generators`` the ``(init, train)`` pair of
        :func:`~sklearn_ae._random.fit_generators`. ``fitted`` holds the
        fitted attributes of pretraining and the network's description.
        """
        init_generator, generator = generators
        offset, scale = standardisation(X)
        build = functools.partial(
            self._build_module,
            networks=build_networks(self, X.shape[1], init_generator),
        )
        # Refused before anything is allocated; built outside the deferred
        # block, whose layers are materialised on the CPU.
        check_network_size(type(self).__name__, build, X.shape[1], offset, scale)
        with deferred_initialisation():
            module = allocate(type(self).__name__, build, X.shape[1], offset, scale)
        initialise(module, init_generator, keep=module.own_networks())
        fitted = self._pretrain(module, train, generator)
        net = make_net(
            module,
            self._make_objective(),
            settings,
            device=device,
            corrupt=self._corruption(module, X),
            sampler=self._batch_sampler,
        )
        net.initialize()
        fitted["_fitted_network"] = fitted_network(self)
        return net, fitted

    # -------------------------------------------------------------- inference
    def _map_batches(self, X, function, **side):
        """``function(module, batch, **side_batch)`` on row blocks, no_grad.

        ``side`` holds per-row arrays (labels) sliced with the rows.
        """
        return map_batches(self.net_, X, function, type(self).__name__, **side)

    def _validate_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, **INPUT)

    def _validate_scored(self, X):
        """Validated rows to score: a Bernoulli scores only values in [0, 1]."""
        X = self._validate_input(X)
        self.net_.module_.likelihood.check_data(X, scored=True)
        return X

    def _validate_codes(self, X):
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32])
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"inverse_transform expects codes with {self._n_features_out} "
                f"columns (the fitted n_components), got {Z.shape[1]}."
            )
        return Z

    def _encode(self, X, **side):
        """Codes of validated rows X, conditioned on their side data."""
        return self._map_batches(X, encode_rows, **side)

    def _decode(self, Z, **side):
        """The decoder's mean at validated codes Z."""
        return self._map_batches(Z, decode_rows, **side)

    def transform(self, X):
        """Encode X: the codes of the trained encoder.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Codes, in the input's floating dtype, as numpy on the CPU.
        """
        return self._encode(self._validate_input(X))

    def inverse_transform(self, X):
        """Decode codes back to data space: the decoder's mean.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, such as the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
            The mean of the decoder's distribution (the reconstruction).
        """
        return self._decode(self._validate_codes(X))

    def _score_samples_batch(self, module, batch):
        """Per-sample log-likelihood of a batch (constants included)."""
        decoded = module(batch).decoded
        return -module.likelihood.nll(decoded, batch, constants=True)

    def score_samples(self, X):
        """Log-likelihood of each sample under the model, in nats.

        For ``loss="mse"`` this is the log-density of x under a unit-variance
        Gaussian centred on the reconstruction,
        :math:`-\\frac{1}{2} \\|x - g(h(x))\\|^2 - \\frac{d}{2} \\log(2 \\pi)`
        for :math:`d` features; for ``loss="bce"`` the Bernoulli
        log-probability :math:`\\sum_j x_j \\log p_j + (1 - x_j) \\log(1 - p_j)`
        with :math:`p = g(h(x))`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)

        Raises
        ------
        ValueError
            If a row lies so far outside the training data's range that the
            network's arithmetic overflows its dtype (the result would be
            infinite or NaN), or, for ``loss="bce"``, if X leaves [0, 1].
        """
        X = self._validate_scored(X)
        return self._map_batches(X, self._score_samples_batch)

    def score(self, X, y=None, sample_weight=None):
        """Mean log-likelihood of X (higher is better).

        Being a likelihood, it lets ``GridSearchCV`` tune an autoencoder
        without labels or a scorer. Compare it only between models with the
        same ``loss``.

        It does not choose ``n_components``: a larger code keeps more of
        each sample, so the held-out likelihood rises with the code size
        and a search on it picks the largest code offered. Choose the size
        with a downstream scorer (the autoencoder in a ``Pipeline`` before
        a classifier), or at the elbow of the held-out reconstruction error
        read against PCA's; the gallery example "Choosing the code size"
        shows both.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows in the mean (a weighted search scores the
            held-out rows with their weights); None weighs them alike.

        Returns
        -------
        score : float
        """
        scores = self.score_samples(X)
        if sample_weight is None:
            return float(np.mean(scores))
        weights = _check_sample_weight(
            sample_weight, scores, dtype=np.float64, ensure_non_negative=True
        )
        return float(np.average(scores, weights=weights))

    @property
    def _n_features_out(self):
        # The fitted network's code width; an AttributeError (so
        # NotFittedError from get_feature_names_out) before fit.
        return self._n_codes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        if hasattr(self, "predict_proba"):
            # A transformer that also predicts classes (the conditional VAE):
            # scikit-learn's checks read the classes' tags when it predicts.
            tags.classifier_tags = ClassifierTags()
        return tags


def check_params_vs_data(estimator, X):
    """Check the shared rules tying parameters to each other or to the rows X."""
    check_float32_range(X)
    if hasattr(estimator, "hidden_layer_sizes"):
        check_layer_sizes(
            "hidden_layer_sizes", estimator.hidden_layer_sizes, allow_int=True
        )
    hidden, _, loss = estimator._architecture()
    n_features = X.shape[1]
    check_layer_weights(
        [
            (n_features, None),
            *((width, "hidden_layer_sizes") for width in hidden),
            (estimator.n_components, "n_components"),
        ]
    )
    if not estimator._allows_overcomplete and estimator.n_components > n_features:
        raise ValueError(
            f"n_components={estimator.n_components} must be <= "
            f"n_features={n_features}: this autoencoder compresses its "
            "input. Use fewer components (or SparseAutoEncoder for "
            "overcomplete codes)."
        )
    LIKELIHOODS[loss].check_data(X)
