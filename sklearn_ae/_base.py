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

import copy
import functools
import itertools
import math
import sys
import warnings
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
)
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_array, check_is_fitted
from skorch.helper import predefined_split

from ._compat import (
    Interval,
    InvalidParameterError,
    StrOptions,
    _fit_context,
    validate_data,
)
from ._config import bounded_threads
from ._limits import (
    FLOAT32_MAX,
    check_finite_outputs,
    check_float32_range,
    check_network_size,
)
from ._modules import AutoEncoderModule
from ._objective import Objective, Reconstruction
from ._random import (
    deferred_initialisation,
    fit_generators,
    initialise,
    torch_seed,
)
from ._training import (
    HostRows,
    RowDataset,
    TrainingSettings,
    apply_settings,
    make_net,
    pass_batches,
    resolve_device,
    snapshot,
    streams,
    to_dataset,
)

# Rows per forward pass in transform/score: bounds memory on large X.
INFERENCE_BATCH_SIZE = 4096

# Training rows on which every loss of the trained network is checked once
# training ends (the divergence guard's last look, after the last update).
FINITE_CHECK_ROWS = 1024

# Most rows held out for early stopping, whatever validation_fraction says:
# the validation loss is computed every iteration, and 10,000 rows already
# estimate it to a fraction of a percent.
MAX_VALIDATION_ROWS = 10_000

# Most weights one layer may have: 2**31 float32 weights are 8 GiB, before
# Adam's two moments. Beyond it a size is a typo (10**12 for 10**2), and
# torch would fail to allocate with an error that names no parameter.
MAX_LAYER_WEIGHTS = 2**31

# Training computes in float32: an optimizer's rate or decay beyond its range
# overflows inside torch's Adam, with an error that names no parameter.
RATE = Interval(Real, 0, FLOAT32_MAX, closed="neither")

# Parameters of the training loop, shared by every estimator.
TRAINING_CONSTRAINTS = {
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate_init": [RATE],
    "learning_rate": [StrOptions({"auto", "constant", "cosine"})],
    "weight_decay": [Interval(Real, 0, FLOAT32_MAX, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
    "tol": [Interval(Real, 0, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
}

# Frames of these packages are skipped when a warning looks for the user's line.
_INTERNAL = (str(Path(__file__).parent), str(Path(sklearn.__file__).parent))


def warn(message, category=UserWarning):
    """Warn at the user's line: the first caller outside this package.

    scikit-learn's frames (its ``fit`` wrapper, a ``Pipeline``) are skipped
    too, so the warning names the line that called ``fit``.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _is_int(value):
    """An integer that is not a boolean (``True`` is an ``Integral``)."""
    return isinstance(value, Integral | np.integer) and not isinstance(
        value, bool | np.bool_
    )


def layer_widths(sizes):
    """The widths of ``hidden_layer_sizes``, a tuple.

    An int is one hidden layer of that width, as in scikit-learn's
    ``MLPRegressor``.
    """
    return (sizes,) if _is_int(sizes) else tuple(sizes)


def check_layer_sizes(name, sizes, *, allow_int=False):
    """Raise a ValueError unless ``sizes`` is a sequence of positive ints.

    ``allow_int``: one positive int is allowed too (see :func:`layer_widths`).
    """
    try:
        widths = layer_widths(sizes) if allow_int else tuple(sizes)
    except TypeError:
        widths = None
    if widths is None or any(not _is_int(w) or w < 1 for w in widths):
        allowed = "a positive integer or " if allow_int else ""
        raise ValueError(
            f"{name}={sizes!r} must be {allowed}a sequence of positive "
            "integers, e.g. (256, 128)."
        )


def check_layer_weights(widths):
    """Raise a ValueError if a layer of a stack would be absurdly large.

    ``widths`` is a sequence of ``(width, name)``, input first; ``name`` is
    the parameter that sets the width, or None for the data's.
    """
    for (fan_in, name_in), (fan_out, name_out) in itertools.pairwise(widths):
        if int(fan_in) * int(fan_out) > MAX_LAYER_WEIGHTS:
            named = " and ".join(n for n in dict.fromkeys((name_in, name_out)) if n)
            raise ValueError(
                f"{named} give a layer of {int(fan_in)} x {int(fan_out)} "
                "weights, more than the limit of 2**31 (8 GiB of float32): "
                f"use smaller values of {named}."
            )


def restores_on_failure(fit):
    """Make ``fit`` leave the estimator as it was when it raises.

    Whatever the failure (bad data, a diverging loss, a user's callable
    raising, a ``KeyboardInterrupt``), the estimator's attributes are put
    back: an unfitted estimator stays unfitted (``transform`` raises
    ``NotFittedError``), a fitted one keeps its previous model. The
    attributes are put back here; a warm start, which trains the fitted net
    in place, puts the net's weights, optimizers and history back itself
    (:func:`~sklearn_ae._training.snapshot`).

    Being the wrapper of every training call, it also bounds the CPU
    threads of torch and of the BLAS and OpenMP libraries while the call runs
    (:func:`~sklearn_ae._config.bounded_threads`).
    """

    @functools.wraps(fit)
    def fit_or_restore(self, *args, **kwargs):
        before = dict(vars(self))
        try:
            with bounded_threads(libraries=True):
                return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    fit_or_restore.restores_on_failure = True
    return fit_or_restore


class _BaseAutoEncoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
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

    def _build_module(self, n_features, offset, scale):
        hidden, activation, loss = self._architecture()
        return self._module_class(
            n_features,
            self.n_components,
            hidden,
            activation,
            loss,
            offset,
            scale,
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

        ``train`` is the :class:`~sklearn_ae._training.RowDataset` of the
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

    @staticmethod
    def _train(
        module, objective, settings, train, valid=None, *, generator=None, **options
    ):
        """Train ``module`` on ``objective``; returns the skorch net.

        ``train`` and ``valid`` are :class:`~sklearn_ae._training.RowDataset`
        objects on the training device (``valid`` may be None), or tensors
        of rows without side data; ``generator`` is the fit's torch
        generator on that device; ``options`` go to
        :func:`~sklearn_ae._training.make_net`.
        """
        if isinstance(train, torch.Tensor):
            train = RowDataset(train)
        device = train.inputs.device
        net = make_net(module, objective, settings, device=device, **options)
        net.initialize()
        return _BaseAutoEncoder._continue(net, train, valid, generator)

    @staticmethod
    def _continue(net, train, valid, generator):
        """Train an initialised net on ``train``, checking it ends finite."""
        net.train_split = None if valid is None else predefined_split(valid)
        net.generator = generator
        try:
            net.partial_fit(train)
            net.check_finite(train, FINITE_CHECK_ROWS)
        finally:
            # A fitted net keeps neither the validation rows (a model file
            # must not carry training data) nor the fit's generator.
            net.train_split = None
            net.generator = None
        return net

    def _check_params_vs_data(self, X):
        """Check rules tying parameters to each other or to the data."""
        check_float32_range(X)
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
        if loss == "bce" and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "loss='bce' (Bernoulli likelihood) needs every feature in "
                f"[0, 1], but X ranges over [{X.min():.4g}, {X.max():.4g}]. "
                "Scale X with MinMaxScaler or use loss='mse'."
            )

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
        X : array-like of shape (n_samples, n_features)
            Training data. Sparse matrices are refused with a TypeError:
            densify them (``X.toarray()``) if they fit in memory.
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
            self,
            X,
            dtype=[np.float64, np.float32],
            ensure_min_samples=2,
            reset=not self._warm(),
        )
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
        (X_train, side_train), valid = self._split(X, side, seed, streamed)
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
        X; ``train`` is X's :class:`~sklearn_ae._training.RowDataset` on
        ``device``, ``generators`` the ``(init, train)`` pair of
        :func:`~sklearn_ae._random.fit_generators`. ``fitted`` holds the
        fitted attributes of pretraining and the network's description.
        """
        init_generator, generator = generators
        offset, scale = _standardisation(X)
        # Refused before anything is allocated; built outside the deferred
        # block, whose layers are materialised on the CPU.
        check_network_size(
            type(self).__name__, self._build_module, X.shape[1], offset, scale
        )
        with deferred_initialisation():
            module = self._allocate(self._build_module, X.shape[1], offset, scale)
        initialise(module, init_generator)
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

        ``extend``: see :meth:`_record_fit`.
        """
        # Terms that read the whole training set get it for this fit only.
        fitted = {**fitted, **net.criterion_.attach(train)}
        try:
            net = self._continue(net, train, valid, generator)
        finally:
            net.criterion_.release()
        net.module_.eval()
        fitted = {**fitted, **self._fitted_from_rows(net.module_, train)}
        self._record_fit(
            net, validated=valid is not None, n_codes=n_codes, extend=extend, **fitted
        )

    def _network(self):
        """What the parameters make of the network: its widths and layers."""
        hidden, activation, loss = self._architecture()
        return {
            "n_components": self.n_components,
            "hidden_layer_sizes": tuple(hidden),
            "activation": activation,
            "loss": loss,
            **self._module_options(),
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
        changed = [name for name in now if now[name] != fitted.get(name)]
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

    def _record_fit(self, net, *, validated, n_codes, extend=False, **fitted):
        """Write every fitted attribute of a finished fit, in one place.

        ``extend``: the curves recorded so far are those of the history's
        first epochs, so only the new epochs are read (partial_fit adds one
        epoch a call to a history that may hold a hundred thousand: reading
        all of it after each call would make a stream's cost quadratic).
        """
        history = net.history
        start = len(self.loss_curve_) if extend else 0
        before = {"train_loss": self.loss_curve_} if extend else {}
        for column in net.criterion_.history_columns() if extend else ():
            before[column] = self.loss_terms_[column.removesuffix("_loss")]

        def curve(column):
            new = np.asarray(history[start:, column], dtype=float)
            return np.concatenate([before[column], new]) if extend else new

        # The code width of the fitted network, which get_feature_names_out
        # and inverse_transform read (n_components may have changed since).
        self._n_codes = int(n_codes)
        self.net_ = net
        self.n_iter_ = len(history)
        # Epochs recorded before the "updates" column existed (models
        # pickled by older versions) count as none.
        self.n_updates_ = (self.n_updates_ if extend else 0) + int(
            sum(row.get("updates", 0) for row in itertools.islice(history, start, None))
        )
        self.loss_curve_ = curve("train_loss")
        self.loss_terms_ = {
            column.removesuffix("_loss"): curve(column)
            for column in net.criterion_.history_columns()
        }
        if validated:
            # Epochs of an earlier fit without early stopping (continued by
            # a warm start) have no validation loss: NaN keeps one entry
            # per epoch, as loss_curve_ has.
            self.validation_loss_curve_ = np.array(
                [row.get("valid_loss", np.nan) for row in history], dtype=float
            )
        elif hasattr(self, "validation_loss_curve_"):
            del self.validation_loss_curve_
        if net.criterion_.prior is not None:
            fitted["prior_"] = net.criterion_.prior
        fitted["noise_variance_"] = _noise_variance(net.module_, self.n_features_in_)
        for name, value in fitted.items():
            setattr(self, name, value)

    def _fitted_from_rows(self, module, train):
        """Fitted attributes of the trained ``module`` measured on ``train``.

        ``train`` is the :class:`~sklearn_ae._training.RowDataset` of this
        call's training rows. Nothing by default (the linear autoencoder
        measures the variance along its principal axes).
        """
        return {}

    def _check_fitted(self, X):
        """Warn when training ran but left a model that is wrong in a known way.

        ``X`` is the training data. A no-op here; variants whose training can
        fail silently (a VAE's posterior collapse) check for it.
        """

    def _split(self, X, side, seed, streamed=False):
        """``((X_train, side_train), (X_valid, side_valid) or None)``.

        With ``streamed``, ``X_train`` is :class:`HostRows` over ``X``, not
        a copy of its rows.
        """
        if not self.early_stopping:
            return (HostRows(X, "cpu") if streamed else X, side), None
        # Beyond MAX_VALIDATION_ROWS held-out rows, each iteration's check
        # would cost ever more while its estimate hardly improves. ceil, as
        # train_test_split rounds a fractional test_size.
        n_valid = min(
            math.ceil(self.validation_fraction * X.shape[0]), MAX_VALIDATION_ROWS
        )
        train_rows, valid_rows = train_test_split(
            np.arange(X.shape[0]), test_size=n_valid, random_state=seed
        )
        X_train = HostRows(X, "cpu", train_rows) if streamed else X[train_rows]
        train = {name: values[train_rows] for name, values in side.items()}
        valid = {name: values[valid_rows] for name, values in side.items()}
        return (X_train, train), (X[valid_rows], valid)

    # -------------------------------------------------------------- inference
    def _inference_module(self, dtype):
        """The trained module in the input's dtype, in eval mode.

        Training runs in float32; float64 input is computed by a float64 copy
        of the weights, so results do not depend on how rows are batched
        (scikit-learn's subset-invariance check) and keep float64 precision.
        """
        module = self.net_.module_
        device = self.net_.device
        if dtype == np.float64 and torch.device(device).type != "mps":
            module = _float64_copy(self.net_)
        return module.eval()

    def _map_batches(self, X, function, **side):
        """``function(module, batch, **side_batch)`` on row blocks, no_grad.

        ``side`` holds per-row arrays (labels) sliced with the rows.
        """
        module = self._inference_module(X.dtype)
        device = self.net_.device
        param = next(module.parameters())
        outputs = []
        with torch.no_grad(), bounded_threads():
            for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE):
                rows = slice(start, start + INFERENCE_BATCH_SIZE)
                batch = torch.tensor(
                    np.ascontiguousarray(X[rows]), dtype=param.dtype, device=device
                )
                side_batch = {
                    name: torch.as_tensor(values[rows], device=device)
                    for name, values in side.items()
                }
                output = function(module, batch, **side_batch).cpu().numpy()
                check_finite_outputs(X[rows], output, type(self).__name__)
                outputs.append(output)
        return np.concatenate(outputs).astype(X.dtype, copy=False)

    def _validate_input(self, X):
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])

    def _validate_scored(self, X):
        """Validated rows to score: a Bernoulli scores only values in [0, 1]."""
        X = self._validate_input(X)
        if self.net_.module_.likelihood.name == "bce" and X.size:
            if X.min() < 0 or X.max() > 1:
                raise ValueError(
                    "The model's likelihood is a Bernoulli (loss='bce'), "
                    "defined for values in [0, 1], but X ranges over "
                    f"[{X.min():.4g}, {X.max():.4g}]; scale X as the training "
                    "data were, and clip it to [0, 1] (MinMaxScaler(clip=True) "
                    "does both in a pipeline)."
                )
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
        X : array-like of shape (n_samples, n_features)

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
        X : array-like of shape (n_samples, n_features)

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
        X : array-like of shape (n_samples, n_features)
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
        return tags


def _float64_copy(net):
    """The float64 copy of the net's module, made once per state of the weights.

    Kept on the net (a refit makes a new net) beside the identity and
    version counter of every weight and buffer: training, a warm start or a
    ``load_state_dict`` changes them in place, which bumps the counters, and
    the next call makes a fresh copy. Copying on every call made a one-row
    ``transform`` of the default network on MNIST take 2.3 ms instead of
    0.5 ms (``python -m benchmarks.latency``).
    """
    module = net.module_
    key = tuple(
        (id(tensor), tensor._version)
        for tensor in itertools.chain(module.parameters(), module.buffers())
    )
    cached = getattr(net, "_float64_module", None)
    if cached is None or cached[0] != key:
        cached = (key, copy.deepcopy(module).to(torch.float64).eval())
        net._float64_module = cached
    return cached[1]


def encode_rows(module, batch, **side):
    """``transform``'s computation on a batch: the conditioned code."""
    return module.encode(batch, module.condition(batch, **side))


def decode_rows(module, codes, **side):
    """``inverse_transform``'s computation on a batch: the decoder's mean."""
    return module.reconstruct(codes, module.condition(like=codes, **side))


# A feature whose standard deviation is at most this fraction of its mean's
# magnitude is constant: its spread is rounding noise (identical float64 rows
# give ~1e-16 relative), and float32 training could not resolve it anyway
# (float32 resolves 6e-8 relative).
CONSTANT_FEATURE_RTOL = 1e-6


def _standardisation(X):
    """Per-feature mean and scale the network's input layer divides by.

    Each feature's scale is its standard deviation, floored at the mean
    standard deviation over features: features in different units are
    balanced, while near-constant features (an image's border pixels) are not
    blown up into noise. Measured on held-out data, plain standardisation
    cost 17% in MNIST reconstruction error and no scaling cost 2.6x on the
    unscaled swiss roll; the floor did well on both. A standard deviation at
    rounding level (at most ``CONSTANT_FEATURE_RTOL`` of the mean's
    magnitude) counts as 0, so identical rows scale alike in float32 and
    float64; with no varying feature the scale is 1.
    """
    offset = X.mean(axis=0, dtype=np.float64)
    scale = X.std(axis=0, dtype=np.float64)
    scale[scale <= CONSTANT_FEATURE_RTOL * np.abs(offset)] = 0.0
    floor = scale.mean()
    scale = np.maximum(scale, floor if floor > 0 else 1.0)
    return (
        torch.as_tensor(offset, dtype=torch.float32),
        torch.as_tensor(scale, dtype=torch.float32),
    )


def _noise_variance(module, n_features):
    """The Gaussian decoder's variance per feature in data units, or None.

    None for a Bernoulli decoder; ones for ``loss="mse"``.
    """
    likelihood = module.likelihood
    if not likelihood.data_units:
        return None
    variance = likelihood.variance()
    if variance is None:
        return np.ones(n_features)
    return variance.detach().cpu().numpy().astype(np.float64)
