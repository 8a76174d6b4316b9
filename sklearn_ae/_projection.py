"""A fixed principal subspace at the network's input and output.

Images of hundreds of pixels vary in far fewer directions, and a network's
first layer (and its decoder's last) costs most of its multiply-adds at
that width: 784 inputs are about 70% of a 784-512-256-128 encoder's. Reading
the rows' first principal components instead, and writing the decoder's
output as a combination of them, cuts a training update and a ``transform``
several-fold. The subspace is the training rows' own (on the scale the
network reads), computed once per fit and not trained.
"""

import torch
from torch import nn

from ._sample_weight import SAMPLE_WEIGHT

# principal_components="auto": rows of more features than this are read
# through their first AUTO_PRINCIPAL_COMPONENTS principal axes, where the
# first layer would cost more than half of the encoder and the fixed
# subspace is cheaper still. Measured by benchmarks.manifold's
# ManifoldAutoEncoder-full (the network on every feature), see the
# parameter's docstring.
AUTO_PROJECTION_FEATURES = 100
AUTO_PRINCIPAL_COMPONENTS = 50

# Rows of the training set read at once for the covariance.
COVARIANCE_BLOCK_ROWS = 8192


class _PrincipalStep(nn.Module):
    """A fixed map between the features and a subspace: its mean and basis."""

    def __init__(self, n_features, n_principal_components):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features))
        self.register_buffer("basis", torch.zeros(n_principal_components, n_features))


class PrincipalInput(_PrincipalStep):
    """The encoder's first step: coordinates in the principal subspace.

    ``(x - mean) @ basis.T``, with the basis scaled so that the coordinates
    have a spread of about 1 together (the overall standard deviation of
    the components), as the layers after it start from.
    """

    def forward(self, x):
        return (x - self.mean) @ self.basis.T


class PrincipalOutput(_PrincipalStep):
    """The decoder's last step: coordinates back to features, ``c @ basis + mean``."""

    def forward(self, coordinates):
        return coordinates @ self.basis + self.mean


def principal_subspace(module, train, n_principal_components):
    """Mean and leading principal axes of the training rows, as the encoder reads them.

    The rows are standardised by ``module`` (the scale its encoder reads)
    and weighted by their sample weights, if any. The covariance is summed
    in blocks of :data:`COVARIANCE_BLOCK_ROWS` rows in float64 on the rows'
    device, so no copy of the rows is made; its eigenvectors come from
    ``torch.linalg.eigh``, exact and without random numbers. Each axis is
    signed so that its largest entry is positive.

    Returns
    -------
    mean : Tensor of shape (n_features,)
    axes : Tensor of shape (n_principal_components, n_features)
        Orthonormal rows, the largest variance first.
    variances : Tensor of shape (n_principal_components,)
    """
    inputs = train.inputs
    weights = train.side.get(SAMPLE_WEIGHT)
    n_features = inputs.shape[1]
    total = torch.zeros((), dtype=torch.float64, device=inputs.device)
    sums = torch.zeros(n_features, dtype=torch.float64, device=inputs.device)
    products = torch.zeros(
        n_features, n_features, dtype=torch.float64, device=inputs.device
    )
    offset, scale = module.offset.double(), module.scale.double()
    with torch.no_grad():
        for start in range(0, len(inputs), COVARIANCE_BLOCK_ROWS):
            rows = inputs[start : start + COVARIANCE_BLOCK_ROWS].double()
            rows = (rows - offset.to(rows.device)) / scale.to(rows.device)
            if weights is None:
                weight = torch.ones(len(rows), dtype=torch.float64, device=rows.device)
            else:
                weight = weights[start : start + COVARIANCE_BLOCK_ROWS].double()
            total += weight.sum()
            sums += weight @ rows
            products += (rows * weight[:, None]).T @ rows
    mean = sums / total
    covariance = (products / total - torch.outer(mean, mean)).cpu()
    variances, axes = torch.linalg.eigh(covariance)
    variances = variances.flip(0)[:n_principal_components].clamp_min(0.0)
    axes = axes.flip(1)[:, :n_principal_components].T
    signs = torch.sign(axes.gather(1, axes.abs().argmax(1, keepdim=True)))
    axes = axes * torch.where(signs == 0, 1.0, signs)
    return mean.cpu().float(), axes.float(), variances.float()


def fit_principal_subspace(module, train, n_principal_components):
    """Set ``module``'s principal steps to the training rows' subspace (0: none)."""
    if n_principal_components:
        subspace = principal_subspace(module, train, n_principal_components)
        set_principal_subspace(module, *subspace)


def set_principal_subspace(module, mean, axes, variances):
    """Write the subspace into ``module``'s principal steps, where it has them."""
    spread = variances.mean().sqrt()
    spread = spread if spread > 0 else torch.ones(())
    with torch.no_grad():
        for step in module.modules():
            if isinstance(step, PrincipalInput):
                step.mean.copy_(mean)
                step.basis.copy_(axes / spread)
            elif isinstance(step, PrincipalOutput):
                step.mean.copy_(mean)
                step.basis.copy_(axes)


def principal_components_of(model):
    """``model.principal_components`` resolved for its rows (0: none).

    ``"auto"`` is :data:`AUTO_PRINCIPAL_COMPONENTS` for rows of more than
    :data:`AUTO_PROJECTION_FEATURES` features. 0 also when no network of
    the model's own reads or writes the subspace: the user's encoder, with
    the user's decoder or a Bernoulli one.
    """
    own_ends = model.encoder is not None and (
        model.decoder is not None or model.loss == "bce"
    )
    if own_ends or model.principal_components is None:
        return 0
    if model.principal_components == "auto":
        wide = model.n_features_in_ > AUTO_PROJECTION_FEATURES
        return AUTO_PRINCIPAL_COMPONENTS if wide else 0
    return model.principal_components


def check_principal_components(value, n_features):
    """Refuse a subspace that would hold every feature of the rows."""
    if value not in ("auto", None) and value >= n_features:
        raise ValueError(
            f"principal_components={value} must be below the number of "
            f"features, {n_features}: the subspace would hold them all. "
            "Pass None to read every feature."
        )
