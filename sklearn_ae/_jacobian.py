"""The squared Frobenius norm of an encoder's Jacobian, per sample.

The contractive autoencoder's penalty (:mod:`sklearn_ae._contractive`):
exactly by the chain rule through a stack of linear layers and known
activations, or estimated from random projections (Hutchinson's
estimator), with autograd for any other encoder (a network of the user's
own).
"""

import math

import torch
from torch import nn


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


def encoder_layers(module, x):
    """The encoder's forward pass at ``x``, with its activations' derivatives.

    Returns ``(linears, derivatives, code)``: ``derivatives[l]`` is the
    derivative ``f_l'(a_l)`` of the activation after ``linears[l]`` (None
    where the layer has none). Returns None when the encoder is not a stack
    of linear layers and activations this module knows.
    """
    if module.own_encoder:
        return None
    linears, derivatives = [], []
    hidden = module.standardise(x)
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
    return linears, derivatives, hidden


def _chain_rule_factors(module, x, derivatives):
    """``(linears, derivatives)`` of the encoder at ``x``, or None.

    ``derivatives`` as a forward pass of :class:`ContractiveModule` recorded
    them at ``x``, or None to run the encoder here.
    """
    if derivatives is not None:
        linears = [layer for layer in module.encoder if isinstance(layer, nn.Linear)]
        return linears, list(derivatives)
    traced = encoder_layers(module, x)
    return None if traced is None else traced[:2]


def _pull_back(linears, derivatives, rows):
    """``rows D_l W_l ... D_2 W_2 D_1`` for the layers ``1..l`` given.

    ``rows`` has shape (n_samples, n_rows, width_l); the result (n_samples,
    n_rows, width_1): each row stays one row long through the layers.
    """
    for depth in reversed(range(len(linears))):
        if derivatives[depth] is not None:
            rows = rows * derivatives[depth].unsqueeze(1)
        if depth > 0:
            rows = rows @ linears[depth].weight
    return rows


def _input_sq_norm(first, scale, rows):
    """``sum_r ||rows_r W_1 S^-1||^2`` per sample, for ``rows`` from
    :func:`_pull_back`.

    Through the Gram matrix ``G = W_1 S^-2 W_1^T`` (``sum_r rows_r G
    rows_r^T``) when forming it once per batch and using it costs less
    than forming the ``n_features``-long rows themselves: for many rows
    (the exact norm's ``n_components`` per sample) and first layers
    narrower than the input; directly otherwise (one random projection per
    sample, where ``G`` would cost more than all the rows together).
    """
    weight = first.weight / scale  # W_1 S^-1, (width_1, n_features)
    width, n_features = weight.shape
    n_rows = rows.shape[0] * rows.shape[1]
    if n_features * width + n_rows * width < n_rows * n_features:
        gram = weight @ weight.T
        return ((rows @ gram) * rows).sum(dim=(1, 2))
    return (rows @ weight).pow(2).sum(dim=(1, 2))


def _analytic_sq_norm(module, x, derivatives=None):
    """``||J(x)||_F^2`` per sample by the chain rule, or None if it cannot.

    For an encoder ``h = f_L(W_L ... f_1(W_1 (x - m) / s))`` the Jacobian is
    ``J = D_L W_L ... D_1 W_1 S^-1`` with ``D_l = diag(f_l'(a_l))`` and
    ``S = diag(s)``. ``M = D_L W_L ... D_1`` (one ``n_components x
    width_1`` matrix per sample) is built from the code side so that its
    rows stay ``n_components`` long, and ``||J||_F^2 = ||M W_1 S^-1||_F^2``
    (see :func:`_input_sq_norm`). For one layer (Rifai et al.'s case) it
    reduces to ``sum_j f'(a_j)^2 ||W_j / s||^2``.
    """
    factors = _chain_rule_factors(module, x, derivatives)
    if factors is None:
        return None
    linears, derivatives = factors
    if len(linears) == 1:
        row_norms = (linears[0].weight / module.scale).pow(2).sum(dim=1)
        if derivatives[0] is None:
            return row_norms.sum().expand(x.shape[0])
        return (derivatives[0].pow(2) * row_norms).sum(dim=1)
    # D_L W_L without multiplying by the identity first.
    last = linears[-1].weight.expand(x.shape[0], -1, -1)
    if derivatives[-1] is not None:
        last = derivatives[-1].unsqueeze(2) * last
    chain = _pull_back(linears[:-1], derivatives[:-1], last)
    return _input_sq_norm(linears[0], module.scale, chain)


def exact_sq_norm(module, x, derivatives=None):
    """``||J(x)||_F^2`` per sample, where ``J = d module.encode(x) / dx``.

    The chain-rule formula of ``_analytic_sq_norm`` for a stack of linear
    layers and known activations (every encoder this package builds);
    autograd, one vector-Jacobian product per code dimension, for any other
    encoder (a user's network: ``torch.func``'s ``vmap`` would refuse
    modules whose forward pass it cannot batch).
    ``derivatives``: the activations' derivatives at ``x`` that a forward
    pass of :class:`ContractiveModule` recorded, saving a second pass
    through the encoder (None: computed here).
    """
    norm = _analytic_sq_norm(module, x, derivatives)
    if norm is not None:
        return norm
    return _autograd_sq_norm(
        module, x, lambda code: torch.eye(code.shape[1]).to(code)[:, None, :]
    )


def _autograd_sq_norm(module, x, directions):
    """``sum_k ||J(x)^T u_k||^2`` per sample, by autograd, for any encoder.

    ``directions(code)`` gives the code-space directions ``u_k``, a tensor
    of shape ``(n_directions, n_samples or 1, n_components)``.
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        code = module.encode(x)
        total = 0.0
        for direction in directions(code):
            (projected,) = torch.autograd.grad(
                code, x, grad_outputs=direction.expand_as(code), create_graph=True
            )
            total = total + projected.pow(2).sum(dim=1)
    return total


def random_projection_sq_norm(
    module, x, n_projections, generator=None, derivatives=None
):
    """Unbiased estimate of ``||J(x)||_F^2`` per sample from random projections.

    For ``u ~ N(0, I)`` in code space, ``E ||J^T u||^2 = trace(J J^T) =
    ||J||_F^2`` (Hutchinson's estimator), averaged over ``n_projections``
    independent draws per sample from ``generator``. ``J^T u`` is the chain
    rule of ``_analytic_sq_norm`` applied to the row ``u^T`` instead of the
    ``n_components`` rows of the identity, so a projection costs about one
    pass back through the encoder whatever ``n_components``; for other
    encoders it is a vector-Jacobian product by autograd. The projections
    are drawn as one ``(n_projections, n_samples, n_components)`` tensor
    either way, so both give the same estimate. ``derivatives`` as in
    :func:`exact_sq_norm`.
    """
    factors = _chain_rule_factors(module, x, derivatives)
    if factors is not None:
        linears, derivatives = factors
        shape = (n_projections, x.shape[0], linears[-1].out_features)
        directions = _normal(shape, generator, x).transpose(0, 1)
        rows = _pull_back(linears, derivatives, directions)
        return _input_sq_norm(linears[0], module.scale, rows) / n_projections
    total = _autograd_sq_norm(
        module,
        x,
        lambda code: _normal((n_projections, *code.shape), generator, code),
    )
    return total / n_projections


def _normal(shape, generator, like):
    """Standard normal draws from ``generator``, on ``like``'s device and dtype."""
    return torch.randn(shape, generator=generator, device=like.device, dtype=like.dtype)
