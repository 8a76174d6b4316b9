"""The contractive autoencoder: penalise the encoder's Jacobian."""

from numbers import Integral, Real

import torch

from ._autoencoder import AutoEncoder
from ._compat import Interval, StrOptions
from ._docstrings import fill_doc
from ._jacobian import encoder_layers, exact_sq_norm, random_projection_sq_norm
from ._modules import AutoEncoderModule, ModuleOutput
from ._objective import Term
from ._sample_weight import weighted_mean

CODE_ACTIVATIONS = ("identity", "logistic", "tanh")


class ContractiveModule(AutoEncoderModule):
    """An autoencoder module whose forward pass keeps its chain-rule factors.

    The forward pass runs the encoder layer by layer and records the
    derivative of each activation in ``encoder_derivatives``, so that the
    Jacobian penalty reuses this pass instead of running the encoder again
    (and, with smooth activations, differentiating that second pass too).
    Its parameters, and so its saved weights, are those of
    :class:`~sklearn_ae._modules.AutoEncoderModule`.
    """

    def forward(self, x, generator=None, **side):
        condition = self.condition(x, **side)
        traced = None if condition is not None else encoder_layers(self, x)
        if traced is None:
            return super().forward(x, generator=generator, **side)
        _, derivatives, code = traced
        return ModuleOutput(
            self.decode(code), code, encoder_derivatives=tuple(derivatives)
        )


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
        derivatives = None if output is None else output.encoder_derivatives
        if self.jacobian == "exact":
            norm = exact_sq_norm(module, batch.inputs, derivatives)
        else:
            norm = random_projection_sq_norm(
                module, batch.inputs, self.n_projections, batch.generator, derivatives
            )
        return weighted_mean(norm, batch)


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

    jacobian : {"auto", "exact", "random_projection"}, default="auto"
        How :math:`\\|J_h(x)\\|_F^2` is computed:

        - ``"exact"``: by the chain rule through the encoder's layers, at a
          cost of about ``n_components`` passes back through the encoder
          per sample.
        - ``"random_projection"``: the unbiased estimate
          :math:`\\frac{1}{K} \\sum_k \\|J^\\top u_k\\|^2`,
          :math:`u_k \\sim \\mathcal{N}(0, I)` drawn for each sample, over
          ``K = n_projections`` draws, which costs ``n_projections``
          passes back through the encoder whatever ``n_components``.
        - ``"auto"``: ``"exact"`` where it costs no more than the estimate
          (a one-layer encoder, ``hidden_layer_sizes=()``, whose penalty
          has a closed form, or ``n_components <= n_projections``),
          ``"random_projection"`` otherwise; see the Notes.

    n_projections : int, default=1
        Number of random projections per sample for
        ``jacobian="random_projection"`` (and ``"auto"`` when it estimates);
        ignored otherwise.

    code_activation : {"identity", "logistic", "tanh"}, default="identity"
        Activation of the code layer: ``"identity"`` is the linear code of
        :class:`AutoEncoder`, ``"logistic"`` the sigmoid code units of Rifai
        et al. (bounded codes, at some cost in reconstruction).

    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers (an int: one layer); the
        decoder mirrors them.
        ``()`` with ``code_activation="logistic"`` gives Rifai et al.'s
        one-layer encoder :math:`h = \\sigma(W x + b)`, for which
        :math:`\\|J_h\\|_F^2 = \\sum_j (h_j (1 - h_j))^2 \\|W_j\\|^2`.

    {network_parameters}

    activation : {"relu", "tanh", "logistic", "elu", "gelu", "identity"}, \
default="relu"
        Nonlinearity between layers. The output layer is linear.

    {loss_parameter}

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

    The default ``jacobian="auto"`` estimates the penalty for encoders with
    hidden layers because, measured on MNIST-5k at the same epochs, the
    estimate trains an encoder as contractive as the exact norm does
    (held-out :math:`\\|J_h\\|_F` and reconstruction error within 2%) for a
    fit 1.2x to 1.45x the :class:`AutoEncoder`'s, where the exact norm
    costs 1.4x to 1.6x with a 2-D code and 4.7x (``hidden_layer_sizes=(256,
    128)``) to 10x (``(1024, 512)``) with a 30-D code; see ``python -m
    benchmarks.contractive_cost``. The penalty reuses the training
    forward pass through the encoder: only the chain rule's passes back
    through it are extra.

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
        "jacobian": [StrOptions({"auto", "exact", "random_projection"})],
        "n_projections": [Interval(Integral, 1, None, closed="left")],
        "code_activation": [StrOptions(set(CODE_ACTIVATIONS))],
    }

    _allows_overcomplete = True

    _module_class = ContractiveModule

    def __init__(
        self,
        n_components=2,
        *,
        contraction=0.01,
        jacobian="auto",
        n_projections=1,
        code_activation="identity",
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
        self.contraction = contraction
        self.jacobian = jacobian
        self.n_projections = n_projections
        self.code_activation = code_activation

    def _module_options(self):
        return {"code_activation": self.code_activation}

    def _jacobian_method(self):
        """``jacobian`` with ``"auto"`` resolved by the architecture."""
        if self.jacobian != "auto":
            return self.jacobian
        # The exact norm costs n_components rows per sample through the
        # encoder, the estimate n_projections rows (one layer: a closed
        # form, cheaper than either).
        one_layer = self.encoder is None and len(self._architecture()[0]) == 0
        if one_layer or self.n_components <= self.n_projections:
            return "exact"
        return "random_projection"

    def _objective_terms(self):
        contraction = Contraction(self._jacobian_method(), self.n_projections)
        return [*super()._objective_terms(), (contraction, float(self.contraction))]
