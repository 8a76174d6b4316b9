"""The sparse autoencoder: few code units active at a time."""

from numbers import Real

import torch

from ._autoencoder import AutoEncoder
from ._compat import Interval, StrOptions
from ._docstrings import fill_doc
from ._losses import bernoulli_kl
from ._objective import Term
from ._sample_weight import weighted_mean


class Sparsity(Term):
    """A sparsity penalty on the (sigmoid) codes.

    ``"kl"``: :math:`\\sum_j \\mathrm{KL}(\\rho \\,\\|\\, \\hat\\rho_j)` with
    :math:`\\rho` = ``target`` and :math:`\\hat\\rho_j` the mean activation of
    code unit :math:`j` over the batch; ``"l1"``:
    :math:`\\frac{1}{n} \\sum_i \\sum_j |h_{ij}|`.

    Parameters
    ----------
    sparsity : {"kl", "l1"}
    target : float
    """

    name = "sparsity"

    def __init__(self, sparsity, target):
        self.sparsity = sparsity
        self.target = target

    def __call__(self, output, batch, module):
        code = output.code
        if self.sparsity == "l1":
            return weighted_mean(code.abs().sum(dim=1), batch)
        rate = weighted_mean(code, batch, dim=0)
        return bernoulli_kl(self.target, rate).sum()


@fill_doc
class SparseAutoEncoder(AutoEncoder):
    """Sparse autoencoder: each sample activates only a few code units.

    The code units are sigmoids, :math:`h_j(x) \\in (0, 1)`, and the loss
    adds a sparsity penalty to the reconstruction negative log-likelihood.
    With ``sparsity="kl"`` (Ng's formulation):

    .. math::

        L = \\frac{1}{n} \\sum_i -\\log p(x_i \\mid g(h(x_i)))
        + \\lambda \\sum_j \\mathrm{KL}(\\rho \\,\\|\\, \\hat\\rho_j),

        \\mathrm{KL}(\\rho \\,\\|\\, r) = \\rho \\log \\frac{\\rho}{r}
        + (1 - \\rho) \\log \\frac{1 - \\rho}{1 - r},

    where :math:`\\lambda` is ``sparsity_weight``, :math:`\\rho` is
    ``sparsity_target`` and :math:`\\hat\\rho_j` is the mean activation of
    code unit :math:`j` over the batch. With ``sparsity="l1"`` the penalty
    is :math:`\\lambda \\frac{1}{n} \\sum_i \\sum_j h_j(x_i)`. Because the penalty stops
    the network from copying its input, the code may be wider than the
    input (overcomplete): a dictionary of features, each used by few
    samples.

    Parameters
    ----------
    n_components : int, default=2
        Number of code units. Sparse codes are typically wide (tens to
        hundreds of units) and may exceed the number of features.

    sparsity_target : float, default=0.05
        Target mean activation ``rho`` of each code unit, in (0, 1); used by
        ``sparsity="kl"``.

    sparsity_weight : float, default=0.3
        Weight ``beta`` of the sparsity penalty (>= 0; 0 trains an
        autoencoder with sigmoid codes and no penalty). The default suits
        ``sparsity="kl"``; the L1 penalty sums every unit's activation and
        needs a smaller weight (0.01 works on digits scaled to [0, 1]).

    sparsity : {"kl", "l1"}, default="kl"
        The penalty: the KL divergence of each unit's mean activation from
        ``sparsity_target``, or the L1 norm of the activations.

    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers (an int: one layer); the
        decoder mirrors them.

    {network_parameters}

    activation : {"relu", "tanh", "logistic", "elu", "gelu", "identity"}, \
default="relu"
        Nonlinearity between hidden layers. The code layer is a sigmoid and
        the output layer is linear.

    {loss_parameter}

{training_parameters}

    Attributes
    ----------
{training_attributes}

    See Also
    --------
    AutoEncoder : Linear codes, no penalty.
    sklearn.decomposition.MiniBatchDictionaryLearning : Linear sparse coding.

    Notes
    -----
    ``rho_hat_j`` is estimated on each training batch, so batches should be
    large enough to hold several samples per active unit (``batch_size *
    sparsity_target`` of at least a few).

    References
    ----------
    Ng, A. (2011). Sparse autoencoder. CS294A Lecture notes, Stanford
    University.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import SparseAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> sae = SparseAutoEncoder(n_components=100, max_iter=5, random_state=0)
    >>> sae.fit_transform(X).shape
    (1797, 100)
    """

    _parameter_constraints: dict = {
        **AutoEncoder._parameter_constraints,
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
        "sparsity": [StrOptions({"kl", "l1"})],
    }

    _allows_overcomplete = True

    def __init__(
        self,
        n_components=2,
        *,
        sparsity_target=0.05,
        sparsity_weight=0.3,
        sparsity="kl",
        hidden_layer_sizes=(256, 128),
        encoder=None,
        decoder=None,
        activation="relu",
        loss="mse",
        batch_size=64,
        learning_rate_init=1e-3,
        learning_rate="auto",
        weight_decay=0.3,
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
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight
        self.sparsity = sparsity

    def _module_options(self):
        # KL sparsity needs activations in (0, 1): sigmoid code units.
        return {"code_activation": "logistic"}

    def _objective_terms(self):
        sparsity = Sparsity(self.sparsity, float(self.sparsity_target))
        return [*super()._objective_terms(), (sparsity, float(self.sparsity_weight))]
