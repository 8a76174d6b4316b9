"""The protocol every benchmark script shares: data, seed and held-out split.

Every figure on the results pages is measured on points a model did not see
in its fit: the data set is loaded by :func:`sklearn_ae.datasets.load_dataset`
with the seed :data:`SEED`, and split by :func:`split` into a train part and
a held-out :data:`TEST_SIZE` share with the same seed. Scripts that need
more than one seed (the seed study) vary the model's seed, never the split.
"""

import numpy as np
from sklearn.model_selection import train_test_split

from sklearn_ae.datasets import load_dataset

SEED = 0
TEST_SIZE = 0.2


def load(name, n_samples=None):
    """The data set ``name``, drawn or generated with :data:`SEED`.

    Parameters
    ----------
    name : str
        One of :data:`sklearn_ae.datasets.DATASETS`.
    n_samples : int, default=None
        Points (None: the data set's default, all of digits and MNIST).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`sklearn_ae.datasets.load_dataset` returns it.
    """
    return load_dataset(name, n_samples=n_samples, random_state=SEED)


def split(n_samples, *, stratify=None, random_state=SEED):
    """Train and held-out row indices of ``n_samples`` points.

    Parameters
    ----------
    n_samples : int
        Number of points.
    stratify : array-like of shape (n_samples,), default=None
        Class labels to keep in equal shares in both parts; None splits at
        random.
    random_state : int, default=SEED
        The split's seed; another one is a split that nothing was tuned on.

    Returns
    -------
    train_rows, test_rows : ndarray of int
        The held-out part is :data:`TEST_SIZE` of the points.

    Examples
    --------
    >>> train_rows, test_rows = split(100)
    >>> len(train_rows), len(test_rows)
    (80, 20)
    """
    return train_test_split(
        np.arange(n_samples),
        test_size=TEST_SIZE,
        random_state=random_state,
        stratify=stratify,
    )
