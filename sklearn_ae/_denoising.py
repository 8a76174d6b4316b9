"""The denoising autoencoder: reconstruct clean data from corrupted input."""

from numbers import Real

import numpy as np
import torch

from ._autoencoder import AutoEncoder
from ._compat import Interval, StrOptions
from ._docstrings import fill_doc

NOISES = ("gaussian", "masking", "salt_and_pepper")


class Corruption:
    """Corrupt a clean batch: the denoising autoencoder's noise process.

    A plain class rather than a closure so that the fitted net, which keeps
    it, can be pickled. Its per-feature statistics stay on the CPU and are
    moved to the batch's device on use, so a model fitted on a GPU unpickles
    on a machine without one.

    Parameters
    ----------
    noise : {"gaussian", "masking", "salt_and_pepper"}
    noise_level : float
        Noise standard deviation in units of each feature's input scale
        (gaussian), or the fraction of entries corrupted.
    scale : Tensor of shape (n_features,)
        The network's input scale of each feature
        (:func:`~sklearn_ae._scaling.standardisation`).
    low, high : Tensor of shape (n_features,)
        Training minimum and maximum of each feature.
    """

    def __init__(self, noise, noise_level, scale, low, high):
        self.noise = noise
        self.noise_level = noise_level
        self.scale = scale
        self.low = low
        self.high = high

    def __call__(self, batch, generator=None):
        # Drawn from the fit's generator, which the training loop passes.
        def draw(sampler):
            return sampler(
                batch.shape, generator=generator, device=batch.device, dtype=batch.dtype
            )

        if self.noise == "gaussian":
            scale = self.scale.to(batch.device, batch.dtype)
            return batch + self.noise_level * scale * draw(torch.randn)
        chosen = draw(torch.rand) < self.noise_level
        if self.noise == "masking":
            return batch.masked_fill(chosen, 0.0)
        # Salt and pepper: each chosen entry goes to its feature's training
        # minimum or maximum with equal probability.
        low = self.low.to(batch.device, batch.dtype)
        high = self.high.to(batch.device, batch.dtype)
        salt = draw(torch.rand) < 0.5
        return torch.where(chosen, torch.where(salt, high, low), batch)


@fill_doc
class DenoisingAutoEncoder(AutoEncoder):
    """Denoising autoencoder: learns to undo a corruption of its input.

    Each training batch :math:`x` is corrupted into :math:`\\tilde x` by a
    random noise process, and the network learns to reconstruct the clean
    :math:`x` from it:

    .. math::

        L(x) = -\\log p(x \\mid g(h(\\tilde x))),

    the reconstruction negative log-likelihood (squared error for
    ``loss="mse"``, binary cross-entropy for ``loss="bce"``) measured against
    the clean input. Learning to denoise forces the codes to capture the
    structure of the data rather than copy it; more noise gives more global
    features. Only training batches are corrupted: :meth:`transform`,
    :meth:`score` and the validation loss see the data as given.

    Parameters
    ----------
    n_components : int, default=2
        Size of the code (the embedding dimension).

    noise : {"gaussian", "masking", "salt_and_pepper"}, default="gaussian"
        The corruption of training batches:

        - ``"gaussian"``: additive noise
          :math:`\\tilde x_j = x_j + \\nu s_j \\varepsilon`,
          :math:`\\varepsilon \\sim \\mathcal{N}(0, 1)`, with :math:`\\nu` =
          ``noise_level`` and :math:`s_j` the scale the network divides
          feature :math:`j` by (its training standard deviation; see the
          Notes of :class:`AutoEncoder`). The noise is thus
          :math:`\\mathcal{N}(0, \\nu^2)` in the standardised units the
          encoder reads, whatever the data's units.
        - ``"masking"``: each entry is set to 0 with probability
          ``noise_level`` (masking noise of Vincent et al., for data where 0
          means "absent", such as pixel intensities or counts).
        - ``"salt_and_pepper"``: each entry is, with probability
          ``noise_level``, set to its feature's training minimum or maximum
          (a fair coin decides which).

    noise_level : float, default=0.5
        Strength of the corruption: the Gaussian noise's standard deviation
        in units of each feature's scale :math:`s_j` (>= 0), or the fraction
        of entries corrupted for ``"masking"`` and ``"salt_and_pepper"`` (in
        [0, 1]). 0 trains a plain autoencoder.

    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers (an int: one layer); the
        decoder mirrors them.

    {network_parameters}

    activation : {"relu", "tanh", "logistic", "elu", "gelu", "identity"}, \
default="relu"
        Nonlinearity between layers. The code layer and the output layer are
        linear.

    {loss_parameter}

{training_parameters}

    Attributes
    ----------
{training_attributes}

    See Also
    --------
    AutoEncoder : The same network trained on clean input.
    ContractiveAutoEncoder : Penalises the encoder's sensitivity analytically
        instead of by sampling noise.

    Notes
    -----
    The corruption is drawn afresh for every batch of every epoch from
    the fit's own torch generator, seeded by ``random_state``, so a fit is
    reproducible.
    The training loss (``loss_curve_``) is measured on corrupted inputs and is
    therefore higher than a plain autoencoder's.

    References
    ----------
    Vincent, P., Larochelle, H., Lajoie, I., Bengio, Y., & Manzagol, P.-A.
    (2010). Stacked denoising autoencoders: Learning useful representations
    in a deep network with a local denoising criterion. Journal of Machine
    Learning Research, 11, 3371-3408.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import DenoisingAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> dae = DenoisingAutoEncoder(n_components=2, noise="masking",
    ...                            noise_level=0.25, max_iter=5, random_state=0)
    >>> dae.fit_transform(X).shape
    (1797, 2)
    """

    _parameter_constraints: dict = {
        **AutoEncoder._parameter_constraints,
        "noise": [StrOptions(set(NOISES))],
        "noise_level": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        noise="gaussian",
        noise_level=0.5,
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
        self.noise = noise
        self.noise_level = noise_level

    def _row_data(self, X, y, **kwargs):
        side = super()._row_data(X, y, **kwargs)
        if self.noise != "gaussian" and self.noise_level > 1:
            raise ValueError(
                f"noise_level={self.noise_level!r} is the fraction of entries "
                f"corrupted when noise={self.noise!r}, so it must be in [0, 1]."
            )
        return side

    def _corruption(self, module, X):
        return Corruption(
            self.noise,
            float(self.noise_level),
            module.scale.detach().cpu(),
            torch.as_tensor(np.min(X, axis=0), dtype=torch.float32),
            torch.as_tensor(np.max(X, axis=0), dtype=torch.float32),
        )
