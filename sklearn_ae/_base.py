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
    InvalidParameterError,
    _fit_context,
    validate_data,
)
from ._device import resolve_device
from ._extensions import ExtensionsMixin
from ._inference import decode_rows, encode_rows, map_batches
from ._layer_sizes import check_layer_sizes, layer_widths
from ._likelihoods import LIKELIHOODS
from ._limits import (
    check_float32_range,
    check_layer_weights,
    check_network_size,
)
from ._modules import AutoEncoderModule
from ._net import apply_settings, continue_training, make_net, snapshot
from ._networks import build_networks, check_networks_allowed, own_networks
from ._objective import Objective, Reconstruction
from ._random import (
    deferred_initialisation,
    fit_generators,
    initialise,
    torch_seed,
)
from ._record import record_fit
from ._restore import restores_on_failure
from ._rows import pass_batches, split_rows, streams, to_dataset
from ._scaling import standardisation
from ._settings import TRAINING_CONSTRAINTS, TrainingSettings
from ._sparse_input import INPUT, issparse


class _BaseAutoEncoder(
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    ExtensionsMixin,
    BaseEstimator,
):
    """Base class for autoencoder estimators. Not for direct use.

    Subclasses define ``__init__`` with their public parameters and may
    override ``_architecture``, ``_module_class``/``_module_options``,
    ``_objective_terms`` (or ``_make_objective`` for several phases),
    ``_pretrain``, ``_corruption``, ``_check_params_vs_data`` and
    ``_check_fitted``.
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

    # Whether training may read large or memory-mapped X a batch at a time
    # (see HostRows); False for models that read all training rows at once.
    _streams_rows = True

    # Share of labelled rows in each training batch when labels are rare
    # (see TensorBatchIterator); None for models that do not learn from them.
    _labelled_share = None

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
    _own_networks_refused = None

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

    def _training_settings(self):
        """The training loop's settings, from the shared parameters."""
        return TrainingSettings.of(self)

    def _check_params_vs_data(self, X):
        """Check rules tying parameters to each other or to the data."""
        check_float32_range(X)
        check_networks_allowed(self)
        if hasattr(self, "hidden_layer_sizes"):
            check_layer_sizes(
                "hidden_layer_sizes", self.hidden_layer_sizes, allow_int=True
            )
        hidden, _, loss = self._architecture()
        n_features = X.shape[1]
        check_layer_weights(
            [
                (n_features, None),
                *((width, "hidden_layer_sizes") for width in hidden),
                (self.n_components, "n_components"),
            ]
        )
        if not self._allows_overcomplete and self.n_components > n_features:
            raise ValueError(
                f"n_components={self.n_components} must be <= "
                f"n_features={n_features}: this autoencoder compresses its "
                "input. Use fewer components (or SparseAutoEncoder for "
                "overcomplete codes)."
            )
        LIKELIHOODS[loss].check_data(X)

    # ---------------------------------------------------------------- fitting
    def _validate_params(self):
        super()._validate_params()
        # scikit-learn's Interval(Integral) takes True for 1: refuse it.
        for name, constraints in self._parameter_constraints.items():
            value = getattr(self, name)
            integral = any(
                isinstance(c, Interval) and c.type is Integral for c in constraints
            )
            if integral and isinstance(value, bool | np.bool_):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be "
                    f"an int, not the boolean {value!r}."
                )

    @_fit_context(prefer_skip_nested_validation=True)
    @restores_on_failure
    def fit(self, X, y=None):
        """Train the autoencoder on X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. A scipy.sparse matrix or array is read one
            batch at a time, densified batch by batch (see "Large data" in
            the user guide).
        y : None
            Ignored; present for API consistency.

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
        X = self._validate_training_data(X)
        return self._fit(X)

    def _warm(self):
        """Whether this fit continues training the fitted network."""
        return self.warm_start and hasattr(self, "net_")

    def _validate_training_data(self, X):
        # A warm start keeps the network, so the columns must not change.
        X = validate_data(
            self, X, ensure_min_samples=2, reset=not self._warm(), **INPUT
        )
        if issparse(X) and not self._streams_rows:
            # Read whole at once, as a memory map is copied whole.
            X = X.toarray()
        self._check_params_vs_data(X)
        return X

    def _fit(self, X, **side):
        """Prepare, build, train and record; ``side`` holds per-row arrays.

        Everything random draws from the two generators made here from
        ``random_state``; torch's global generator is neither read nor
        changed, so fits in concurrent threads do not disturb each other.
        """
        device = resolve_device(self.device)
        seed = torch_seed(self.random_state)
        init_generator, generator = fit_generators(seed, device)
        streamed = self._streams_rows and streams(X)
        fraction = self.validation_fraction if self.early_stopping else None
        (X_train, side_train), valid = split_rows(X, side, seed, fraction, streamed)
        train = to_dataset(X_train, side_train, device)
        valid = None if valid is None else to_dataset(*valid, device)
        settings = self._training_settings()
        settings = settings.for_pass(
            pass_batches(train, settings.batch_size, self._labelled_share)
        )
        fitted = {}
        restore = None
        if self._warm():
            self._check_same_network()
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
                net.corrupt = self._corruption(net.module_, X_train)
            self._train_and_record(net, train, valid, generator, n_codes, fitted)
            self._check_fitted(X)
        except BaseException:
            if restore is not None:
                restore()
            raise
        return self

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
            module = self._allocate(build, X.shape[1], offset, scale)
        initialise(module, init_generator, keep=module.own_networks())
        fitted = self._pretrain(module, train, generator)
        net = make_net(
            module,
            self._make_objective(),
            settings,
            device=device,
            corrupt=self._corruption(module, X),
            labelled_share=self._labelled_share,
        )
        net.initialize()
        fitted["_fitted_network"] = self._network()
        return net, fitted

    def _train_and_record(
        self, net, train, valid, generator, n_codes, fitted, *, extend=False
    ):
        """Train ``net`` on ``train``, then write the fitted attributes.

        ``extend``: see :func:`~sklearn_ae._record.record_fit`.
        """
        # Terms that read the whole training set get it for this fit only.
        fitted = {**fitted, **net.criterion_.attach(train)}
        try:
            net = continue_training(net, train, valid, generator)
        finally:
            net.criterion_.release()
        net.module_.eval()
        fitted = {**fitted, **self._fitted_from_rows(net.module_, train)}
        record_fit(
            self,
            net,
            validated=valid is not None,
            n_codes=n_codes,
            extend=extend,
            **fitted,
        )

    def _network(self):
        """What the parameters make of the network: its widths and layers."""
        hidden, activation, loss = self._architecture()
        # A network of the user's own is recorded as the object given (not
        # a copy): a warm start must continue the same one, and a pickled
        # model rebuilds its network from it.
        return {
            "n_components": self.n_components,
            "hidden_layer_sizes": tuple(hidden),
            "activation": activation,
            "loss": loss,
            **self._module_options(),
            **own_networks(self),
        }

    def _check_same_network(
        self, continued_by="warm_start=True", afresh="warm_start=False"
    ):
        """A warm start keeps the network: its parameters must not change.

        ``continued_by`` names what continues training (``partial_fit`` does
        too), ``afresh`` how to fit a new network instead.
        """
        fitted = getattr(self, "_fitted_network", None)
        if fitted is None:  # fitted by code that does not record it
            return
        now = self._network()
        changed = [
            name for name in {**fitted, **now} if now.get(name) != fitted.get(name)
        ]
        if changed:
            was = ", ".join(f"{name}={fitted.get(name)!r}" for name in changed)
            raise ValueError(
                f"{continued_by} continues the fitted network, built with "
                f"{was}; set the parameters back, or {afresh} to fit "
                "a new network."
            )

    def _allocate(self, build, *args):
        """``build(*args)``, with a failed allocation named as a ValueError."""
        try:
            return build(*args)
        except (RuntimeError, MemoryError) as exc:
            if isinstance(exc, RuntimeError) and "alloc" not in str(exc).lower():
                raise
            raise ValueError(
                f"{type(self).__name__}'s network does not fit in memory "
                f"({exc}); use smaller hidden_layer_sizes or n_components."
            ) from exc

    def _fitted_from_rows(self, module, train):
        """Fitted attributes of the trained ``module`` measured on ``train``.

        ``train`` is the :class:`~sklearn_ae._rows.RowDataset` of this
        call's training rows. Nothing by default (the linear autoencoder
        measures the variance along its principal axes).
        """
        return {}

    def _check_fitted(self, X):
        """Warn when training ran but left a model that is wrong in a known way.

        ``X`` is the training data. A no-op here; variants whose training can
        fail silently (a VAE's posterior collapse) check for it.
        """

    # -------------------------------------------------------------- inference

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

    def score(self, X, y=None):
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

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    # ------------------------------------------------------------ persistence
    def __getstate__(self):
        # The net as numpy arrays (see sklearn_ae._state): a pickle holds no
        # torch object, and skops.io can store the estimator.
        # A copy: object.__getstate__ returns the instance's own __dict__.
        state = dict(super().__getstate__())
        if "net_" in state:
            from ._state import net_state

            state["net_"] = net_state(state["net_"])
            # The prior is rebuilt with the objective from the parameters.
            state.pop("prior_", None)
        return state

    def __setstate__(self, state):
        state = dict(state)
        saved = state.pop("net_", None)
        super().__setstate__(state)
        if saved is not None:
            from ._state import restore_net

            self.net_ = restore_net(self, saved)
            if self.net_.criterion_.prior is not None:
                self.prior_ = self.net_.criterion_.prior

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
