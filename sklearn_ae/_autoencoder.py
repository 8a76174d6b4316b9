"""The deep autoencoder and the linear autoencoder."""

from numbers import Integral

import numpy as np
import torch

from ._base import _BaseAutoEncoder
from ._compat import Interval, StrOptions
from ._docstrings import fill_doc
from ._likelihoods import LIKELIHOODS
from ._modules import ACTIVATIONS
from ._networks import NETWORK_CONSTRAINTS, refuse_own_networks
from ._partial_fit import PartialFitMixin
from ._rows import STATISTICS_BLOCK_ROWS


@fill_doc
class AutoEncoder(PartialFitMixin, _BaseAutoEncoder):
    """Deep (nonlinear) autoencoder for dimensionality reduction.

    An encoder ``h`` maps each sample to a code of ``n_components`` numbers
    and a mirrored decoder ``g`` maps codes back; both are multilayer
    perceptrons trained to minimise the reconstruction loss, read as a
    negative log-likelihood:

    .. math::

        L(x) = -\\log p(x \\mid g(h(x))),

    a unit-variance Gaussian (``loss="mse"``, squared error) or a Bernoulli
    (``loss="bce"``, binary cross-entropy, for data in [0, 1]).
    Unlike t-SNE or Isomap, the fitted encoder maps new points
    (:meth:`transform`), and the decoder maps codes back to data space
    (:meth:`inverse_transform`).

    Parameters
    ----------
    n_components : int, default=2
        Size of the code (the embedding dimension).

    hidden_layer_sizes : int or tuple of int, default=(256, 128)
        Widths of the encoder's hidden layers (an int: one layer); the
        decoder mirrors them.

    {network_parameters}

    activation : {"relu", "tanh", "logistic", "elu", "gelu", "identity"}, \
default="relu"
        Nonlinearity between layers. The code layer and the output layer are
        linear (the output is a Bernoulli logit for ``loss="bce"``).

    {loss_parameter}

{training_parameters}

    Attributes
    ----------
{training_attributes}

    See Also
    --------
    LinearAutoEncoder : The linear special case, which recovers PCA's
        subspace.
    sklearn.decomposition.PCA : Linear dimensionality reduction.
    sklearn.manifold.Isomap : Neighbourhood-graph embedding.

    Notes
    -----
    The network reads standardised inputs (the training mean, and each
    feature's standard deviation floored at the mean over features, stored in
    the module) and, for ``loss="mse"``, maps its output back to data units,
    so unscaled data trains well without a scaler while the loss and
    :meth:`score` stay in data units.

    The defaults ``weight_decay=0.3`` and ``batch_size=64`` regularise the
    network: with 30 components on 4,000 MNIST images they cut the held-out
    reconstruction error by 16% (to 0.63x PCA's) against no decay and
    batches of 128, for 1.6x the fit time; see ``python -m
    benchmarks.defaults``.

    Training runs in float32 (the speed torch users expect). Float64 input
    is transformed by a float64 copy of the trained weights, so outputs keep
    the input's dtype and do not depend on how rows are batched.

    Sparse input is refused with a TypeError; densify it first.

    References
    ----------
    Hinton, G. E., & Salakhutdinov, R. R. (2006). Reducing the dimensionality
    of data with neural networks. Science, 313(5786), 504-507.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoEncoder(n_components=2, max_iter=5, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (1797, 2)
    >>> ae.inverse_transform(ae.transform(X[:3])).shape
    (3, 64)
    """

    _parameter_constraints: dict = {
        **_BaseAutoEncoder._parameter_constraints,
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        **NETWORK_CONSTRAINTS,
        "activation": [StrOptions(set(ACTIVATIONS))],
        # The registry's live view: every likelihood class defined is valid.
        "loss": [StrOptions(LIKELIHOODS.keys())],
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.encoder = encoder
        self.decoder = decoder
        self.activation = activation
        self.loss = loss


@fill_doc
class LinearAutoEncoder(PartialFitMixin, _BaseAutoEncoder):
    """Linear autoencoder: one linear encoder layer, one linear decoder layer.

    The code is :math:`h = W (x - \\mu)` and the reconstruction
    :math:`g(h) = V h + b`,
    trained on the squared error (a unit-variance Gaussian likelihood). At its
    optimum the codes span the same subspace as PCA's first ``n_components``
    principal components (Baldi & Hornik, 1989): the codes are PCA's scores up
    to an invertible linear map, though not orthogonal or ordered by variance.
    ``components_`` makes the comparison with :class:`~sklearn.decomposition.PCA`
    direct: an orthonormal basis of the decoder's span, ordered as PCA orders
    its own, with the variance of the training data along each axis.
    It is the baseline that shows what the nonlinear models add.

    Its default ``learning_rate_init`` is 3e-3 rather than 1e-3: the linear
    problem has no spurious local minima, and the larger step reaches PCA's
    subspace within the default epochs. It trains at that rate, constant
    while an iteration is a pass over the data (``learning_rate="auto"``),
    with no weight decay, which would shrink the solution away from PCA's.

    Parameters
    ----------
    n_components : int, default=2
        Size of the code.

    encoder : None, default=None
        Must be None: the model is linear by definition, and its
        ``components_`` are read from its one linear decoder layer. Use
        :class:`AutoEncoder` for networks of your own.

    decoder : None, default=None
        Must be None, as ``encoder``.

    {training_parameters}

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features_in_)
        An orthonormal basis of the span of the decoder's columns (in data
        units): the subspace the reconstructions lie in, up to the decoder's
        bias. Rotated within that span to the axes of the training data's
        covariance and ordered by decreasing ``explained_variance_``, as
        :class:`~sklearn.decomposition.PCA` orders ``components_``; each
        axis's sign makes its largest entry positive. At the optimum they
        are PCA's components, up to signs where two variances are close.

    explained_variance_ : ndarray of shape (n_components,)
        Variance of the training rows (unbiased, as PCA's) along each of
        ``components_``.

    explained_variance_ratio_ : ndarray of shape (n_components,)
        ``explained_variance_`` as a share of the training rows' total
        variance.

    {training_attributes}

    See Also
    --------
    AutoEncoder : The deep, nonlinear autoencoder.
    sklearn.decomposition.PCA : The closed-form solution of the same problem.

    References
    ----------
    Baldi, P., & Hornik, K. (1989). Neural networks and principal component
    analysis: Learning from examples without local minima. Neural Networks,
    2(1), 53-58.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import LinearAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> lae = LinearAutoEncoder(n_components=5, max_iter=5, random_state=0)
    >>> lae.fit_transform(X).shape
    (1797, 5)
    """

    _parameter_constraints: dict = {
        **_BaseAutoEncoder._parameter_constraints,
        **NETWORK_CONSTRAINTS,
    }

    def _row_data(self, X, y, **kwargs):
        refuse_own_networks(
            self,
            "it is linear by definition, and its components_ are read from "
            "its one linear decoder layer.",
        )
        return super()._row_data(X, y, **kwargs)

    def __init__(
        self,
        n_components=2,
        *,
        encoder=None,
        decoder=None,
        batch_size=64,
        learning_rate_init=3e-3,
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
        self.encoder = encoder
        self.decoder = decoder

    def _architecture(self):
        return (), "identity", "mse"

    def _after_training(self, X, train, *, partial, generator):
        # With early stopping the training rows exclude the validation rows;
        # a partial_fit call measures its own chunk.
        module = self.net_.module_
        decoder = module.decoder[0].weight.detach().cpu().double().numpy()
        decoder = decoder * module.scale.detach().cpu().double().numpy()[:, None]
        components, variance, total = principal_axes(decoder, train.inputs)
        self.components_ = components
        self.explained_variance_ = variance
        self.explained_variance_ratio_ = variance / total if total > 0 else variance


def _blocks(rows):
    """Blocks of ``rows`` (a tensor, or HostRows) as float64 numpy arrays."""
    for start in range(0, len(rows), STATISTICS_BLOCK_ROWS):
        block = rows[start : start + STATISTICS_BLOCK_ROWS]
        yield block.detach().cpu().double().numpy()


def principal_axes(span, rows):
    """PCA's axes within a subspace: ``(components, variances, total variance)``.

    ``span`` (n_features, k) spans the subspace; ``rows`` (n_samples,
    n_features) are read a block at a time. The components are an
    orthonormal basis of the span turned to the eigenvectors of the rows'
    covariance within it, by decreasing variance, each signed so that its
    largest entry is positive (scikit-learn's ``svd_flip`` for ``V``).
    Variances are unbiased (``n_samples - 1``), as PCA's.
    """
    basis, _ = np.linalg.qr(span)
    n = len(rows)
    mean = sum(block.sum(axis=0) for block in _blocks(rows)) / n
    scatter = np.zeros((basis.shape[1],) * 2)
    total = 0.0
    for block in _blocks(rows):
        centred = block - mean
        projected = centred @ basis
        scatter += projected.T @ projected
        total += float(np.square(centred).sum())
    dof = max(n - 1, 1)
    variances, rotation = np.linalg.eigh(scatter / dof)
    order = np.argsort(variances)[::-1]
    components = (basis @ rotation[:, order]).T
    largest = np.abs(components).argmax(axis=1)
    components *= np.sign(components[np.arange(len(components)), largest])[:, None]
    return components, np.clip(variances[order], 0, None), total / dof
