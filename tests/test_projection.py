"""Tests of the fixed principal subspace at the network's input and output."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from sklearn_ae import _projection
from sklearn_ae._projection import (
    PrincipalInput,
    PrincipalOutput,
    principal_subspace,
    set_principal_subspace,
)
from sklearn_ae._rows import RowDataset
from sklearn_ae._sample_weight import SAMPLE_WEIGHT


@pytest.fixture
def rows():
    rng = np.random.default_rng(0)
    # Features on different scales, with a few dominant directions.
    X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 12)) * 3
    X = X + rng.normal(scale=0.1, size=X.shape) + rng.uniform(-5, 5, size=12)
    return X.astype(np.float32)


def scaling(X):
    return SimpleNamespace(
        offset=torch.as_tensor(X.mean(0)), scale=torch.as_tensor(X.std(0) + 0.5)
    )


def test_subspace_is_the_pca_of_the_standardised_rows(rows, monkeypatch):
    # Blocks smaller than the rows, so that summing them is checked too.
    monkeypatch.setattr(_projection, "COVARIANCE_BLOCK_ROWS", 70)
    module = scaling(rows)
    mean, axes, variances = principal_subspace(
        module, RowDataset(torch.as_tensor(rows)), 3
    )
    standardised = (rows - module.offset.numpy()) / module.scale.numpy()
    pca = PCA(3).fit(standardised.astype(np.float64))
    np.testing.assert_allclose(mean, pca.mean_, atol=1e-5)
    np.testing.assert_allclose(
        np.abs(np.sum(axes.numpy() * pca.components_, 1)), 1, atol=1e-5
    )
    # Population variances (the weights' total), not PCA's n - 1.
    n = len(rows)
    np.testing.assert_allclose(
        variances, pca.explained_variance_ * (n - 1) / n, rtol=1e-4
    )
    # Each axis signed so that its largest entry is positive.
    assert all(axis[np.argmax(np.abs(axis))] > 0 for axis in axes.numpy())


def test_sample_weights_count_as_repeated_rows(rows):
    module = scaling(rows)
    weights = np.ones(len(rows), dtype=np.float32)
    weights[:50] = 3
    weighted = principal_subspace(
        module,
        RowDataset(torch.as_tensor(rows), {SAMPLE_WEIGHT: torch.as_tensor(weights)}),
        3,
    )
    repeated = np.concatenate([rows, rows[:50], rows[:50]])
    plain = principal_subspace(module, RowDataset(torch.as_tensor(repeated)), 3)
    for a, b in zip(weighted, plain, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_steps_map_into_the_subspace_and_back(rows):
    module = torch.nn.Sequential(PrincipalInput(12, 4), PrincipalOutput(12, 4))
    scaled = scaling(rows)
    mean, axes, variances = principal_subspace(
        scaled, RowDataset(torch.as_tensor(rows)), 4
    )
    set_principal_subspace(module, mean, axes, variances)
    standardised = torch.as_tensor(
        (rows - scaled.offset.numpy()) / scaled.scale.numpy()
    )
    coordinates = module[0](standardised)
    # Scaled to a spread of about 1 together.
    assert coordinates.pow(2).mean().sqrt() == pytest.approx(1, rel=1e-3)
    # Back out, the rows less what lies outside the subspace: four axes
    # hold the four directions the rows were drawn in.
    rebuilt = module[1](coordinates * variances.mean().sqrt())
    error = (rebuilt - standardised).pow(2).sum() / (standardised - mean).pow(2).sum()
    assert error < 1e-2
