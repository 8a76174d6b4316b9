"""Torch modules: the encoder and decoder networks behind the estimators.

Estimators build these in ``fit`` (see ``_BaseAutoEncoder._build_module``);
users never need them directly. Every module may be conditioned: a
``condition`` vector per row (a one-hot label, say) joins the input of the
encoder and of the decoder, so a conditional model is the base module with a
wider first layer, not a module of its own.
"""

import itertools
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ._likelihoods import make_likelihood
from ._projection import PrincipalInput, PrincipalOutput
from ._random import initialisation_deferred

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}


class ModuleOutput(NamedTuple):
    """What a forward pass returns to the objective.

    ``decoded`` is the decoder output (Gaussian mean in data units, or
    Bernoulli logits); ``code`` the code the decoder read (a posterior sample
    for a VAE in training); ``code_mean`` and ``code_log_var`` the Gaussian
    posterior's parameters for variational models.

    A forward pass may decode some rows more than once (a conditional model
    sums its bound over every label of an unlabelled row): ``rows`` then maps
    each output row to its batch row and ``row_weights`` weighs it (the
    label's probability); None means one output row per batch row, weight 1.
    ``class_logits`` are a classifier head's logits, one row per batch row.
    ``encoder_derivatives`` are the derivatives :math:`f_l'(a_l)` of the
    encoder's activations at the batch, one ``(n_rows, width_l)`` tensor per
    linear layer (None for a layer without activation), for terms that need
    the encoder's Jacobian; only the contractive module records them.
    """

    decoded: torch.Tensor
    code: torch.Tensor
    code_mean: torch.Tensor | None = None
    code_log_var: torch.Tensor | None = None
    rows: torch.Tensor | None = None
    row_weights: torch.Tensor | None = None
    class_logits: torch.Tensor | None = None
    encoder_derivatives: tuple | None = None


def linear_layer(fan_in, fan_out):
    """An ``nn.Linear``, initialised by torch unless a fit builds it.

    Inside :func:`~sklearn_ae._random.deferred_initialisation` (a fit
    building its module) the layer is not initialised from torch's global
    generator, which a fit must neither read nor advance: its weights are
    zeros until the fit draws them from its own stream
    (:func:`~sklearn_ae._random.initialise`).
    """
    if not initialisation_deferred():
        return nn.Linear(fan_in, fan_out)
    layer = nn.utils.skip_init(nn.Linear, fan_in, fan_out)
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.zero_()
    return layer


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
        layers.append(linear_layer(fan_in, fan_out))
        last = i == len(sizes) - 2
        name = output_activation if last else activation
        if name is not None and name != "identity":
            layers.append(ACTIVATIONS[name]())
    return nn.Sequential(*layers)


def _joined(tensor, condition):
    return tensor if condition is None else torch.cat([tensor, condition], dim=1)


def _code_layer(width, n_components, code_multiplier, n_conditions, activation):
    """The layer between a user's encoder and the code.

    A linear layer when the code is not the encoder's output as it is: a
    posterior's mean and log-variance (``code_multiplier=2``) or a code that
    reads a condition. Otherwise the encoder's output is the code, and must
    have ``n_components`` columns. A code activation comes last.
    """
    layers = []
    if code_multiplier != 1 or n_conditions:
        layers.append(
            linear_layer(width + n_conditions, code_multiplier * n_components)
        )
    elif width != n_components:
        raise ValueError(
            f"The encoder returns {width} columns per row, but the code has "
            f"n_components={n_components}: give its last layer n_components "
            "outputs (only the variational models put a layer of their own "
            "on top of the encoder)."
        )
    if activation is not None and activation != "identity":
        layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class AutoEncoderModule(nn.Module):
    """Encoder and mirrored decoder with input standardisation built in.

    The encoder reads ``(x - offset) / scale`` so that unscaled data trains
    well without a ``StandardScaler``; when the likelihood's output is in
    data units (a Gaussian) the decoder's output is mapped back by the same
    affine map, so the loss stays in data units and the network only learns
    the standardised problem.

    Parameters
    ----------
    n_features : int
    n_components : int
    hidden_layer_sizes : tuple of int
        Encoder widths; the decoder uses them reversed.
    activation : str
    loss : str
        A name in :data:`~sklearn_ae._likelihoods.LIKELIHOODS`: the
        likelihood, which the module owns as ``likelihood`` (a learned
        variance is measured in units of ``scale``).
    offset, scale : Tensor of shape (n_features,)
    code_activation : str or None
        Activation of the code layer (e.g. ``"logistic"`` for sparse codes).
    code_multiplier : int
        The encoder's last layer has ``code_multiplier * n_components``
        outputs (2 for a Gaussian posterior's mean and log-variance).
    n_conditions : int
        Width of the condition vector read by the encoder and the decoder
        beside their usual input; 0 for an unconditional model.
    initial_variance : float or None
        Start of a learned variance, relative to ``scale ** 2`` (None: the
        likelihood's default).
    encoder, decoder : torch.nn.Module or None
        Networks of the user's own, used instead of the MLPs (see
        :mod:`sklearn_ae._networks`). The encoder reads the standardised
        rows alone; a code layer of the module's own maps its output to
        the code when the code is not its output as it is (a posterior's
        mean and log-variance, a condition to join, a code activation).
        The decoder reads the code joined with any condition.
    encoder_width : int or None
        Columns of the user's encoder's output.
    principal_components : int
        When positive (and the model has no condition), the MLP encoder
        reads the rows' coordinates in a fixed subspace of this many
        principal axes (:class:`~sklearn_ae._projection.PrincipalInput`),
        and a Gaussian's MLP decoder writes its output in it
        (:class:`~sklearn_ae._projection.PrincipalOutput`); the axes are
        set by the estimator once the rows are known. Networks of the
        user's own read and write all features.
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
        n_conditions=0,
        initial_variance=None,
        encoder=None,
        decoder=None,
        encoder_width=None,
        principal_components=0,
    ):
        super().__init__()
        hidden = tuple(hidden_layer_sizes)
        self.n_conditions = n_conditions
        self.n_components = n_components
        self.own_encoder = encoder is not None
        scale = torch.as_tensor(scale)
        likelihood = make_likelihood(loss, scale, initial_variance)
        # The principal steps read and write the rows alone: a condition
        # joins the layers after them.
        projected = principal_components > 0 and not n_conditions
        if encoder is None:
            widths = (n_features + n_conditions, *hidden)
            steps = []
            if projected:
                steps.append(PrincipalInput(n_features, principal_components))
                widths = (principal_components, *hidden)
            self.encoder = nn.Sequential(
                *steps,
                *make_mlp(
                    (*widths, code_multiplier * n_components),
                    activation,
                    output_activation=code_activation,
                ),
            )
        else:
            self.encoder = encoder
            self.code_layer = _code_layer(
                encoder_width,
                n_components,
                code_multiplier,
                n_conditions,
                code_activation,
            )
        self.own_decoder = decoder is not None
        if decoder is None:
            # Only a Gaussian's mean lives in the rows' units, where their
            # principal subspace is; Bernoulli logits do not.
            if projected and likelihood.data_units:
                decoder = nn.Sequential(
                    *make_mlp(
                        (n_components, *hidden[::-1], principal_components),
                        activation,
                    ),
                    PrincipalOutput(n_features, principal_components),
                )
            else:
                decoder = make_mlp(
                    (n_components + n_conditions, *hidden[::-1], n_features),
                    activation,
                )
        self.decoder = decoder
        self.register_buffer("offset", torch.as_tensor(offset))
        self.register_buffer("scale", scale)
        self.likelihood = likelihood

    @classmethod
    def decoder_inputs(cls, n_components, **options):
        """Columns the decoder reads: the code, and any condition beside it."""
        return n_components + options.get("n_conditions", 0)

    def own_networks(self):
        """The user's networks in this module (their weights are not redrawn)."""
        return tuple(
            network
            for network, own in (
                (self.encoder, self.own_encoder),
                (self.decoder, self.own_decoder),
            )
            if own
        )

    def standardise(self, x):
        """The input on the scale the network reads: ``(x - offset) / scale``."""
        return (x - self.offset) / self.scale

    def encode(self, x, condition=None):
        """Code (the encoder's output) of a batch."""
        if self.own_encoder:
            # A user's network reads the rows alone; a condition joins at
            # the code layer, so an image keeps its shape.
            features = self.encoder(self.standardise(x))
            return self.code_layer(_joined(features, condition))
        return self.encoder(_joined(self.standardise(x), condition))

    def decode(self, z, condition=None):
        """Decoder output: Gaussian mean in data units, or Bernoulli logits."""
        decoded = self.decoder(_joined(z, condition))
        if self.likelihood.data_units:
            decoded = decoded * self.scale + self.offset
        return decoded

    def reconstruct(self, z, condition=None):
        """The mean of the decoder's distribution at codes ``z``."""
        return self.likelihood.mean(self.decode(z, condition))

    def condition(self, x=None, **side):
        """The condition vector of a batch from its side data; None here."""
        return None

    def forward(self, x, generator=None, **side):
        """Decode the code of ``x``; ``generator`` feeds any sampling."""
        condition = self.condition(x, **side)
        code = self.encode(x, condition)
        return ModuleOutput(self.decode(code, condition), code)


class VariationalModule(AutoEncoderModule):
    """Gaussian encoder and decoder.

    The encoder is :math:`q(z \\mid x) = \\mathcal{N}(\\mu,
    \\operatorname{diag} \\sigma^2)`: its last layer outputs the mean
    :math:`\\mu` and the log-variance :math:`\\log \\sigma^2` of the code
    (``code_multiplier=2``). In training mode the decoder reads a
    reparameterised sample :math:`z = \\mu + \\sigma \\odot \\varepsilon`,
    :math:`\\varepsilon \\sim \\mathcal{N}(0, I)`, from the fit's
    ``generator``; in eval mode it reads the mean,
    so validation losses and reconstructions are deterministic.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, code_multiplier=2, **kwargs)

    def encode_distribution(self, x, condition=None):
        """``(mean, log_var)`` of the Gaussian posterior, each (n, n_components)."""
        mean, log_var = super().encode(x, condition).chunk(2, dim=1)
        return mean, log_var

    def encode(self, x, condition=None):
        """Posterior mean: the deterministic code."""
        return self.encode_distribution(x, condition)[0]

    def variational_output(self, x, condition, generator=None, **extra):
        """Posterior, its (training: sampled) code and the decoded code."""
        mean, log_var = self.encode_distribution(x, condition)
        code = mean
        if self.training:
            noise = torch.randn(
                mean.shape, generator=generator, device=mean.device, dtype=mean.dtype
            )
            code = mean + torch.exp(0.5 * log_var) * noise
        return ModuleOutput(self.decode(code, condition), code, mean, log_var, **extra)

    def forward(self, x, generator=None, **side):
        return self.variational_output(
            x, self.condition(x, **side), generator=generator
        )


class ConditionalVariationalModule(VariationalModule):
    """The VAE module conditioned on a one-hot label, plus ``q(y | x)``.

    The label's one-hot is the base module's condition: it joins the first
    layer of the encoder ``q(z | x, y)`` and of the decoder ``p(x | z, y)``.
    A classifier of the encoder's shape reads x alone. Rows without a label
    (-1) take the classifier's, as in ``transform``; decoding without labels
    feeds the uniform vector ``1 / K``.
    """

    def __init__(self, *args, n_classes, **kwargs):
        super().__init__(*args, n_conditions=n_classes, **kwargs)
        n_features, _, hidden, activation = args[:4]
        self.classifier = make_mlp((n_features, *hidden, n_classes), activation)

    @classmethod
    def decoder_inputs(cls, n_components, *, n_classes, **options):
        return n_components + n_classes

    def classify(self, x):
        """Logits of ``q(y | x)``."""
        return self.classifier(self.standardise(x))

    def condition(self, x=None, *, like=None, labels=None):
        like = x if like is None else like
        if x is not None and (labels is None or bool((labels < 0).any())):
            guess = self.classify(x).argmax(dim=1)
            labels = guess if labels is None else torch.where(labels < 0, guess, labels)
        if labels is None:  # no class preferred
            # Sized from ``like`` by tensor operations, not len(like), so an
            # ONNX export keeps the number of rows free.
            ones = torch.ones_like(like[:, :1]).expand(-1, self.n_conditions)
            return ones / self.n_conditions
        return F.one_hot(labels, self.n_conditions).to(like.dtype)

    def forward(self, x, labels=None, generator=None, **side):
        """The M2 forward pass: each row decoded under the labels it may have.

        A labelled row is decoded once, with its label; an unlabelled one
        once per label, weighted by ``q(y | x)``, so the base terms'
        weighted means sum the ELBO over the labels.
        """
        logits = self.classify(x)
        if labels is None:  # no labels at all: every row unlabelled
            labels = torch.full_like(logits[:, 0], -1, dtype=torch.long)
        labelled = torch.nonzero(labels >= 0).flatten()
        unlabelled = torch.nonzero(labels < 0).flatten()
        k = self.n_conditions
        rows = torch.cat([labelled, unlabelled.repeat_interleave(k)])
        every = torch.arange(k, device=x.device).repeat(len(unlabelled))
        label_of_row = torch.cat([labels[labelled], every])
        q = F.log_softmax(logits[unlabelled], dim=1).exp().flatten()
        weights = torch.cat([q.new_ones(len(labelled)), q])
        return self.variational_output(
            x[rows],
            self.condition(like=x, labels=label_of_row),
            rows=rows,
            row_weights=weights,
            class_logits=logits,
            generator=generator,
        )
