"""The contractive autoencoder: penalise the encoder's Jacobian."""

import math
from numbers import Integral, Real

import torch
from torch import nn

from ._autoencoder import AutoEncoder
from ._compat import Interval, StrOptions
from ._docstrings import fill_doc
from ._objective import Term

CODE_ACTIVATIONS = ("identity", "logistic", "tanh")


def _activation_derivative(layer, pre, post):
    """Derivative of an elementwise activation, from its input and output.

    Returns None when ``layer`` is not an activation this module knows.
    """
    if isinstance(layer, nn.Identity):
        return torch.ones_like(pre)
    if isinstance(layer, nn.Sigmoid):
        return post * (1.0 - post)
    if isinstance(layer, nn.Tanh):
        return 1.0 - post.pow(2)
    if isinstance(layer, nn.ReLU):
        return (pre > 0).to(pre.dtype)
    if isinstance(layer, nn.ELU) and layer.alpha == 1.0:
        return torch.where(pre > 0, torch.ones_like(pre), post + 1.0)
    if isinstance(layer, nn.GELU) and layer.approximate == "none":
        cdf = 0.5 * (1.0 + torch.erf(pre / math.sqrt(2.0)))
        return cdf + pre * torch.exp(-0.5 * pre.pow(2)) / math.sqrt(2.0 * math.pi)
    return None


def _analytic_sq_norm(module, x):
    """``||J(x)||_F^2`` per sample by the chain rule, or None if it cannot.

    For an encoder ``h = f_L(W_L ... f_1(W_1 (x - m) / s))`` the Jacobian is
    ``J = D_L W_L ... D_1 W_1 S^-1`` with ``D_l = diag(f_l'(a_l))`` and
    ``S = diag(s)``. With ``M = D_L W_L ... D_1`` (one ``n_components x
    width_1`` matrix per sample) and ``G = W_1 S^-2 W_1^T``,
    ``||J||_F^2 = sum_ij (M G)_ij M_ij``: the ``n_components x n_features``
    Jacobian is never formed, so the cost does not grow with the number of
    features beyond the one ``G`` per batch. For one layer (Rifai et al.'s
    case) it reduces to ``sum_j f'(a_j)^2 ||W_j / s||^2``.
    """
    linears, derivatives = [], []
    hidden = (x - module.offset) / module.scale
    layers = list(module.encoder)
    i = 0
    while i < len(layers):
        linear = layers[i]
        if not isinstance(linear, nn.Linear):
            return None
        pre = linear(hidden)
        following = layers[i + 1] if i + 1 < len(layers) else None
        if following is None or isinstance(following, nn.Linear):
            post, derivative = pre, None  # linear layer, no activation
            i += 1
        else:
            post = following(pre)
            derivative = _activation_derivative(following, pre, post)
            if derivative is None:
                return None
            i += 2
        linears.append(linear)
        derivatives.append(derivative)
        hidden = post

    first = linears[0].weight / module.scale  # W_1 S^-1
    gram = first @ first.T  # G, (width_1, width_1)
    if len(linears) == 1:
        if derivatives[0] is None:
            return gram.diagonal().sum().expand(x.shape[0])
        return (derivatives[0].pow(2) * gram.diagonal()).sum(dim=1)
    # M = D_L W_L D_{L-1} ... W_2 D_1, built from the code side so that its
    # rows stay n_components long.
    last = linears[-1].weight.expand(x.shape[0], -1, -1)
    chain = last if derivatives[-1] is None else derivatives[-1].unsqueeze(2) * last
    for linear, derivative in zip(
        reversed(linears[1:-1]), reversed(derivatives[:-1][1:]), strict=True
    ):
        if derivative is not None:
            chain = chain * derivative.unsqueeze(1)
        chain = chain @ linear.weight
    if derivatives[0] is not None:
        chain = chain * derivatives[0].unsqueeze(1)
    return ((chain @ gram) * chain).sum(dim=(1, 2))


def exact_sq_norm(module, x):
    """``||J(x)||_F^2`` per sample, where ``J = d module.encode(x) / dx``.

    The chain-rule formula of ``_analytic_sq_norm`` for a stack of linear
    layers and known activations (every encoder this package builds);
    ``torch.func`` (``vmap(jacrev(encode))``) for any other encoder.
    """
    norm = _analytic_sq_norm(module, x)
    if norm is not None:
        return norm
    jacobian = torch.func.vmap(torch.func.jacrev(module.encode))(x)
    return jacobian.pow(2).sum(dim=(1, 2))


def random_projection_sq_norm(module, x, n_projections, generator=None):
    """Unbiased estimate of ``||J(x)||_F^2`` per sample from random projections.

    For ``u ~ N(0, I)`` in code space, ``E ||J^T u||^2 = trace(J J^T) =
    ||J||_F^2`` (Hutchinson's estimator); each projection costs one backward
    pass, so the cost does not grow with ``n_components``. The estimate is
    averaged over ``n_projections`` draws.
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        code = module.encode(x)
        total = 0.0
        for _ in range(n_projections):
            direction = torch.randn(
                code.shape, generator=generator, device=code.device, dtype=code.dtype
            )
            (projected,) = torch.autograd.grad(
                code, x, grad_outputs=direction, create_graph=True
            )
            total = total + projected.pow(2).sum(dim=1)
    return total / n_projections


class Contraction(Term):
    """The encoder's squared Jacobian norm :math:`\\|J_h(x)\\|_F^2`, batch mean.

    Parameters
    ----------
    jacobian : {"exact", "random_projection"}
    n_projections : int
    """

    name = "contraction"

    def __init__(self, jacobian, n_projections):
        self.jacobian = jacobian
        self.n_projections = n_projections

    def __call__(self, output, batch, module):
        if self.jacobian == "exact":
            norm = exact_sq_norm(module, batch.inputs)
        else:
            norm = random_projection_sq_norm(
                module, batch.inputs, self.n_projections, batch.generator
            )
        return norm.mean()


@fill_doc
class ContractiveAutoEncoder(AutoEncoder):
    """Contractive autoencoder: codes that are insensitive to small changes.

    The loss adds to the reconstruction negative log-likelihood the squared
    Frobenius norm of the encoder's Jacobian at each training point:

    .. math::

        L(x) = -\\log p(x \\mid g(h(x))) + \\lambda \\, \\|J_h(x)\\|_F^2,
        \\qquad J_h(x) = \\frac{\\partial h(x)}{\\partial x},

    with :math:`\\lambda` = ``contraction``, averaged over the batch. The
    penalty makes the encoder contract space in every direction; the
    reconstruction term keeps it sensitive along the directions the data
    actually vary in (the tangent of the data manifold), so the codes follow
    the manifold and ignore off-manifold noise.

    Parameters
    ----------
    n_components : int, default=2
        Size of the code. It may exceed the number of features: the penalty
        keeps an overcomplete code from learning the identity.

    contraction : float, default=0.01
        Weight :math:`\\lambda` of the Jacobian penalty (>= 0; 0 trains a plain
        autoencoder).

    jacobian : {"exact", "random_projection"}, default="exact"
        How :math:`\\|J_h(x)\\|_F^2` is computed:

        - ``"exact"``: by the chain rule through the encoder's layers, whose
          cost is about ``n_components`` times a forward pass and does not
          grow with the number of features.
        - ``"random_projection"``: the unbiased estimate
          :math:`\\frac{1}{K} \\sum_k \\|J^\\top u_k\\|^2`,
          :math:`u_k \\sim \\mathcal{N}(0, I)`, over
          ``n_projections`` draws per sample, which costs ``n_projections``
          backward passes whatever ``n_components``: for wide
          (overcomplete) codes.

    n_projections : int, default=1
        Number of random projections per sample for
        ``jacobian="random_projection"``; ignored otherwise.

    code_activation : {"identity", "logistic", "tanh"}, default="identity"
        Activation of the code layer: ``"identity"`` is the linear code of
        :class:`AutoEncoder`, ``"logistic"`` the sigmoid code units of Rifai
        et al. (bounded codes, at some cost in reconstruction).

    hidden_layer_sizes : tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers; the decoder mirrors them.
        ``()`` with ``code_activation="logistic"`` gives Rifai et al.'s
        one-layer encoder :math:`h = \\sigma(W x + b)`, for which
        :math:`\\|J_h\\|_F^2 = \\sum_j (h_j (1 - h_j))^2 \\|W_j\\|^2`.

    activation : {"relu", "tanh", "logistic", "elu", "gelu", "identity"}, \
default="relu"
        Nonlinearity between layers. The output layer is linear.

    loss : {"mse", "gaussian", "gaussian_shared", "bce"}, default="mse"
        Reconstruction likelihood: ``"mse"`` is a unit-variance Gaussian,
        ``"gaussian"`` a Gaussian with a learned variance per feature,
        ``"gaussian_shared"`` one learned variance for all features,
        ``"bce"`` a Bernoulli for features in [0, 1].

{training_parameters}

    Attributes
    ----------
{training_attributes}

    See Also
    --------
    AutoEncoder : The same network without the penalty.
    DenoisingAutoEncoder : Robustness to input noise by sampling it.

    Notes
    -----
    The Jacobian is taken with respect to the raw input ``x`` that
    :meth:`transform` reads, the standardisation inside the network
    included: :math:`J_h(x) = J_\\mathrm{net}((x - m) / s)
    \\operatorname{diag}(1 / s)` with :math:`m` and :math:`s` the network's
    per-feature input offset and scale (see the Notes of
    :class:`AutoEncoder`). Its size, and so a good ``contraction``, depends
    on the units of ``x``; the default suits features of unit order, such
    as pixel intensities in [0, 1].

    The decoder is not tied to the encoder (as it is in Rifai et al.), so
    part of the penalty can be met by shrinking every code by a common
    factor and enlarging the decoder's first layer to match. Only the rest
    is contraction proper, relative to the spread of the codes; both are
    reported by the tests (``tests/test_contractive.py``).

    References
    ----------
    Rifai, S., Vincent, P., Muller, X., Glorot, X., & Bengio, Y. (2011).
    Contractive auto-encoders: Explicit invariance during feature
    extraction. In Proceedings of the 28th International Conference on
    Machine Learning (ICML), 833-840.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import ContractiveAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> cae = ContractiveAutoEncoder(n_components=2, max_iter=5, random_state=0)
    >>> cae.fit_transform(X).shape
    (1797, 2)
    """

    _parameter_constraints: dict = {
        **AutoEncoder._parameter_constraints,
        "contraction": [Interval(Real, 0, None, closed="left")],
        "jacobian": [StrOptions({"exact", "random_projection"})],
        "n_projections": [Interval(Integral, 1, None, closed="left")],
        "code_activation": [StrOptions(set(CODE_ACTIVATIONS))],
    }

    _allows_overcomplete = True

    def __init__(
        self,
        n_components=2,
        *,
        contraction=0.01,
        jacobian="exact",
        n_projections=1,
        code_activation="identity",
        hidden_layer_sizes=(256, 128),
        activation="relu",
        loss="mse",
        batch_size=64,
        learning_rate_init=1e-3,
        learning_rate="constant",
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
    ):
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
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
        )
        self.contraction = contraction
        self.jacobian = jacobian
        self.n_projections = n_projections
        self.code_activation = code_activation

    def _module_options(self):
        return {"code_activation": self.code_activation}

    def _objective_terms(self):
        contraction = Contraction(self.jacobian, self.n_projections)
        return [*super()._objective_terms(), (contraction, float(self.contraction))]
