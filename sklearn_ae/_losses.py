"""Closed-form divergences used by the regularising terms.

The reconstruction terms are the likelihoods' (``_likelihoods``); the
objective's terms (``_objective``) and the variants combine both.
"""

import torch


def gaussian_kl(mean, log_var):
    """Per-sample KL divergence of a diagonal Gaussian from N(0, I), in nats.

    .. math::

        \\mathrm{KL}(\\mathcal{N}(\\mu, \\operatorname{diag}\\sigma^2)
        \\,\\|\\, \\mathcal{N}(0, I))
        = \\frac{1}{2} \\sum_j \\left(\\mu_j^2 + \\sigma_j^2
        - \\log \\sigma_j^2 - 1\\right)

    with :math:`\\mu` = ``mean`` and :math:`\\log \\sigma^2` = ``log_var``,
    in closed form (Kingma & Welling 2013, appendix B): the VAE's
    regulariser.

    Parameters
    ----------
    mean, log_var : Tensor of shape (n_samples, n_components)

    Returns
    -------
    Tensor of shape (n_samples,)
    """
    return 0.5 * (mean.pow(2) + log_var.exp() - log_var - 1.0).sum(dim=1)


def bernoulli_kl(target, rate, *, eps=1e-6):
    """KL divergence of Bernoulli(rate) from Bernoulli(target), elementwise, in nats.

    .. math::

        \\mathrm{KL}(\\rho \\,\\|\\, r) = \\rho \\log \\frac{\\rho}{r}
        + (1 - \\rho) \\log \\frac{1 - \\rho}{1 - r}:

    the sparse autoencoder's penalty for a mean activation :math:`r` =
    ``rate`` against a target :math:`\\rho` = ``target`` in (0, 1). ``rate``
    is clipped to ``[eps, 1 - eps]`` so that a saturated unit gives a large,
    finite penalty instead of infinity.

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
