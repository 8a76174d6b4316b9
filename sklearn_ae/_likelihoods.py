"""The decoder's likelihoods: every reconstruction loss is a negative log-likelihood.

The decoder's output parametrises a distribution over the input (see the
seed lecture): a Gaussian gives the (weighted) squared error, a Bernoulli
gives the binary cross-entropy. A likelihood object knows its negative
log-likelihood, the mean of its distribution and whether the decoder's raw
output lives in data units; the module owns one, so the estimator's ``loss``
string is read once, when the module is built.

A likelihood is one :class:`Likelihood` subclass that describes itself: its
``name`` (the ``loss`` value), a one-line ``description``, the ``support``
its data must lie in and whether it ``learns_variance``. Defining the class
registers it in :data:`LIKELIHOODS`, from which the estimators' ``loss``
validation, the data checks of ``fit`` and ``score`` and the ``loss``
entry of every estimator's docstring (:mod:`sklearn_ae._docstrings`) are
generated; nothing else lists the names.

``"mse"`` fixes the Gaussian's variance at 1 in data units; ``"gaussian"``
(one variance per feature) and ``"gaussian_shared"`` (one for all features)
learn it with the network. A learned variance is a parameter of the
likelihood, itself a submodule of the network's module: the optimizer trains
it (without weight decay, see ``AutoEncoderNet.initialize_optimizer``) and
the state dict saves it.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._registry import Registered

_LOG_2PI = math.log(2.0 * math.pi)

# A learned variance never falls below this fraction of the feature's
# reference variance (the square of the module's input scale: the feature's
# training standard deviation, floored at the mean over features), so a
# constant feature (an image's border pixel) cannot drive it to zero and its
# log-density to infinity. In standard deviations: 3% of the scale, about
# 2.5 grey levels of 255 on MNIST.
VARIANCE_FLOOR = 1e-3

# Adam moves a parameter by about its learning rate per step, whatever the
# gradient's scale, and the log-variance must travel several units (from the
# data's variance to the noise's: -5.4 for noise of std 0.1 on features of
# variance 2) within a fit of a few thousand steps. So the parameter is the
# log-variance divided by this rate: it learns 10 times faster than the
# weights. At rate 1 it had covered only half the way after 3,200 steps.
LOG_VARIANCE_RATE = 10.0

# The variance starts at this fraction of the reference variance: a sharp
# decoder, whose variance then rises to the residuals'. Started at the data's
# variance, a VAE on the unscaled swiss roll stayed in the collapsed optimum
# (decoder variance = data variance, held-out reconstruction error 97.7
# against 8.06 for loss="mse"); started at 1e-2 it reached 7.01 (0.1: 9.98).
# On digits / 16 the 2-D codes' held-out 5-NN accuracy was 0.90 from 1 and
# 0.86 from 1e-2 (seed 0), far above the unit variance's collapse. A model
# may start elsewhere (the conditional VAE with labels starts at 1).
INITIAL_VARIANCE = 1e-2


# The registry: loss name -> Likelihood subclass, in definition order (the
# order of the docstrings' option lists).
LIKELIHOODS = {}


class Likelihood(Registered, nn.Module):
    """Base of the decoder's likelihoods; a subclass with a ``name`` registers.

    A subclass declares:

    - ``name``: the estimators' ``loss`` value;
    - ``description``: one line for the ``loss`` entry of the docstrings;
    - ``support``: ``(low, high)``, the closed interval every feature must
      lie in to have a likelihood (``fit`` and ``score`` check it), or None;
    - ``learns_variance``: whether a variance is learned with the network;
    - ``data_units``: whether the decoder's raw output is in data units;

    and implements ``nll``, ``mean`` and ``variance``. Every likelihood is
    built as ``cls(scale, initial_variance=...)`` (see
    :func:`make_likelihood`); those that learn nothing ignore the arguments.
    """

    registry = LIKELIHOODS
    description = None
    support = None
    learns_variance = False
    data_units = True

    def __init__(self, scale=None, *, initial_variance=None):
        super().__init__()

    def variance(self):
        """The variance per feature in data units; None where it is 1 or implied."""
        return None

    def mean(self, decoded):
        """The distribution's mean: the reconstruction in data space."""
        return decoded

    @classmethod
    def check_data(cls, X, *, scored=False):
        """Raise a ValueError if X leaves ``support``.

        X is training data, or (``scored``) rows a fitted model scores.
        """
        if cls.support is None or not X.shape[0] * X.shape[1]:
            return
        low, high = cls.support
        X_min, X_max = X.min(), X.max()
        if low <= X_min and X_max <= high:
            return
        span = f"[{low:g}, {high:g}]"
        found = f"X ranges over [{X_min:.4g}, {X_max:.4g}]"
        title = cls.__name__.removesuffix("Likelihood")
        if scored:
            raise ValueError(
                f"The model's likelihood is a {title} (loss={cls.name!r}), "
                f"defined for values in {span}, but {found}; scale X as the "
                f"training data were, and clip it to {span} "
                "(MinMaxScaler(clip=True) does both in a pipeline)."
            )
        raise ValueError(
            f"loss={cls.name!r} ({title} likelihood) needs every feature in "
            f"{span}, but {found}. Scale X into {span} (MinMaxScaler) or use "
            "loss='mse'."
        )


class GaussianLikelihood(Likelihood):
    """:math:`\\mathcal{N}(x; \\mu, I)`: the squared error, ``loss="mse"``.

    The decoder's output is the mean in data units (the module maps it back
    from the standardised scale it learns in).
    """

    name = "mse"
    description = "a Gaussian of unit variance in data units: the squared error"

    def nll(self, decoded, target, *, constants=False):
        """Per-sample :math:`-\\log p(\\mathrm{target} \\mid \\mathrm{decoded})`.

        Summed over the :math:`d` features. ``constants`` adds
        :math:`\\frac{d}{2} \\log(2 \\pi)`; training leaves it out since it has
        no gradient.
        """
        nll = 0.5 * (decoded - target).pow(2).sum(dim=1)
        if constants:
            nll = nll + 0.5 * target.shape[1] * _LOG_2PI
        return nll


class LearnedGaussianLikelihood(GaussianLikelihood):
    """:math:`\\mathcal{N}(x; \\mu, \\operatorname{diag} \\sigma^2)` with learned
    :math:`\\sigma^2`: ``loss="gaussian"`` (per feature); see
    :class:`SharedGaussianLikelihood` for one variance.

    .. math::

        -\\log p(x \\mid \\mu) = \\frac{1}{2} \\sum_j \\left(
        \\frac{(x_j - \\mu_j)^2}{\\sigma_j^2} + \\log \\sigma_j^2
        + \\log 2 \\pi \\right),

        \\sigma_j^2 = s_j^2 \\left(\\epsilon + e^{10 \\rho_j}\\right)

    with :math:`s_j` the module's input scale of feature :math:`j` (the
    mean of :math:`s_j^2` over features when shared), :math:`\\rho` the
    learned parameter, initialised so that the variance starts at
    ``INITIAL_VARIANCE`` times the reference,
    and :math:`\\epsilon` = ``VARIANCE_FLOOR``. At the optimum
    :math:`\\sigma_j^2` is the mean squared residual of feature :math:`j`
    (over all features when shared), floored.

    Parameters
    ----------
    scale : Tensor of shape (n_features,)
        The module's input scale, the unit of the variance.
    initial_variance : float or None
        The variance's start, as a fraction of the reference variance
        (None: ``INITIAL_VARIANCE``).
    """

    name = "gaussian"
    description = "a Gaussian with a learned variance per feature"
    learns_variance = True
    # One variance for every feature.
    shared = False

    def __init__(self, scale, *, initial_variance=None):
        super().__init__()
        if initial_variance is None:
            initial_variance = INITIAL_VARIANCE
        scale = torch.as_tensor(scale, dtype=torch.float32)
        reference = scale.pow(2)
        if self.shared:
            reference = reference.mean().expand(len(scale)).clone()
        self.register_buffer("reference_variance", reference)
        start = math.log(initial_variance - VARIANCE_FLOOR) / LOG_VARIANCE_RATE
        self.log_variance = nn.Parameter(
            torch.full((1 if self.shared else len(scale),), start)
        )

    def variance(self):
        """:math:`\\sigma^2`, shape (n_features,), in data units."""
        log_variance = LOG_VARIANCE_RATE * self.log_variance
        return self.reference_variance * (VARIANCE_FLOOR + log_variance.exp())

    def nll(self, decoded, target, *, constants=False):
        """Per-sample negative log-likelihood, summed over the features.

        The :math:`\\log \\sigma^2` term stays in training (the variance
        learns from it); ``constants`` adds :math:`\\frac{d}{2} \\log(2 \\pi)`.
        """
        variance = self.variance().to(decoded.dtype)
        nll = 0.5 * ((decoded - target).pow(2) / variance + variance.log()).sum(dim=1)
        if constants:
            nll = nll + 0.5 * target.shape[1] * _LOG_2PI
        return nll


class SharedGaussianLikelihood(LearnedGaussianLikelihood):
    """The learned Gaussian with one variance for all features: ``"gaussian_shared"``.

    The variance's unit is the mean of the squared input scales.
    """

    name = "gaussian_shared"
    description = "a Gaussian with one learned variance for all features"
    shared = True


class BernoulliLikelihood(Likelihood):
    """:math:`\\mathrm{Bernoulli}(x; \\sigma(\\mathrm{logits}))`: the cross-entropy.

    ``loss="bce"``.

    The decoder's output is the logits; exact for targets in [0, 1]. Its
    variance follows from its mean, so ``variance`` is None.
    """

    name = "bce"
    description = "a Bernoulli for features in [0, 1]: the binary cross-entropy"
    support = (0.0, 1.0)
    data_units = False

    def nll(self, decoded, target, *, constants=False):
        # With logits, for numerical stability; no constant to add.
        nll = F.binary_cross_entropy_with_logits(decoded, target, reduction="none")
        return nll.sum(dim=1)

    def mean(self, decoded):
        return decoded.sigmoid()


def learns_variance(loss):
    """Whether the likelihood of a ``loss`` parameter value learns its variance."""
    return LIKELIHOODS[loss].learns_variance


def make_likelihood(loss, scale=None, initial_variance=None):
    """The likelihood object of a ``loss`` parameter value.

    ``scale`` (the module's input scale, shape (n_features,)) is the unit of
    a learned variance and ``initial_variance`` its start relative to
    ``scale ** 2`` (None: ``INITIAL_VARIANCE``); the other likelihoods ignore
    them.
    """
    return LIKELIHOODS[loss](scale, initial_variance=initial_variance)
