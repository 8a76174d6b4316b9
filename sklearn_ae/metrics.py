"""Quality measures of an embedding and of a reconstruction.

Neighbourhood preservation reuses scikit-learn's ``trustworthiness``; the
rest are the held-out measures the benchmark reports.
"""

import numpy as np
from scipy.stats import spearmanr
from sklearn.manifold import trustworthiness as _sklearn_trustworthiness
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.validation import check_array, check_consistent_length

__all__ = [
    "continuity",
    "coordinate_correlation",
    "knn_accuracy",
    "reconstruction_error",
    "trustworthiness",
]


def _check_pair(X, X_embedded, n_neighbors):
    X = check_array(X)
    X_embedded = check_array(X_embedded)
    check_consistent_length(X, X_embedded)
    if n_neighbors >= X.shape[0] / 2:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be less than n_samples / 2 = "
            f"{X.shape[0] / 2}; pass fewer neighbours or more samples."
        )
    return X, X_embedded


def trustworthiness(X, X_embedded, *, n_neighbors=10):
    """How far the embedding's neighbours are true neighbours (Venna & Kaski).

    1 means every point's ``n_neighbors`` nearest neighbours in the embedding
    are also among its nearest neighbours in the input space; points that
    intrude into a neighbourhood are penalised by their rank in X.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Points in the input space.
    X_embedded : array-like of shape (n_samples, n_components)
        The same points embedded.
    n_neighbors : int, default=10
        Neighbourhood size; must be below ``n_samples / 2``.

    Returns
    -------
    trustworthiness : float
        In [0, 1], higher is better.

    See Also
    --------
    continuity : The converse: are true neighbours kept together?
    sklearn.manifold.trustworthiness : The implementation used here.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae.metrics import trustworthiness
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> trustworthiness(X, X)
    1.0
    """
    X, X_embedded = _check_pair(X, X_embedded, n_neighbors)
    return float(_sklearn_trustworthiness(X, X_embedded, n_neighbors=n_neighbors))


def continuity(X, X_embedded, *, n_neighbors=10):
    """How far true neighbours stay neighbours in the embedding.

    Continuity is trustworthiness with the two spaces' roles swapped: points
    that are neighbours in X but missing from the embedded neighbourhood are
    penalised by their rank in the embedding.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    X_embedded : array-like of shape (n_samples, n_components)
    n_neighbors : int, default=10

    Returns
    -------
    continuity : float
        In [0, 1], higher is better.

    Notes
    -----
    With ``U_k(i)`` the points among the k nearest neighbours of i in X but
    not in the embedding and ``r'(i, j)`` the rank of j among i's neighbours
    in the embedding,
    ``C(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in U_k(i)} (r'(i, j) - k)``,
    which is ``trustworthiness(X_embedded, X)`` (Venna & Kaski, 2001).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae.metrics import continuity
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> continuity(X, X[:, :2]) > 0.5
    True
    """
    X, X_embedded = _check_pair(X, X_embedded, n_neighbors)
    return float(_sklearn_trustworthiness(X_embedded, X, n_neighbors=n_neighbors))


def knn_accuracy(Z_train, y_train, Z_test, y_test, *, n_neighbors=5):
    """Held-out k-nearest-neighbour classification accuracy in an embedding.

    Parameters
    ----------
    Z_train : array-like of shape (n_train, n_components)
    y_train : array-like of shape (n_train,)
    Z_test : array-like of shape (n_test, n_components)
    y_test : array-like of shape (n_test,)
    n_neighbors : int, default=5

    Returns
    -------
    accuracy : float

    Examples
    --------
    >>> from sklearn_ae.metrics import knn_accuracy
    >>> knn_accuracy([[0], [1], [10], [11]], [0, 0, 1, 1], [[0.5], [10.5]], [0, 1],
    ...              n_neighbors=1)
    1.0
    """
    Z_train = check_array(Z_train)
    Z_test = check_array(Z_test)
    check_consistent_length(Z_train, y_train)
    check_consistent_length(Z_test, y_test)
    if Z_train.shape[1] != Z_test.shape[1]:
        raise ValueError(
            f"Z_train has {Z_train.shape[1]} columns but Z_test has "
            f"{Z_test.shape[1]}; embed both with the same model."
        )
    classifier = KNeighborsClassifier(n_neighbors=n_neighbors).fit(Z_train, y_train)
    return float(classifier.score(Z_test, y_test))


def coordinate_correlation(Z, coordinate):
    """Largest absolute Spearman correlation of one embedding axis with a coordinate.

    For data generated along a known manifold coordinate (the swiss roll's
    angle), 1 means some axis of the embedding orders the points exactly as
    the coordinate does: the manifold was unrolled.

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
    coordinate : array-like of shape (n_samples,)

    Returns
    -------
    correlation : float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae.metrics import coordinate_correlation
    >>> t = np.linspace(0, 1, 20)
    >>> round(coordinate_correlation(np.c_[np.sin(t), t ** 3], t), 6)
    1.0
    """
    Z = check_array(Z)
    coordinate = np.asarray(coordinate, dtype=float).ravel()
    check_consistent_length(Z, coordinate)
    correlations = [abs(spearmanr(axis, coordinate)[0]) for axis in Z.T]
    return float(np.nanmax(correlations))


def reconstruction_error(X, X_reconstructed):
    """Mean over samples of the squared Euclidean reconstruction error.

    For MNIST scaled to [0, 1], PCA with 30 components leaves about 14.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    X_reconstructed : array-like of shape (n_samples, n_features)

    Returns
    -------
    error : float

    Examples
    --------
    >>> from sklearn_ae.metrics import reconstruction_error
    >>> reconstruction_error([[0, 0], [1, 1]], [[0, 1], [1, 1]])
    0.5
    """
    X = check_array(X)
    X_reconstructed = check_array(X_reconstructed)
    if X.shape != X_reconstructed.shape:
        raise ValueError(
            f"X has shape {X.shape} but X_reconstructed has shape "
            f"{X_reconstructed.shape}."
        )
    return float(((X - X_reconstructed) ** 2).sum(axis=1).mean())
