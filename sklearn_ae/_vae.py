"""The variational autoencoder: a generative model with a Gaussian latent."""

import hashlib
import math
from functools import partial
from numbers import Real

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._autoencoder import AutoEncoder
from ._compat import Interval
from ._docstrings import fill_doc
from ._generative import GenerativeMixin
from ._inference import INFERENCE_BATCH_SIZE
from ._layer_sizes import is_int
from ._limits import MAX_ARRAY_ELEMENTS, check_size
from ._losses import gaussian_kl
from ._modules import VariationalModule
from ._objective import GaussianKL
from ._random import torch_seed
from ._warnings import warn

# Below this mean KL (nats per sample, summed over the code's dimensions) the
# codes carry almost no information about X: the posterior has collapsed.
COLLAPSED_KL = 0.05
# Rows of the training data that the collapse check encodes.
COLLAPSE_CHECK_ROWS = 2000

# Monte Carlo draws of z per sample in score_samples' ELBO estimate.
ELBO_SAMPLES = 16


def row_noise(batch, n_draws, n_components, seed):
    """Standard normal draws of shape (n_draws, n_rows, n_components).

    Each row's draws come from a generator seeded by ``seed`` and a hash of
    the row's values (rounded to float32): independent between rows, so
    Monte Carlo errors average out over a data set, yet a row's draws do
    not depend on the other rows, their order or the input's dtype. A
    signed zero hashes as zero (``-0.0 + 0.0`` is ``0.0``): the two are the
    same value, so they get the same draws.
    """
    with np.errstate(over="ignore"):  # a float64 row beyond float32 hashes as inf
        rows = np.ascontiguousarray(batch.detach().cpu().numpy(), dtype=np.float32)
    rows = rows + np.float32(0.0)
    draws = np.empty((n_draws, len(rows), n_components))
    for i, row in enumerate(rows):
        digest = hashlib.blake2b(row.tobytes(), digest_size=8).digest()
        rng = np.random.default_rng([seed, int.from_bytes(digest, "little")])
        draws[:, i] = rng.standard_normal((n_draws, n_components))
    return torch.as_tensor(draws, dtype=batch.dtype, device=batch.device)


def overflowed_to(values, limit):
    """``values`` with NaN replaced by ``limit`` (``-inf`` for a log-density).

    The input is finite (validated) and so are the fitted weights (checked
    after training), so a NaN in a bound can only come from an overflow:
    a posterior variance or a code beyond the dtype's range, where the
    decoder computes ``inf - inf``. The limit of a log-density there is
    ``-inf`` (and ``+inf`` for the KL). One overflowed importance weight
    then counts as weight 0 beside the others; a bound that is infinite
    as a whole is reported by inference as an overflowed row (a
    ``ValueError``), never returned.
    """
    return torch.where(torch.isnan(values), torch.full_like(values, limit), values)


def _posterior_draws(module, batch, condition, n_draws, seed):
    """Posterior moments, codes ``z_l = mean + sigma * eps_l`` and ``eps``."""
    mean, log_var = module.encode_distribution(batch, condition)
    noise = row_noise(batch, n_draws, mean.shape[1], seed)
    std = torch.exp(0.5 * log_var)
    return mean, log_var, [mean + std * eps for eps in noise], noise


def _log_likelihood(module, z, condition, batch):
    log_lik = -module.likelihood.nll(module.decode(z, condition), batch, constants=True)
    return overflowed_to(log_lik, -math.inf)


def elbo(module, batch, condition, *, n_draws, seed):
    """Per-sample ELBO, reconstruction term by Monte Carlo over ``n_draws``."""
    mean, log_var, codes, _ = _posterior_draws(module, batch, condition, n_draws, seed)
    log_lik = sum(_log_likelihood(module, z, condition, batch) for z in codes)
    kl = overflowed_to(gaussian_kl(mean, log_var), math.inf)
    return log_lik / n_draws - kl


def importance_weighted(module, batch, condition, *, n_draws, seed):
    """Per-sample importance-weighted bound ``log mean_k w_k`` (Burda et al.).

    ``w_k = p(x | z_k) p(z_k) / q(z_k | x)`` with ``z_k ~ q(z | x)``; the
    ``log(2 pi)`` terms of prior and posterior cancel.
    """
    _, log_var, codes, noise = _posterior_draws(module, batch, condition, n_draws, seed)
    half_log_det = 0.5 * log_var.sum(dim=1)
    log_weights = torch.stack(
        [
            _log_likelihood(module, z, condition, batch)
            - 0.5 * z.pow(2).sum(dim=1)
            + 0.5 * eps.pow(2).sum(dim=1)
            + half_log_det
            for z, eps in zip(codes, noise, strict=True)
        ]
    )
    # An overflowed weight (inf - inf) counts as weight 0, log-weight -inf.
    log_weights = overflowed_to(log_weights, -math.inf)
    return torch.logsumexp(log_weights, dim=0) - math.log(n_draws)


def _collapse_advice(loss, beta):
    """What to try after a collapse, for a model fitted with ``loss``."""
    if loss == "mse":
        return (
            'With loss="mse" the decoder is a unit-variance Gaussian: data of '
            "small variance gain less from reconstruction than the codes cost. "
            'Use loss="gaussian_shared" (the default), which learns the '
            'variance, loss="bce" for data in [0, 1], or standardise X.'
        )
    advice = (
        f"With loss={loss!r} the decoder explained X without the codes: "
        "the data may have no structure the codes can add"
    )
    if beta > 1:
        return f"{advice}, or beta={beta!r} weighs the KL too much; lower it."
    return f"{advice}; check X, or train longer (max_iter)."


@fill_doc
class VariationalAutoEncoder(GenerativeMixin, AutoEncoder):
    """Variational autoencoder: a generative model of the data.

    The encoder outputs a Gaussian posterior
    :math:`q(z \\mid x) = \\mathcal{N}(\\mu(x), \\operatorname{diag}
    \\sigma^2(x))` over ``n_components`` latent variables, the prior is
    :math:`p(z) = \\mathcal{N}(0, I)` and the decoder is a Gaussian or
    Bernoulli likelihood :math:`p(x \\mid z)`. Training maximises the
    evidence lower bound (ELBO) on :math:`\\log p(x)`; the loss is its
    negative,

    .. math::

        L(x) = -\\mathbb{E}_q[\\log p(x \\mid z)]
        + \\beta \\, \\mathrm{KL}(q(z \\mid x) \\,\\|\\, p(z)),

        \\mathrm{KL} = \\frac{1}{2} \\sum_j \\left(\\mu_j^2 + \\sigma_j^2
        - \\log \\sigma_j^2 - 1\\right)

    (closed form), the expectation estimated with one reparameterised
    sample :math:`z = \\mu + \\sigma \\odot \\varepsilon`,
    :math:`\\varepsilon \\sim \\mathcal{N}(0, I)`, per sample and step.
    Because the codes follow the prior, decoding
    :math:`z \\sim \\mathcal{N}(0, I)` generates new data (:meth:`sample`).

    Parameters
    ----------
    n_components : int, default=2
        Number of latent variables.

    beta : float, default=1.0
        Weight of the KL term (>= 0). 1 is the VAE; larger values give a
        beta-VAE, with codes closer to the prior and blurrier
        reconstructions. :meth:`score_samples` always reports the true ELBO
        (``beta=1``).

    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers (an int: one layer); the
        decoder mirrors them.

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

{training_attributes}

    See Also
    --------
    AutoEncoder : Deterministic codes with no prior.

    Notes
    -----
    :meth:`transform` returns the posterior mean ``mu(x)``, not a sample, so
    it is deterministic; :meth:`inverse_transform` and :meth:`sample` return
    the decoder's mean. In eval mode the network decodes ``mu(x)``, so the
    validation loss of ``early_stopping`` is deterministic.

    :meth:`score_samples` is the ELBO of each sample in nats, the
    reconstruction term estimated with 16 draws of ``z``;
    :meth:`log_likelihood` is the tighter importance-weighted estimate of
    ``log p(x)``. Both draw each row's noise from a generator seeded by
    ``random_state`` and the row's values: rows get independent draws, so
    averages over rows converge, while a row's result depends neither on
    the other rows nor on their order.

    The default likelihood learns the decoder's variance (Rybkin et al.,
    2021), so the balance between reconstruction and KL, and thus how many
    latent variables the model uses, follows from how well the data can be
    reconstructed rather than from their units. With ``loss="mse"`` the
    variance is fixed to 1 in data units: data with a small range (such as
    [0, 1]) then make the KL term dominate and the posterior collapses
    (``loss="mse"`` was the default in earlier development versions; its
    ``score`` values are not comparable with the learned likelihood's).

    ``weight_decay`` defaults to 0 here, unlike the deterministic
    autoencoders: the KL term already regularises, and decay pulls the
    encoder's log-variance output towards 0 (unit posterior variance), which
    biases the posterior (with 0.3, the aggregate posterior's variance on
    digits reached 1.18, against the prior's 1).

    References
    ----------
    Kingma, D. P., & Welling, M. (2014). Auto-encoding variational Bayes.
    International Conference on Learning Representations (ICLR).
    arXiv:1312.6114.

    Burda, Y., Grosse, R., & Salakhutdinov, R. (2016). Importance weighted
    autoencoders. ICLR. arXiv:1509.00519.

    Rybkin, O., Daniilidis, K., & Levine, S. (2021). Simple and effective
    VAE training with calibrated decoders. ICML. arXiv:2006.13202.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VariationalAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> vae = VariationalAutoEncoder(n_components=2, loss="bce", max_iter=5,
    ...                              random_state=0).fit(X)
    >>> vae.transform(X).shape
    (1797, 2)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    >>> vae.score_samples(X[:4]).shape
    (4,)
    """

    _parameter_constraints: dict = {
        **AutoEncoder._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        beta=1.0,
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
        self.beta = beta

    _module_class = VariationalModule
    _prior_rng = staticmethod(check_random_state)

    def _kl_weight(self):
        """The KL term's weight in training: ``beta``."""
        return float(self.beta)

    def _objective_terms(self):
        return [*super()._objective_terms(), (GaussianKL(), self._kl_weight())]

    def _marginalise(self, module, batch, bound, *, of_likelihood):
        """A per-sample bound on ``log p(x)`` from ``bound(module, batch, condition)``.

        A conditional model sums it over its conditions; ``of_likelihood``
        says whether ``bound`` estimates a log-likelihood (summed as
        likelihoods) or is an ELBO (averaged under the posterior's labels).
        """
        return bound(module, batch, None)

    def _after_training(self, X, train, *, partial, generator):
        # One pass over one chunk is not a finished training, and a warning
        # on every partial_fit call would bury the stream.
        if not partial:
            self._warn_if_collapsed(X)

    def _warn_if_collapsed(self, X):
        # A decoder whose likelihood is flat on X (a unit-variance Gaussian,
        # loss="mse", on data of small variance) gains less from
        # reconstruction than the KL costs, so the ELBO's optimum is a
        # posterior equal to the prior: every code is the same. Say so, with
        # advice that fits the likelihood the model used.
        rows = X[:COLLAPSE_CHECK_ROWS]

        def kl(module, batch):
            posterior = module.encode_distribution(batch, module.condition(batch))
            return gaussian_kl(*posterior)[:, None]

        mean_kl = float(self._map_batches(rows, kl).mean())
        if mean_kl < COLLAPSED_KL:
            warn(
                f"{type(self).__name__}'s posterior collapsed: its codes carry "
                f"{mean_kl:.3g} nats about X (mean KL to the prior), so "
                "transform gives almost the same code for every sample. "
                + _collapse_advice(self.net_.module_.likelihood.name, self._kl_weight())
            )

    def _noise_seed(self):
        """Seed of the Monte Carlo draws of ``score_samples`` and friends.

        Drawn from ``random_state``; torch's global random state is left
        alone (see :func:`row_noise`).
        """
        return torch_seed(self.random_state)

    def score_samples(self, X):
        """Evidence lower bound (ELBO) of each sample, in nats.

        :math:`\\mathbb{E}_q[\\log p(x \\mid z)] - \\mathrm{KL}(q(z \\mid x)
        \\,\\|\\, p(z))`, a lower bound on :math:`\\log p(x)`, with the
        likelihood's constants (as in :meth:`AutoEncoder.score_samples`) and
        the expectation estimated with 16 draws of :math:`z` seeded by
        ``random_state``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        elbo : ndarray of shape (n_samples,)

        Raises
        ------
        ValueError
            As :meth:`AutoEncoder.score_samples` raises it: for a row whose
            bound overflows, or values outside [0, 1] under ``loss="bce"``.
        """
        X = self._validate_scored(X)
        bound = partial(elbo, n_draws=ELBO_SAMPLES, seed=self._noise_seed())
        return self._map_batches(
            X, partial(self._marginalise, bound=bound, of_likelihood=False)
        )

    def log_likelihood(self, X, n_importance=100):
        """Importance-weighted estimate of log p(x) for each sample, in nats.

        .. math::

            \\log \\frac{1}{K} \\sum_{k=1}^K
            \\frac{p(x \\mid z_k) \\, p(z_k)}{q(z_k \\mid x)}

        with :math:`z_k \\sim q(z \\mid x)` and ``K = n_importance`` (Burda et
        al., 2016). Its expectation is a lower bound on :math:`\\log p(x)`
        that is at least the ELBO (``K=1``) and tightens as ``K`` grows. The
        draws are seeded by ``random_state``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        n_importance : int, default=100
            Number of importance samples ``K``; the cost is ``K`` decoder
            passes per sample.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)

        Raises
        ------
        ValueError
            As :meth:`AutoEncoder.score_samples` raises it: for a row whose
            bound overflows, or values outside [0, 1] under ``loss="bce"``.
        """
        if not is_int(n_importance) or n_importance < 1:
            raise ValueError(
                f"n_importance={n_importance!r} must be a positive integer, the "
                "number of importance samples (e.g. 100)."
            )
        X = self._validate_scored(X)
        # Each block of rows holds n_importance draws of its codes at once.
        check_size(
            int(n_importance) * min(X.shape[0], INFERENCE_BATCH_SIZE) * self._n_codes,
            MAX_ARRAY_ELEMENTS,
            f"log_likelihood's n_importance={n_importance} draws of "
            f"{min(X.shape[0], INFERENCE_BATCH_SIZE)} rows' codes",
            "use fewer importance samples",
        )
        bound = partial(
            importance_weighted, n_draws=int(n_importance), seed=self._noise_seed()
        )
        return self._map_batches(
            X, partial(self._marginalise, bound=bound, of_likelihood=True)
        )
