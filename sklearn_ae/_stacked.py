"""The stacked autoencoder: greedy layer-wise pretraining, then fine-tuning."""

from numbers import Integral, Real

import numpy as np
import torch
from torch import nn

from ._autoencoder import AutoEncoder
from ._compat import Interval, StrOptions
from ._docstrings import fill_doc
from ._likelihoods import GaussianLikelihood
from ._modules import AutoEncoderModule, ModuleOutput, make_mlp
from ._net import train_net
from ._networks import refuse_own_networks
from ._objective import Objective, Reconstruction
from ._random import deferred_initialisation, initialise
from ._rows import RowDataset
from ._sample_weight import SAMPLE_WEIGHT


class _LayerAutoEncoder(nn.Module):
    """One-hidden-layer autoencoder on the codes of the layer below.

    Its decoder ends in ``activation`` because, in the deep decoder, the
    layer it becomes reconstructs the (activated) codes of the layer below.
    """

    def __init__(self, n_in, n_out, activation, code_activation):
        super().__init__()
        self.encoder = make_mlp(
            (n_in, n_out), activation, output_activation=code_activation
        )
        self.decoder = make_mlp((n_out, n_in), activation, output_activation=activation)
        # The codes below are reconstructed in their own units: squared error.
        self.likelihood = GaussianLikelihood()

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x, generator=None, **side):
        code = self.encode(x)
        return ModuleOutput(self.decoder(code), code)


class MaskingNoise:
    """Vincent et al.'s masking corruption: zero each entry with probability p."""

    def __init__(self, p):
        self.p = p

    def __call__(self, batch, generator=None):
        draws = torch.rand(
            batch.shape, generator=generator, device=batch.device, dtype=batch.dtype
        )
        return batch * (draws >= self.p)


def _linear_layers(sequential):
    return [layer for layer in sequential if isinstance(layer, nn.Linear)]


@fill_doc
class StackedAutoEncoder(AutoEncoder):
    """Stacked autoencoder: greedy layer-wise pretraining, then fine-tuning.

    The deep autoencoder of :class:`AutoEncoder`, initialised the way deep
    networks were first trained (Hinton & Salakhutdinov 2006; Bengio et al.
    2007; Vincent et al. 2010). For the layer widths
    ``n_features -> h_1 -> ... -> h_L -> n_components``, layer :math:`l` is
    first trained alone as a one-hidden-layer autoencoder on the codes of
    layer :math:`l - 1` (the data for the first layer):

    .. math::

        \\min \\; L(c, g_l(h_l(\\tilde c))), \\qquad
        c = h_{l-1}(\\dots h_1(x)),

    where :math:`\\tilde c` is :math:`c` itself (``pretraining="plain"``) or
    a corrupted copy (``pretraining="denoising"``, the stacked denoising
    autoencoder: each entry zeroed with probability ``pretraining_noise``).
    The first layer uses the model's ``loss``; the others the squared
    error. The trained :math:`h_l` and :math:`g_l` become layer :math:`l` of
    the encoder and of the mirrored decoder, and the whole network is then
    fine-tuned end to end on :math:`-\\log p(x \\mid g(h(x)))`, exactly as
    :class:`AutoEncoder`.

    Parameters
    ----------
    n_components : int, default=2
        Size of the code.

    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers (an int: one layer); the
        decoder mirrors them.
        ``len(hidden_layer_sizes) + 1`` layers are pretrained.

    encoder : None, default=None
        Must be None: layer-wise pretraining trains the layers of the
        MLP one at a time, which a network of your own does not have.
        Use :class:`AutoEncoder` for your own networks.

    decoder : None, default=None
        Must be None, as ``encoder``.

    activation : {"relu", "tanh", "logistic", "elu", "gelu", "identity"}, \
default="relu"
        Nonlinearity between layers (the code layer is linear).

    {loss_parameter}

    pretraining : {"denoising", "plain"} or None, default="denoising"
        How each layer is pretrained: as a denoising autoencoder, a plain
        one, or not at all (None: random initialisation, an
        :class:`AutoEncoder`).

    pretraining_iter : int, default=10
        Epochs of pretraining per layer, before the ``max_iter`` epochs of
        fine-tuning. A pretraining epoch costs about one layer's share of a
        fine-tuning epoch.

    pretraining_noise : float, default=0.25
        Probability that masking noise zeroes an input of a layer being
        pretrained with ``pretraining="denoising"``.

{training_parameters}

    Attributes
    ----------
    pretraining_loss_curves_ : list of ndarray of shape (pretraining_iter,)
        Mean training loss of each pretraining epoch, one array per layer,
        first layer first; an empty list when ``pretraining=None``.

{training_attributes}

    See Also
    --------
    AutoEncoder : The same network, randomly initialised.

    Notes
    -----
    ``n_iter_``, ``loss_curve_`` and early stopping concern fine-tuning
    only; pretraining runs its ``pretraining_iter`` epochs per layer on the
    training part of the data (without the validation split). With
    ``warm_start=True`` a second ``fit`` continues fine-tuning without
    pretraining again.

    There is no ``partial_fit``: pretraining trains each layer for
    ``pretraining_iter`` epochs on the codes of the whole training set
    before the next layer starts, which a stream of chunks, seen once each,
    cannot give. Train an :class:`AutoEncoder` chunk by chunk instead, or
    ``fit`` this model on a representative sample and continue with
    ``warm_start=True``.

    Pretraining helps where it was invented, deep networks of saturating
    units: on digits scaled to [0, 1], a ``(48, 32, 24, 16, 8)`` network
    with ``activation="logistic"`` and 2 components trained from random
    initialisation for 80 epochs stays at the error of predicting the mean
    image (4.73 on held-out data), while 10 denoising pretraining epochs per
    layer and 20 of fine-tuning reach 4.20-4.26 (three seeds). With ReLU and
    Adam the same network does better from random initialisation (2.38-2.44
    against 2.80-3.01): prefer :class:`AutoEncoder` there.

    References
    ----------
    Bengio, Y., Lamblin, P., Popovici, D., & Larochelle, H. (2007). Greedy
    layer-wise training of deep networks. NIPS 19.

    Vincent, P., Larochelle, H., Lajoie, I., Bengio, Y., & Manzagol, P.-A.
    (2010). Stacked denoising autoencoders: Learning useful representations
    in a deep network with a local denoising criterion. JMLR, 11, 3371-3408.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import StackedAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> sae = StackedAutoEncoder(
    ...     n_components=2, hidden_layer_sizes=(32, 16), pretraining_iter=2,
    ...     max_iter=5, random_state=0,
    ... ).fit(X)
    >>> sae.transform(X).shape
    (1797, 2)
    >>> [curve.shape for curve in sae.pretraining_loss_curves_]
    [(2,), (2,), (2,)]
    """

    # Layer-wise pretraining encodes all training rows at once, layer by
    # layer (see Notes): large or memory-mapped X is copied to the device
    # whole, and there is no partial_fit.
    _needs_all_rows = True

    _parameter_constraints: dict = {
        **AutoEncoder._parameter_constraints,
        "pretraining": [StrOptions({"denoising", "plain"}), None],
        "pretraining_iter": [Interval(Integral, 1, None, closed="left")],
        "pretraining_noise": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(256, 128),
        encoder=None,
        decoder=None,
        activation="relu",
        loss="mse",
        pretraining="denoising",
        pretraining_iter=10,
        pretraining_noise=0.25,
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
        self.pretraining = pretraining
        self.pretraining_iter = pretraining_iter
        self.pretraining_noise = pretraining_noise

    def _row_data(self, X, y, **kwargs):
        refuse_own_networks(
            self,
            "layer-wise pretraining trains the layers of its MLP one at a "
            "time, which a network of your own does not have.",
        )
        return super()._row_data(X, y, **kwargs)

    def _pretrain(self, module, train, generator):
        curves = []
        if self.pretraining is None:
            return {"pretraining_loss_curves_": curves}
        hidden, activation, loss = self._architecture()
        widths = (train.inputs.shape[1], *hidden, self.n_components)
        encoder_layers = _linear_layers(module.encoder)
        # The decoder's layers, reversed, map layer l's codes back to l - 1's.
        decoder_layers = _linear_layers(module.decoder)[::-1]
        # Each layer trains like the whole network, for its own epochs, with
        # neither early stopping nor a schedule; the user's callbacks watch
        # the fine-tuning only.
        settings = self._training_settings().replace(
            max_iter=self.pretraining_iter,
            n_iter_no_change=None,
            learning_rate="constant",
            callbacks=(),
        )
        corrupt = None
        if self.pretraining == "denoising":
            corrupt = MaskingNoise(self.pretraining_noise)
        codes = train.inputs
        # Each layer's rows weigh as the network's do.
        weights = {k: v for k, v in train.side.items() if k == SAMPLE_WEIGHT}
        for depth in range(len(widths) - 1):
            # The code layer stays linear, as in the deep network.
            code_activation = activation if depth < len(widths) - 2 else None
            with deferred_initialisation():
                if depth == 0:
                    # Reads the data as the deep network does: standardised, with
                    # the model's likelihood.
                    layer = AutoEncoderModule(
                        widths[0],
                        widths[1],
                        (),
                        activation,
                        loss,
                        module.offset,
                        module.scale,
                        code_activation=code_activation,
                    )
                else:
                    layer = _LayerAutoEncoder(
                        widths[depth], widths[depth + 1], activation, code_activation
                    )
            initialise(layer, generator)
            name = f"{type(self).__name__} layer {depth + 1}"
            net = train_net(
                layer,
                Objective([(Reconstruction(), 1.0)]),
                settings.replace(name=name),
                RowDataset(codes, weights),
                corrupt=corrupt,
                generator=generator,
            )
            curves.append(np.asarray(net.history[:, "train_loss"], dtype=float))
            layer = net.module_.eval()
            encoder_layers[depth].load_state_dict(layer.encoder[0].state_dict())
            decoder_layers[depth].load_state_dict(layer.decoder[0].state_dict())
            # The next layer learns from this one's clean codes.
            with torch.no_grad():
                codes = layer.encode(codes)
        return {"pretraining_loss_curves_": curves}
