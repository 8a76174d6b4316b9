"""Torch modules: the encoder and decoder networks behind the estimators.

Estimators build these in ``fit`` (see ``_BaseAutoEncoder._build_module``);
users never need them directly.
"""

import itertools
from typing import NamedTuple

import torch
from torch import nn

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}


class ModuleOutput(NamedTuple):
    """What a forward pass returns to the loss.

    ``decoded`` is the decoder output (Gaussian mean in data units, or
    Bernoulli logits); ``code`` the code the decoder read (a posterior sample
    for a VAE in training); ``code_mean`` and ``code_log_var`` the Gaussian
    posterior's parameters for variational models.
    """

    decoded: torch.Tensor
    code: torch.Tensor
    code_mean: torch.Tensor | None = None
    code_log_var: torch.Tensor | None = None


def make_mlp(sizes, activation, *, output_activation=None):
    """A stack of ``Linear`` layers with ``activation`` between them.

    Parameters
    ----------
    sizes : sequence of int
        Widths, input first: ``(4, 8, 2)`` is two layers.
    activation : str
        Key of ``ACTIVATIONS`` applied after every layer but the last.
    output_activation : str or None
        Key of ``ACTIVATIONS`` applied after the last layer.
    """
    layers = []
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(fan_in, fan_out))
        last = i == len(sizes) - 2
        name = output_activation if last else activation
        if name is not None and name != "identity":
            layers.append(ACTIVATIONS[name]())
    return nn.Sequential(*layers)


class AutoEncoderModule(nn.Module):
    """Encoder and mirrored decoder with input standardisation built in.

    The encoder reads ``(x - offset) / scale`` so that unscaled data trains
    well without a ``StandardScaler``; for a Gaussian decoder the output is
    mapped back by the same affine map, so the loss stays in data units and
    the network only learns the standardised problem.

    Parameters
    ----------
    n_features : int
    n_components : int
    hidden_layer_sizes : tuple of int
        Encoder widths; the decoder uses them reversed.
    activation : str
    loss : {"mse", "bce"}
    offset, scale : Tensor of shape (n_features,)
    code_activation : str or None
        Activation of the code layer (e.g. ``"logistic"`` for sparse codes).
    code_multiplier : int
        The encoder's last layer has ``code_multiplier * n_components``
        outputs (2 for a Gaussian posterior's mean and log-variance).
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes,
        activation,
        loss,
        offset,
        scale,
        *,
        code_activation=None,
        code_multiplier=1,
    ):
        super().__init__()
        hidden = tuple(hidden_layer_sizes)
        self.loss = loss
        self.encoder = make_mlp(
            (n_features, *hidden, code_multiplier * n_components),
            activation,
            output_activation=code_activation,
        )
        self.decoder = make_mlp((n_components, *hidden[::-1], n_features), activation)
        self.register_buffer("offset", torch.as_tensor(offset))
        self.register_buffer("scale", torch.as_tensor(scale))

    def encode(self, x):
        """Code (the encoder's output) of a batch."""
        return self.encoder((x - self.offset) / self.scale)

    def decode(self, z):
        """Decoder output: Gaussian mean in data units, or Bernoulli logits."""
        decoded = self.decoder(z)
        if self.loss == "mse":
            decoded = decoded * self.scale + self.offset
        return decoded

    def forward(self, x):
        code = self.encode(x)
        return ModuleOutput(self.decode(code), code)


class VariationalModule(AutoEncoderModule):
    """Gaussian encoder ``q(z | x) = N(mean, diag(exp(log_var)))`` and decoder.

    The encoder's last layer outputs the mean and the log-variance of the
    code (``code_multiplier=2``). In training mode the decoder reads a
    reparameterised sample ``z = mean + exp(log_var / 2) * eps``,
    ``eps ~ N(0, I)`` from torch's default generator (seeded by the training
    loop); in eval mode it reads the mean, so validation losses and
    reconstructions are deterministic.
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes,
        activation,
        loss,
        offset,
        scale,
    ):
        super().__init__(
            n_features,
            n_components,
            hidden_layer_sizes,
            activation,
            loss,
            offset,
            scale,
            code_multiplier=2,
        )

    def encode_distribution(self, x):
        """``(mean, log_var)`` of the Gaussian posterior, each (n, n_components)."""
        mean, log_var = super().encode(x).chunk(2, dim=1)
        return mean, log_var

    def encode(self, x):
        """Posterior mean: the deterministic code."""
        return self.encode_distribution(x)[0]

    def forward(self, x):
        mean, log_var = self.encode_distribution(x)
        if self.training:
            code = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        else:
            code = mean
        return ModuleOutput(self.decode(code), code, mean, log_var)
