"""The decoder's likelihoods: every reconstruction loss is a negative log-likelihood.

The decoder's output parametrises a distribution over the input (see the
seed lecture): a unit-variance Gaussian gives the squared error, a Bernoulli
gives the binary cross-entropy. A likelihood object knows its negative
log-likelihood, the mean of its distribution and whether the decoder's raw
output lives in data units; the module owns one, so the estimator's ``loss``
string is read once, when the module is built.
"""

import math

import torch.nn.functional as F
from torch import nn

_LOG_2PI = math.log(2.0 * math.pi)


class GaussianLikelihood(nn.Module):
    """:math:`\\mathcal{N}(x; \\mu, I)`: the squared error, ``loss="mse"``.

    The decoder's output is the mean in data units (the module maps it back
    from the standardised scale it learns in).
    """

    name = "mse"
    data_units = True

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


class BernoulliLikelihood(nn.Module):
    """:math:`\\mathrm{Bernoulli}(x; \\sigma(\\mathrm{logits}))`: the cross-entropy.

    ``loss="bce"``.

    The decoder's output is the logits; exact for targets in [0, 1].
    """

    name = "bce"
    data_units = False

    def nll(self, decoded, target, *, constants=False):
        # With logits, for numerical stability; no constant to add.
        nll = F.binary_cross_entropy_with_logits(decoded, target, reduction="none")
        return nll.sum(dim=1)

    def mean(self, decoded):
        return decoded.sigmoid()


LIKELIHOODS = {"mse": GaussianLikelihood, "bce": BernoulliLikelihood}


def make_likelihood(loss):
    """The likelihood object of a ``loss`` parameter value."""
    return LIKELIHOODS[loss]()
