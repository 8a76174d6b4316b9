"""Quality measures of an embedding and of a reconstruction.

Neighbourhood preservation reuses scikit-learn's ``trustworthiness``, in both
directions; the other measures are the held-out scores the benchmark reports:
k-NN accuracy for labelled data, correlation with the true coordinate for the
generated manifolds, and the reconstruction error.
"""

from numbers import Integral

import numpy as np
from scipy.stats import rankdata
from sklearn.manifold import trustworthiness as _sklearn_trustworthiness
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_array, column_or_1d

__all__ = [
    "continuity",
    "coordinate_correlation",
    "knn_accuracy",
    "reconstruction_error",
    "trustworthiness",
]


def _check_n_neighbors(n_neighbors):
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, Integral):
        raise TypeError(f"n_neighbors must be an int, got {n_neighbors!r}.")
    if n_neighbors < 1:
        raise ValueError(f"n_neighbors={n_neighbors}; pass at least 1 neighbour.")


def _check_pair(X, X_embedded, n_neighbors):
    X = check_array(X)
    X_embedded = check_array(X_embedded)
    if X.shape[0] != X_embedded.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} samples but X_embedded has "
            f"{X_embedded.shape[0]}; pass the embedding of the same rows."
        )
    _check_n_neighbors(n_neighbors)
    # scikit-learn's own rule: beyond n / 2 the normalisation of the rank
    # penalty no longer bounds the score in [0, 1].
    if n_neighbors >= X.shape[0] / 2:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be less than n_samples / 2 = "
            f"{X.shape[0] / 2}; pass fewer neighbours or more samples."
        )
    return X, X_embedded


def trustworthiness(X, X_embedded, *, n_neighbors=5, metric="euclidean"):
    r"""How far the embedding's neighbours are true neighbours (Venna & Kaski).

    With :math:`U_k(i)` the points among the k nearest neighbours of sample i
    in the embedding but not in X, and :math:`r(i, j)` the rank of j among
    the neighbours of i in X,

    .. math::

        T(k) = 1 - \frac{2}{n k (2 n - 3 k - 1)}
               \sum_{i=1}^{n} \sum_{j \in U_k(i)} (r(i, j) - k).

    1 means every point's ``n_neighbors`` nearest neighbours in the embedding
    are also among its nearest neighbours in X: the embedding brings no
    strangers together. This is :func:`sklearn.manifold.trustworthiness`,
    with its parameters and defaults, plus input checks.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points in the input space.
    X_embedded : array-like of shape (n_samples, n_components)
        The same points embedded.
    n_neighbors : int, default=5
        Neighbourhood size k; must be less than ``n_samples / 2``.
    metric : str or callable, default="euclidean"
        The distance between points of X, as
        :func:`sklearn.manifold.trustworthiness` takes it (any metric of
        :func:`sklearn.metrics.pairwise_distances`, or ``"precomputed"``
        with X a square matrix of distances); the embedding's distances are
        Euclidean.

    Returns
    -------
    trustworthiness : float
        In [0, 1], higher is better.

    See Also
    --------
    continuity : The converse: do true neighbours stay together?
    sklearn.manifold.trustworthiness : The implementation used here.

    References
    ----------
    J. Venna and S. Kaski, "Neighborhood preservation in nonlinear projection
    methods: an experimental study", ICANN 2001, LNCS 2130, pp. 485-491.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae.metrics import trustworthiness
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> X.shape, trustworthiness(X, X)
    ((50, 3), 1.0)
    """
    X, X_embedded = _check_pair(X, X_embedded, n_neighbors)
    return float(
        _sklearn_trustworthiness(X, X_embedded, n_neighbors=n_neighbors, metric=metric)
    )


def continuity(X, X_embedded, *, n_neighbors=5):
    r"""How far true neighbours stay neighbours in the embedding (Venna & Kaski).

    With :math:`V_k(i)` the points among the k nearest neighbours of sample i
    in X but not in the embedding, and :math:`\hat r(i, j)` the rank of j
    among the neighbours of i in the embedding,

    .. math::

        C(k) = 1 - \frac{2}{n k (2 n - 3 k - 1)}
               \sum_{i=1}^{n} \sum_{j \in V_k(i)} (\hat r(i, j) - k).

    1 means the embedding tears no neighbourhood apart.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points in the input space.
    X_embedded : array-like of shape (n_samples, n_components)
        The same points embedded.
    n_neighbors : int, default=5
        Neighbourhood size k, as :func:`trustworthiness`'s; must be less than
        ``n_samples / 2``.

    Returns
    -------
    continuity : float
        In [0, 1], higher is better.

    See Also
    --------
    trustworthiness : The converse: are embedded neighbours true neighbours?

    Notes
    -----
    :math:`C(k)` is :math:`T(k)` with the roles of the two spaces swapped:
    neighbourhoods are taken in X instead of the embedding and ranks in the
    embedding instead of X. So ``continuity(X, X_embedded)`` is computed as
    ``sklearn.manifold.trustworthiness(X_embedded, X)``. The two differ in
    general: an embedding that folds the data scores low on trustworthiness,
    one that tears it scores low on continuity.

    References
    ----------
    J. Venna and S. Kaski, "Neighborhood preservation in nonlinear projection
    methods: an experimental study", ICANN 2001, LNCS 2130, pp. 485-491.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae.metrics import continuity
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> X[:, :2].shape, continuity(X, X[:, :2]) > 0.5
    ((50, 2), True)
    """
    X, X_embedded = _check_pair(X, X_embedded, n_neighbors)
    return float(_sklearn_trustworthiness(X_embedded, X, n_neighbors=n_neighbors))


def knn_accuracy(Z_train, y_train, Z_test, y_test, *, n_neighbors=5):
    """Held-out k-nearest-neighbour classification accuracy in an embedding.

    A :class:`~sklearn.neighbors.KNeighborsClassifier` is fitted on the
    embedded training points and scored on the embedded test points: the
    fraction of test points whose class is the majority among their
    ``n_neighbors`` nearest training points.

    Parameters
    ----------
    Z_train : array-like of shape (n_train, n_components)
        Embedded training points.
    y_train : array-like of shape (n_train,)
        Their class labels.
    Z_test : array-like of shape (n_test, n_components)
        Embedded held-out points, from the same model as ``Z_train``.
    y_test : array-like of shape (n_test,)
        Their class labels.
    n_neighbors : int, default=5
        Neighbours that vote; at most ``n_train``.

    Returns
    -------
    accuracy : float
        In [0, 1], higher is better; chance is about one over the number of
        classes.

    See Also
    --------
    sklearn.neighbors.KNeighborsClassifier : The classifier used here.

    Examples
    --------
    >>> from sklearn_ae.metrics import knn_accuracy
    >>> Z_train, y_train = [[0.0], [1.0], [10.0], [11.0]], [0, 0, 1, 1]
    >>> knn_accuracy(Z_train, y_train, [[0.5], [10.5]], [0, 1], n_neighbors=1)
    1.0
    """
    Z_train = check_array(Z_train)
    Z_test = check_array(Z_test)
    y_train = column_or_1d(y_train)
    y_test = column_or_1d(y_test)
    if len(y_train) != len(Z_train) or len(y_test) != len(Z_test):
        raise ValueError(
            f"Z_train has {len(Z_train)} rows and y_train {len(y_train)}; "
            f"Z_test has {len(Z_test)} rows and y_test {len(y_test)}. Pass one "
            "label per embedded point."
        )
    if Z_train.shape[1] != Z_test.shape[1]:
        raise ValueError(
            f"Z_train has {Z_train.shape[1]} columns but Z_test has "
            f"{Z_test.shape[1]}; embed both with the same model."
        )
    _check_n_neighbors(n_neighbors)
    if n_neighbors > len(Z_train):
        raise ValueError(
            f"n_neighbors={n_neighbors} is more than the {len(Z_train)} "
            "training points; pass fewer neighbours or more training points."
        )
    classifier = KNeighborsClassifier(n_neighbors=n_neighbors).fit(Z_train, y_train)
    return float(classifier.score(Z_test, y_test))


def coordinate_correlation(Z, coordinate):
    """Largest absolute Spearman correlation of one embedding axis with a coordinate.

    For data generated along a known manifold coordinate (the position ``t``
    along a swiss roll), 1 means some single axis of the embedding orders the
    points exactly as the coordinate does: the manifold was unrolled. Being a
    rank correlation, it accepts any monotone distortion of the coordinate.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        The embedding.
    coordinate : array-like of shape (n_samples,)
        The true manifold coordinate of each sample.

    Returns
    -------
    correlation : float
        In [0, 1], higher is better. A constant axis counts as uncorrelated.

    See Also
    --------
    scipy.stats.spearmanr : Spearman's rank correlation of two samples.
    sklearn.datasets.make_swiss_roll : Points with their coordinate.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae.metrics import coordinate_correlation
    >>> t = np.linspace(0, 1, 20)
    >>> Z = np.c_[np.sin(3 * t), t**3]
    >>> Z.shape, round(coordinate_correlation(Z, t), 6)
    ((20, 2), 1.0)
    """
    Z = check_array(Z, ensure_min_samples=2)
    coordinate = check_array(coordinate, ensure_2d=False)
    if coordinate.ndim != 1:
        raise ValueError(
            f"coordinate has shape {coordinate.shape}; pass one number per "
            "sample, an array of shape (n_samples,)."
        )
    if len(coordinate) != len(Z):
        raise ValueError(
            f"Z has {len(Z)} samples but coordinate has {len(coordinate)}; "
            "pass one coordinate per embedded point."
        )
    # Spearman's correlation is Pearson's on ranks; ranking every axis at
    # once avoids one scipy call per axis and its warning on constant input.
    ranks = rankdata(np.c_[coordinate, Z], axis=0)
    ranks -= ranks.mean(axis=0)
    norms = np.linalg.norm(ranks, axis=0)
    if norms[0] == 0:
        raise ValueError(
            "coordinate is constant, so no axis can be correlated with it; "
            "pass the varying manifold coordinate."
        )
    covariances = ranks[:, 1:].T @ ranks[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        correlations = np.abs(covariances) / (norms[1:] * norms[0])
    return float(np.max(np.nan_to_num(correlations, nan=0.0), initial=0.0))


def reconstruction_error(X, X_reconstructed):
    r"""Mean over samples of the squared Euclidean distance to the reconstruction.

    .. math::

        \frac{1}{n} \sum_{i=1}^{n} \lVert x_i - \hat x_i \rVert_2^2

    A sum over features, not a mean, so the value grows with the number of
    features: for the 5,000-image MNIST subset in [0, 1], PCA with 30
    components fitted on 4,000 images leaves about 14 on them and about 17 on
    the 1,000 held out.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The original points.
    X_reconstructed : array-like of shape (n_samples, n_features)
        Their reconstructions, e.g. ``model.inverse_transform(model.transform(X))``.

    Returns
    -------
    error : float
        Non-negative, lower is better.

    See Also
    --------
    sklearn.metrics.mean_squared_error : The mean over features too.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae.metrics import reconstruction_error
    >>> X, X_hat = np.array([[0, 0], [1, 1]]), np.array([[0, 1], [1, 1]])
    >>> X.shape, reconstruction_error(X, X_hat)
    ((2, 2), 0.5)
    """
    X = check_array(X)
    X_reconstructed = check_array(X_reconstructed)
    if X.shape != X_reconstructed.shape:
        raise ValueError(
            f"X has shape {X.shape} but X_reconstructed has shape "
            f"{X_reconstructed.shape}; pass the reconstruction of the same rows."
        )
    diff = X - X_reconstructed
    return float(np.einsum("ij,ij->i", diff, diff).mean())
