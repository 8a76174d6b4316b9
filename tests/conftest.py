"""Data shared by the tests."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

# One torch thread per test process, whatever the environment. Estimator
# calls are bounded to one thread by the package itself (sklearn_ae's
# max_threads default); this covers the tests that call torch directly, so
# that on a loaded machine no test's threads spin against the others (the
# README's example: 158 s with two threads, 8 s with one, on a 2-core machine
# running other jobs). Loaded for every test path, so the doctests too.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits():
    """Digits scaled to [0, 1], split into train and held-out test halves."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    return X_train, X_test, y_train, y_test


@pytest.fixture(scope="session")
def small_data():
    """A small float64 data set for API tests."""
    rng = np.random.RandomState(0)
    return rng.normal(size=(60, 6))
