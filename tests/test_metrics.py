"""The embedding and reconstruction measures against known values."""

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.datasets import make_blobs, make_swiss_roll

from sklearn_ae.metrics import (
    continuity,
    coordinate_correlation,
    knn_accuracy,
    reconstruction_error,
    trustworthiness,
)


def brute_force_continuity(X, Z, k):
    """Venna & Kaski's continuity, straight from its definition."""
    n = len(X)

    def neighbours_and_ranks(A):
        d = ((A[:, None, :] - A[None, :, :]) ** 2).sum(-1)
        np.fill_diagonal(d, np.inf)
        order = np.argsort(d, axis=1, kind="stable")
        rank = np.empty_like(order)
        rank[np.arange(n)[:, None], order] = np.arange(1, n + 1)
        return order[:, :k], rank

    neighbours_x, _ = neighbours_and_ranks(X)
    neighbours_z, rank_z = neighbours_and_ranks(Z)
    total = 0
    for i in range(n):
        for j in set(neighbours_x[i]) - set(neighbours_z[i]):
            total += rank_z[i, j] - k
    return 1 - 2.0 / (n * k * (2 * n - 3 * k - 1)) * total


def test_identity_embedding_is_perfect():
    X = np.random.RandomState(0).normal(size=(80, 5))
    assert trustworthiness(X, X) == pytest.approx(1.0)
    assert continuity(X, X) == pytest.approx(1.0)


def test_random_embedding_scores_lower_than_the_unrolled_sheet():
    X, t = make_swiss_roll(300, random_state=0)
    unrolled = np.c_[t, X[:, 1]]
    random = np.random.RandomState(1).normal(size=(300, 2))
    for measure in (trustworthiness, continuity):
        good, bad = measure(X, unrolled), measure(X, random)
        assert good > 0.9, f"{measure.__name__} of the unrolled sheet: {good:.3f}"
        assert bad < 0.7, f"{measure.__name__} of a random embedding: {bad:.3f}"


def test_continuity_by_hand():
    # Five points on a line, all pairwise distances distinct (no rank ties).
    # The embedding moves C to 7, D to 15 and E to 3; k = 1.
    #   nearest neighbour in X:  A-B  B-A  C-B  D-C  E-D
    #   nearest neighbour in Z:  A-B  B-A  C-E  D-C  E-B
    # Continuity: C loses B, which is 2nd from C in Z (penalty 2 - 1 = 1);
    # E loses D, 4th from E in Z (penalty 3); total 4.
    # Trustworthiness: E intrudes on C, 4th from C in X (penalty 3); B
    # intrudes on E, 3rd from E in X (penalty 2); total 5.
    # Normalisation 2 / (n k (2n - 3k - 1)) = 2 / 30.
    X = np.array([[0.0], [1.0], [3.0], [7.0], [15.0]])
    Z = np.array([[0.0], [1.0], [7.0], [15.0], [3.0]])
    assert continuity(X, Z, n_neighbors=1) == pytest.approx(1 - 4 / 15)
    assert trustworthiness(X, Z, n_neighbors=1) == pytest.approx(1 - 5 / 15)
    assert brute_force_continuity(X, Z, 1) == pytest.approx(1 - 4 / 15)
    # The identity the implementation rests on: the roles swapped.
    assert continuity(X, Z, n_neighbors=1) == trustworthiness(Z, X, n_neighbors=1)


@pytest.mark.parametrize("k", [1, 4, 9])
def test_continuity_matches_its_definition(k):
    rng = np.random.RandomState(k)
    X = rng.normal(size=(30, 4))
    Z = X[:, :2] + 0.3 * rng.normal(size=(30, 2))
    assert continuity(X, Z, n_neighbors=k) == pytest.approx(
        brute_force_continuity(X, Z, k)
    )


def test_knn_accuracy_separated_and_shuffled():
    Z, y = make_blobs(600, centers=3, cluster_std=0.1, random_state=0)
    assert knn_accuracy(Z[:300], y[:300], Z[300:], y[300:]) == 1.0
    shuffled = np.random.RandomState(0).permutation(y)
    chance = knn_accuracy(Z[:300], shuffled[:300], Z[300:], shuffled[300:])
    assert abs(chance - 1 / 3) < 0.12, f"shuffled labels: {chance:.3f}, chance 1/3"


def test_coordinate_correlation():
    rng = np.random.RandomState(0)
    t = np.linspace(0, 3, 500)
    noise = rng.normal(size=(500, 2))
    monotone = np.c_[noise[:, 0], np.exp(t)]
    assert coordinate_correlation(monotone, t) == pytest.approx(1)
    assert coordinate_correlation(np.c_[noise[:, 0], -(t**3)], t) == pytest.approx(1)
    independent = coordinate_correlation(noise, t)
    assert independent < 0.15, f"independent noise: {independent:.3f}"


def test_coordinate_correlation_is_spearman_and_ignores_constant_axes():
    rng = np.random.RandomState(0)
    t = rng.uniform(size=50)
    Z = np.c_[t + rng.normal(size=50), np.ones(50), np.round(t, 1)]
    expected = max(abs(spearmanr(Z[:, j], t)[0]) for j in (0, 2))
    assert coordinate_correlation(Z, t) == pytest.approx(expected)
    assert coordinate_correlation(np.ones((50, 2)), t) == 0.0


def test_reconstruction_error_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    X_hat = np.array([[1.0, 0.0], [1.0, 0.0]])
    # Squared distances 1 and 4, averaged over the two samples.
    assert reconstruction_error(X, X_hat) == pytest.approx(2.5)
    assert reconstruction_error(X.astype(np.float32), X_hat) == pytest.approx(2.5)
    assert reconstruction_error(X, X) == 0.0


def test_errors_name_the_problem():
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="X has 20 samples but X_embedded has 10"):
        trustworthiness(X, X[:10])
    with pytest.raises(ValueError, match="n_neighbors=10 must be less than"):
        continuity(X, X, n_neighbors=10)
    with pytest.raises(ValueError, match="n_neighbors=0"):
        trustworthiness(X, X, n_neighbors=0)
    with pytest.raises(TypeError, match="n_neighbors must be an int"):
        continuity(X, X, n_neighbors=2.5)
    with pytest.raises(ValueError, match="X_reconstructed has shape"):
        reconstruction_error(X, X[:, :2])
    with pytest.raises(ValueError, match="columns"):
        knn_accuracy(X, np.zeros(20), X[:, :2], np.zeros(20))
    with pytest.raises(ValueError, match="one label per embedded point"):
        knn_accuracy(X, np.zeros(19), X, np.zeros(20))
    with pytest.raises(ValueError, match="n_neighbors=30 is more than the 20"):
        knn_accuracy(X, np.zeros(20), X, np.zeros(20), n_neighbors=30)
    with pytest.raises(ValueError, match="coordinate has 19"):
        coordinate_correlation(X, np.arange(19))
    with pytest.raises(ValueError, match=r"shape \(n_samples,\)"):
        coordinate_correlation(X, X[:, :2])
    with pytest.raises(ValueError, match="coordinate is constant"):
        coordinate_correlation(X, np.zeros(20))


def test_trustworthiness_keeps_scikit_learns_parameters_and_defaults():
    from sklearn.manifold import trustworthiness as sklearn_trustworthiness
    from sklearn.metrics import pairwise_distances

    rng = np.random.RandomState(0)
    X, Z = rng.normal(size=(60, 5)), rng.normal(size=(60, 2))
    assert trustworthiness(X, Z) == sklearn_trustworthiness(X, Z)
    manhattan = trustworthiness(X, Z, metric="manhattan")
    assert manhattan == sklearn_trustworthiness(X, Z, metric="manhattan")
    assert manhattan != trustworthiness(X, Z)
    distances = pairwise_distances(X, metric="manhattan")
    assert trustworthiness(distances, Z, metric="precomputed") == manhattan
    assert continuity(X, Z) == sklearn_trustworthiness(Z, X)
