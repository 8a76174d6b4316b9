"""Loss terms: every reconstruction loss is a negative log-likelihood.

The decoder's output parametrises a distribution over the input (see the
seed lecture): a unit-variance Gaussian gives the squared error, a Bernoulli
gives the binary cross-entropy. Per-sample terms are summed over features so
that they are log-likelihoods of whole samples; training minimises their mean
over the batch plus each variant's penalty.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

_LOG_2PI = math.log(2.0 * math.pi)


def reconstruction_nll(decoded, target, loss, *, constants=False):
    """Per-sample negative log-likelihood of ``target`` under the decoder.

    Parameters
    ----------
    decoded : Tensor of shape (n_samples, n_features)
        Decoder output: the Gaussian mean for ``"mse"``, the Bernoulli logits
        for ``"bce"``.
    target : Tensor of shape (n_samples, n_features)
    loss : {"mse", "bce"}
    constants : bool, default=False
        Add the Gaussian normalising constant ``n_features / 2 * log(2 pi)``;
        training leaves it out since it has no gradient.

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    if loss == "bce":
        # With logits, for numerical stability; exact for targets in [0, 1].
        nll = F.binary_cross_entropy_with_logits(decoded, target, reduction="none")
        return nll.sum(dim=1)
    nll = 0.5 * (decoded - target).pow(2).sum(dim=1)
    if constants:
        nll = nll + 0.5 * target.shape[1] * _LOG_2PI
    return nll


def decoder_mean(decoded, loss):
    """Map decoder output to the mean of its distribution (data space)."""
    return torch.sigmoid(decoded) if loss == "bce" else decoded


class ReconstructionLoss(nn.Module):
    """Mean over the batch of the reconstruction NLL, plus a penalty hook.

    A variant subclasses this and overrides :meth:`penalty` with its own
    regulariser, so the estimator and the training loop stay shared.

    Parameters
    ----------
    loss : {"mse", "bce"}
    """

    def __init__(self, loss="mse"):
        super().__init__()
        self.loss = loss

    def forward(self, output, target, inputs=None, module=None, labels=None):
        """Return the scalar training loss for one batch.

        ``output`` is the module's :class:`~sklearn_ae._modules.ModuleOutput`,
        ``target`` the clean batch, ``inputs`` what the encoder saw (a
        corrupted batch for a denoising autoencoder), ``module`` the torch
        module, for penalties that need the encoder itself, and ``labels``
        the batch's class labels when the model is given any.
        """
        nll = reconstruction_nll(output.decoded, target, self.loss).mean()
        return nll + self.penalty(output, inputs=inputs, module=module, labels=labels)

    def penalty(self, output, *, inputs, module, labels):
        """Regulariser added to the mean NLL; zero for a plain autoencoder."""
        return 0.0


def gaussian_kl(mean, log_var):
    """Per-sample ``KL(N(mean, exp(log_var)) || N(0, I))`` in nats, closed form.

    ``0.5 * sum_j (mean_j^2 + sigma_j^2 - log sigma_j^2 - 1)`` (Kingma &
    Welling 2013, appendix B): the VAE's regulariser.

    Parameters
    ----------
    mean, log_var : Tensor of shape (n_samples, n_components)

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    return 0.5 * (mean.pow(2) + log_var.exp() - log_var - 1.0).sum(dim=1)


def bernoulli_kl(target, rate, *, eps=1e-6):
    """``KL(Bernoulli(target) || Bernoulli(rate))`` elementwise, in nats.

    ``rho log(rho / r) + (1 - rho) log((1 - rho) / (1 - r))``: the sparse
    autoencoder's penalty for a mean activation ``r`` against a target
    ``rho`` in (0, 1). ``rate`` is clipped to ``[eps, 1 - eps]`` so that a
    saturated unit gives a large, finite penalty instead of infinity.

    Parameters
    ----------
    target : float
    rate : Tensor

    Returns
    -------
    Tensor of the shape of ``rate``
    """
    rate = rate.clamp(eps, 1.0 - eps)
    return target * torch.log(target / rate) + (1.0 - target) * torch.log(
        (1.0 - target) / (1.0 - rate)
    )
