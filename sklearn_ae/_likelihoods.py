"""The decoder's likelihoods: every reconstruction loss is a negative log-likelihood.

The decoder's output parametrises a distribution over the input (see the
seed lecture): a Gaussian gives the (weighted) squared error, a Bernoulli
gives the binary cross-entropy. A likelihood object knows its negative
log-likelihood, the mean of its distribution and whether the decoder's raw
output lives in data units; the module owns one, so the estimator's ``loss``
string is read once, when the module is built.

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


class GaussianLikelihood(nn.Module):
    """:math:`\\mathcal{N}(x; \\mu, I)`: the squared error, ``loss="mse"``.

    The decoder's output is the mean in data units (the module maps it back
    from the standardised scale it learns in).
    """

    name = "mse"
    data_units = True

    def variance(self):
        """The Gaussian's variance per feature in data units; 1 here."""
        return None

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

    def mean(self, decoded):
        """The distribution's mean: the reconstruction in data space."""
        return decoded


class LearnedGaussianLikelihood(GaussianLikelihood):
    """:math:`\\mathcal{N}(x; \\mu, \\operatorname{diag} \\sigma^2)` with learned
    :math:`\\sigma^2`: ``loss="gaussian"`` (per feature) or
    ``loss="gaussian_shared"`` (one variance).

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
    shared : bool
        One variance for every feature.
    initial_variance : float
        The variance's start, as a fraction of the reference variance.
    """

    data_units = True

    def __init__(self, scale, *, shared=False, initial_variance=INITIAL_VARIANCE):
        super().__init__()
        scale = torch.as_tensor(scale, dtype=torch.float32)
        reference = scale.pow(2)
        if shared:
            reference = reference.mean().expand(len(scale)).clone()
        self.name = "gaussian_shared" if shared else "gaussian"
        self.register_buffer("reference_variance", reference)
        start = math.log(initial_variance - VARIANCE_FLOOR) / LOG_VARIANCE_RATE
        self.log_variance = nn.Parameter(
            torch.full((1 if shared else len(scale),), start)
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


class BernoulliLikelihood(nn.Module):
    """:math:`\\mathrm{Bernoulli}(x; \\sigma(\\mathrm{logits}))`: the cross-entropy.

    ``loss="bce"``.

    The decoder's output is the logits; exact for targets in [0, 1].
    """

    name = "bce"
    data_units = False

    def variance(self):
        """None: a Bernoulli's variance follows from its mean."""
        return None

    def nll(self, decoded, target, *, constants=False):
        # With logits, for numerical stability; no constant to add.
        nll = F.binary_cross_entropy_with_logits(decoded, target, reduction="none")
        return nll.sum(dim=1)

    def mean(self, decoded):
        return decoded.sigmoid()


LIKELIHOODS = {
    "mse": GaussianLikelihood,
    "gaussian": LearnedGaussianLikelihood,
    "gaussian_shared": LearnedGaussianLikelihood,
    "bce": BernoulliLikelihood,
}


def learns_variance(loss):
    """Whether the likelihood of a ``loss`` parameter value learns its variance."""
    return LIKELIHOODS[loss] is LearnedGaussianLikelihood


def make_likelihood(loss, scale=None, initial_variance=None):
    """The likelihood object of a ``loss`` parameter value.

    ``scale`` (the module's input scale, shape (n_features,)) is the unit of
    a learned variance and ``initial_variance`` its start relative to
    ``scale ** 2`` (None: ``INITIAL_VARIANCE``); the other likelihoods ignore
    them.
    """
    if learns_variance(loss):
        if initial_variance is None:
            initial_variance = INITIAL_VARIANCE
        return LearnedGaussianLikelihood(
            scale,
            shared=loss == "gaussian_shared",
            initial_variance=initial_variance,
        )
    return LIKELIHOODS[loss]()
