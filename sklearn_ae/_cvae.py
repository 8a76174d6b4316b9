"""The conditional VAE with a classifier head: Kingma et al.'s M2 model."""

import math
from numbers import Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._compat import Interval, StrOptions, _fit_context
from ._docstrings import fill_doc, fill_sample_weight
from ._generative import check_n_samples
from ._labels import SemiSupervisedMixin, label_indices
from ._likelihoods import learns_variance
from ._modules import ConditionalVariationalModule
from ._objective import Term
from ._partial_fit import _partial_fit_available
from ._random import numpy_generator
from ._restore import restores_on_failure
from ._sample_weight import SAMPLE_WEIGHT
from ._samplers import LabelledShare
from ._vae import VariationalAutoEncoder

# Share of each training batch filled with labelled rows when labels are
# rarer than that (Kingma et al. likewise cycle the labelled set beside the
# unlabelled one). With 100 labels in MNIST-5k's 4,000 training rows, plain
# shuffling puts about three labelled rows in a batch of 128 and the
# classifier q(y | x) learns little: 66% held-out accuracy after 20 epochs,
# against 76% for a logistic regression on the 100 labels. Half-labelled
# batches: 79% (median of 3 seeds, alpha=50) and 83% with alpha="auto",
# against 75% for the logistic regression.
LABELLED_SHARE = 0.5

# beta="auto" with labels: the KL weight on the codes z. With 50 labels on
# digits (70/30 splits, seeds 0-6), the classifier's held-out accuracy
# beat logistic regression on the 50 labels by +0.076, +0.050, -0.007,
# +0.052, +0.071, +0.022, +0.046 with beta=1 and by +0.076, +0.065,
# +0.054, +0.056, +0.031, +0.091, +0.072 with 3: a 2-D code that is cheap
# to use takes part of a class (half of seed 2's held-out 4s were
# classified 7), one that costs more leaves the class to the label.
# Measured with the default likelihood, a learned variance: as it shrinks,
# what a code explains is worth ever more nats against the KL's fixed cost.
# A fixed likelihood ("bce", "mse") keeps beta=1 (with "bce" and 30 epochs,
# 3 gave +0.019 where 1 gave over +0.02, tests/test_cvae.py).
LABELLED_BETA = 3.0


class Classification(Term):
    """:math:`-\\log q(y \\mid x)` summed over the labelled rows, per batch row."""

    name = "classification"

    def __call__(self, output, batch, module):
        labels = batch.side.get("labels")
        if labels is None:
            return output.class_logits.new_zeros(())
        weights = batch.side.get(SAMPLE_WEIGHT)
        if weights is None:
            ce = F.cross_entropy(
                output.class_logits, labels, ignore_index=-1, reduction="sum"
            )
            return ce / len(labels)
        ce = F.cross_entropy(
            output.class_logits, labels, ignore_index=-1, reduction="none"
        )
        return (ce * weights).sum() / len(labels)


class NegativeEntropy(Term):
    """:math:`-H(q(y \\mid x))` summed over the unlabelled rows, per batch row."""

    name = "negative_entropy"

    def __call__(self, output, batch, module):
        logits = output.class_logits
        weights = batch.side.get(SAMPLE_WEIGHT)
        if "labels" in batch.side:
            unlabelled = batch.side["labels"] < 0
            logits = logits[unlabelled]
            weights = None if weights is None else weights[unlabelled]
        log_q = F.log_softmax(logits, dim=1)
        if weights is None:
            return (log_q.exp() * log_q).sum() / len(batch.target)
        return (log_q.exp() * log_q * weights[:, None]).sum() / len(batch.target)


@fill_doc
class ConditionalVariationalAutoEncoder(SemiSupervisedMixin, VariationalAutoEncoder):
    """Conditional VAE with a classifier: semi-supervised M2 model.

    The label :math:`y` (one-hot) is fed to the encoder
    :math:`q(z \\mid x, y)` and to the decoder :math:`p(x \\mid z, y)`, so
    the codes :math:`z` keep what the label does not say (the style of a
    digit) and ``sample(y=k)`` generates class ``k``. A classifier
    :math:`q(y \\mid x)` infers missing labels (Kingma et al.'s M2).
    Labelled samples minimise

    .. math::

        -\\mathrm{ELBO}(x, y) + \\alpha \\, (-\\log q(y \\mid x)),

        -\\mathrm{ELBO}(x, y) = -\\mathbb{E}_q[\\log p(x \\mid z, y)]
        + \\beta \\, \\mathrm{KL}(q(z \\mid x, y) \\,\\|\\, p(z));

    unlabelled ones (``y == -1``) sum the label out,

    .. math::

        \\sum_y q(y \\mid x) \\, (-\\mathrm{ELBO}(x, y)) - H(q(y \\mid x)).

    Without any labels the model has a single class and is a VAE.

    Parameters
    ----------
    n_components : int, default=2
        Number of latent variables ``z``.

    beta : float or "auto", default="auto"
        Weight of the KL term of the codes ``z``. ``"auto"`` is 3 when
        ``fit`` is given labels and the likelihood learns its variance, and
        1 (the VAE) otherwise: codes that cost more leave the class to the
        label ``y`` (see Notes).
        :meth:`score_samples` always reports the true bound (``beta=1``).

    alpha : float or "auto", default="auto"
        Weight of the classification loss :math:`-\\log q(y \\mid x)` of each
        labelled sample, relative to its :math:`-\\mathrm{ELBO}(x, y)`. ``"auto"`` is
        ``n_features_in_``: the ELBO is a sum over features, and so are the
        differences between the ELBOs of two labels that train the
        classifier on unlabelled samples, so the classification term keeps
        its share whatever the input's size. (Kingma et al. weight it by
        ``0.1 * n_samples`` over the mean of the labelled samples.)

    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Hidden widths of the encoder and the classifier (an int: one
        layer); the decoder mirrors them.

    {network_parameters}

    activation : {"relu", "tanh", "logistic", "elu", "gelu", "identity"}, \
default="relu"
        Nonlinearity between layers.

    {loss_parameter}

{training_parameters}

    Attributes
    ----------
    prior_ : object
        The prior ``p(z)`` the codes were trained towards (a
        :mod:`sklearn_ae.priors` object); :meth:`sample_prior` draws from it.

    classes_ : ndarray of shape (n_classes,)
        Class labels seen in ``fit`` (``[0]`` when fitted without labels).

{training_attributes}

    See Also
    --------
    VariationalAutoEncoder : The unconditional model.
    AdversarialAutoEncoder : Labels placed in prior components instead.

    Notes
    -----
    When labelled samples are fewer than half of the training set, each
    training batch is half labelled: an epoch is one pass over the
    unlabelled samples, and the labelled ones fill the other half of every
    batch, cycled in a new random order on each pass. With plain shuffling
    a few labels would be a few rows per batch, and the classifier would
    hardly train: on MNIST-5k with 100 labels, held-out accuracy was 66%
    against 76% for a logistic regression on the 100 labels; with
    half-labelled batches and the default ``alpha`` it is 83% (median of
    three seeds, 20 epochs; the regression's 75%), and it held at 84-85%
    from 20 to 100 epochs (seed 0), with ``loss="mse"`` too (82% at 20).

    With labels and a learned variance, ``beta="auto"`` weighs the codes'
    KL 3 times. As the variance shrinks, what a code explains is worth ever
    more nats against the KL's fixed cost, and at 1 the 2-D codes took part
    of a class in some fits: with 50 labels on digits (70/30 splits, seeds 0-6)
    the classifier beat logistic regression on the 50 labels by 0.03 or
    more in 5 of 7 (in one, half of the held-out 4s were called 7); at 3 in
    all 7 (gains +0.031 to +0.091, median +0.065, against -0.007 to
    +0.076, median +0.052).

    :meth:`transform` is the posterior mean of :math:`q(z \\mid x, y)` with
    the given labels, or with the classifier's labels when none are given.
    :meth:`score_samples` is the M2 bound on :math:`\\log p(x)` (uniform
    :math:`p(y)` over :math:`K` classes):
    :math:`\\sum_y q(y \\mid x) \\, (\\mathrm{ELBO}(x, y) - \\log K)
    + H(q(y \\mid x))`.
    :meth:`log_likelihood` sums the label out exactly instead:
    :math:`\\log \\frac{1}{K} \\sum_y \\exp L_y`, where :math:`L_y` is the
    importance-weighted estimate of :math:`\\log p(x \\mid y)` with
    :math:`q(z \\mid x, y)`; it is the tighter of the two.

    ``weight_decay`` defaults to 0, as for :class:`VariationalAutoEncoder`:
    decay would bias the posterior's variance towards 1.

    The classifier :math:`q(y \\mid x)` is reached as scikit-learn's are:
    :meth:`predict` and :meth:`predict_proba`, so a classifier scorer
    evaluates it, as in ``cross_val_score(cvae, X, y, scoring="accuracy")``.
    The estimator is a transformer, not a scikit-learn classifier
    (``sklearn.base.is_classifier`` is False): ``y == -1`` marks an
    unlabelled row, as in scikit-learn's semi-supervised estimators, so -1
    cannot be a class, and :meth:`score` is the log-likelihood that
    ``GridSearchCV`` maximises without labels, not an accuracy. Pass
    ``scoring="accuracy"`` (and ``cv=StratifiedKFold(...)`` for stratified
    folds) to tune or score the classifier.

    References
    ----------
    Kingma, D. P., Rezende, D. J., Mohamed, S., & Welling, M. (2014).
    Semi-supervised learning with deep generative models. NIPS 27.
    arXiv:1406.5298.

    Sohn, K., Lee, H., & Yan, X. (2015). Learning structured output
    representation using deep conditional generative models. NIPS 28.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import ConditionalVariationalAutoEncoder
    >>> X, y = load_digits(return_X_y=True)
    >>> cvae = ConditionalVariationalAutoEncoder(
    ...     loss="bce", max_iter=5, random_state=0
    ... ).fit(X / 16, y)
    >>> cvae.transform(X[:3] / 16).shape
    (3, 2)
    >>> cvae.sample(4, y=7, random_state=0).shape
    (4, 64)
    >>> cvae.predict(X[:3] / 16).shape
    (3,)
    >>> cvae.predict_proba(X[:3] / 16).shape
    (3, 10)
    """

    _parameter_constraints: dict = {
        **VariationalAutoEncoder._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "alpha": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        n_components=2,
        *,
        beta="auto",
        alpha="auto",
        hidden_layer_sizes=(256, 128),
        encoder=None,
        decoder=None,
        activation="relu",
        loss="gaussian_shared",
        batch_size=64,
        learning_rate_init=1e-3,
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
            beta=beta,
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
        self.alpha = alpha

    _module_class = ConditionalVariationalModule
    _batch_sampler = LabelledShare(LABELLED_SHARE)
    _prior_rng = staticmethod(numpy_generator)

    def _module_options(self):
        # With labels, a learned variance starts at the data's: while the
        # codes cost more than they explain, the labels carry the class, and
        # the unlabelled rows teach the classifier. Started at 1e-2 (the
        # VAE's start), the codes took the class from the outset: 50 labels
        # on digits gave 0.848 held-out accuracy against logistic
        # regression's 0.844 (seed 0); from 1, 0.919. Seed 2 gains nothing
        # from either start (0.837 against 0.844 on 2026-12-01; issue 13).
        n = len(self.classes_)
        return {"n_classes": n, "initial_variance": 1.0 if n > 1 else None}

    def _kl_weight(self):
        if self.beta != "auto":
            return float(self.beta)
        labelled = len(self.classes_) > 1
        return LABELLED_BETA if labelled and learns_variance(self.loss) else 1.0

    def _objective_terms(self):
        alpha = self.n_features_in_ if isinstance(self.alpha, str) else self.alpha
        return [
            *super()._objective_terms(),
            (Classification(), float(alpha)),
            (NegativeEntropy(), 1.0),
        ]

    @_fit_context(prefer_skip_nested_validation=True)
    @restores_on_failure
    @fill_sample_weight
    def fit(self, X, y=None, sample_weight=None):
        """Train on X with labels y (-1 marks an unlabelled sample).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Class labels, -1 for unlabelled samples; None trains a
            single-class model (a VAE).
        {sample_weight}

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight=sample_weight)

    @available_if(_partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    @restores_on_failure
    @fill_sample_weight
    def partial_fit(self, X, y=None, classes=None, sample_weight=None):
        """Train on one chunk of rows and labels: one pass over its rows.

        As :meth:`VariationalAutoEncoder.partial_fit` (one pass of updates
        that keeps the optimizers' state; the input scaling fixed on the
        first call; ``max_iter``, ``early_stopping``, ``n_iter_no_change``
        and ``learning_rate`` ignored), with labels. The network's
        label inputs are one per class, so **the classes are fixed on the
        first call**, as scikit-learn's classifiers fix them in
        ``partial_fit``: pass every class label as ``classes`` on the first
        call whenever its chunk might lack a class. Without ``classes`` they
        are the labels in the first chunk's ``y``, and a model started
        without any labels is a single-class VAE for good. A chunk whose
        labelled rows are fewer than half of it is batched as ``fit``
        batches the whole data (half-labelled batches, see Notes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            One chunk of training data: at least 2 rows on the first call,
            which fixes the input scaling.
        y : array-like of shape (n_samples,), default=None
            Class labels of the chunk's rows, -1 for unlabelled rows; None
            when none is labelled.
        classes : array-like of shape (n_classes,), default=None
            Every class label of the whole stream. Needed on the first call
            when its chunk does not hold every class; later calls may omit
            it, or must repeat it.
        {sample_weight}

        Returns
        -------
        self : object
            The estimator, trained one more pass.

        Examples
        --------
        Digits in three chunks, with the labels of 300 rows, all in the first:

        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_ae import ConditionalVariationalAutoEncoder
        >>> X, y = load_digits(return_X_y=True)
        >>> y = np.where(np.arange(len(y)) < 300, y, -1)  # 300 labels
        >>> cvae = ConditionalVariationalAutoEncoder(loss="bce", random_state=0)
        >>> for rows in np.array_split(np.arange(len(X)), 3):
        ...     cvae = cvae.partial_fit(X[rows] / 16, y[rows], classes=range(10))
        >>> cvae.classes_.tolist()
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        >>> cvae.n_iter_
        3
        """
        return self._fit(
            X, y, partial=True, classes=classes, sample_weight=sample_weight
        )

    # Without labels the model is a single-class VAE.
    _classes_without_labels = (0,)

    def _side(self, y, n):
        """Side data of n rows with labels y (one label or one per row)."""
        return {} if y is None else {"labels": label_indices(self.classes_, y, n)}

    def _marginalise(self, module, batch, bound, *, of_likelihood):
        # log p(x) = log sum_y p(y) p(x | y) with uniform p(y): likelihoods
        # add up over labels; an ELBO averages under q(y | x) instead.
        k = module.n_conditions
        labels = torch.zeros(len(batch), dtype=torch.long, device=batch.device)
        conditions = [module.condition(like=batch, labels=labels + y) for y in range(k)]
        per_label = torch.stack([bound(module, batch, c) for c in conditions], dim=1)
        per_label = per_label - math.log(k)
        if of_likelihood:
            return torch.logsumexp(per_label, dim=1)
        log_q = F.log_softmax(module.classify(batch), dim=1)
        # A label whose probability underflows to 0 adds nothing (rather
        # than 0 * -inf = NaN for a far-away row's bound). A NaN probability
        # (an overflowed classifier) stays NaN, which inference reports.
        q = log_q.exp()
        return torch.where(q == 0, 0.0, q * (per_label - log_q)).sum(dim=1)

    # ------------------------------------------------------------ inference
    def predict_proba(self, X):
        """Class probabilities ``q(y | x)`` of the classifier head.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._validate_input(X)
        return self._map_batches(
            X, lambda module, batch: torch.softmax(module.classify(batch), 1)
        )

    def predict(self, X):
        """Most probable class under ``q(y | x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def transform(self, X, y=None):
        """Posterior mean of ``q(z | x, y)``; y inferred when not given.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : label or array-like of shape (n_samples,), default=None
            Labels of the rows; None uses :meth:`predict`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        X = self._validate_input(X)
        return self._encode(X, **self._side(y, X.shape[0]))

    def inverse_transform(self, X, y=None):
        """Decode codes with labels: the decoder's mean of ``p(x | z, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes.
        y : label or array-like of shape (n_samples,), default=None
            Labels to decode with. None feeds the uniform vector ``1 / K``
            in place of the one-hot (no class preferred).

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
        """
        Z = self._validate_codes(X)
        return self._decode(Z, **self._side(y, len(Z)))

    def sample(self, n_samples=1, *, y=None, random_state=None):
        """Generate data: decode :math:`z \\sim \\mathcal{N}(0, I)` with labels y.

        Parameters
        ----------
        n_samples : int, default=1
        y : label or array-like of shape (n_samples,), default=None
            Class of each sample; None draws classes uniformly.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; torch's random state is never used.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples, self._sample_width())
        rng = numpy_generator(random_state)
        if y is None:
            y = self.classes_[rng.integers(len(self.classes_), size=n_samples)]
        side = self._side(y, n_samples)
        codes = self.sample_prior(n_samples, random_state=rng)
        return self._decode(codes, **side)
