"""The embedding and reconstruction measures against known values."""

import numpy as np
import pytest
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

    def ranks(A):
        d = ((A[:, None, :] - A[None, :, :]) ** 2).sum(-1)
        np.fill_diagonal(d, np.inf)
        order = np.argsort(d, axis=1, kind="stable")
        rank = np.empty_like(order)
        rank[np.arange(n)[:, None], order] = np.arange(1, n + 1)
        return order[:, :k], rank

    neighbours_x, _ = ranks(X)
    neighbours_z, rank_z = ranks(Z)
    total = 0
    for i in range(n):
        for j in set(neighbours_x[i]) - set(neighbours_z[i]):
            total += rank_z[i, j] - k
    return 1 - 2.0 / (n * k * (2 * n - 3 * k - 1)) * total


def test_identity_embedding_is_perfect():
    X = np.random.RandomState(0).normal(size=(80, 5))
    assert trustworthiness(X, X) == pytest.approx(1.0)
    assert continuity(X, X) == pytest.approx(1.0)


def test_random_embedding_scores_lower():
    X, _ = make_swiss_roll(300, random_state=0)
    Z = np.random.RandomState(1).normal(size=(300, 2))
    assert trustworthiness(X, Z) < 0.7
    assert continuity(X, Z) < 0.7


def test_continuity_matches_its_definition():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4))
    Z = X[:, :2] + 0.3 * rng.normal(size=(30, 2))
    assert continuity(X, Z, n_neighbors=4) == pytest.approx(
        brute_force_continuity(X, Z, 4)
    )


def test_knn_accuracy():
    Z, y = make_blobs(200, centers=3, cluster_std=0.1, random_state=0)
    assert knn_accuracy(Z[:100], y[:100], Z[100:], y[100:]) == 1.0
    shuffled = np.random.RandomState(0).permutation(y)
    chance = knn_accuracy(Z[:100], shuffled[:100], Z[100:], shuffled[100:])
    assert chance < 0.6, chance


def test_coordinate_correlation():
    t = np.linspace(0, 3, 100)
    noise = np.random.RandomState(0).normal(size=(100, 2))
    assert coordinate_correlation(np.c_[noise[:, 0], np.exp(t)], t) == pytest.approx(1)
    assert coordinate_correlation(noise, t) < 0.3


def test_reconstruction_error_by_hand():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    X_hat = np.array([[1.0, 0.0], [1.0, 0.0]])
    assert reconstruction_error(X, X_hat) == pytest.approx((1 + 4) / 2)


def test_errors_name_the_problem():
    X = np.zeros((20, 3))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        trustworthiness(X, X[:10])
    with pytest.raises(ValueError, match="n_neighbors=10"):
        continuity(X[:15], X[:15])
    with pytest.raises(ValueError, match="shape"):
        reconstruction_error(X, X[:, :2])
    with pytest.raises(ValueError, match="columns"):
        knn_accuracy(X, np.zeros(20), X[:, :2], np.zeros(20))
