"""Figures of the saving and scaling-out pages: a saved model's size, a search's times.

``python -m benchmarks.scaling_out size`` fits ``AutoEncoder()`` with its
defaults on MNIST-5k, saves it with :func:`sklearn_ae.save` and prints the
archive's size (and its members'), the pickle's, and the time to save and
load. ``python -m benchmarks.scaling_out search`` times one small grid
search (4 candidates, 3 folds, on digits) run serially, with joblib's loky
backend (``n_jobs=2``) and on a dask ``LocalCluster`` of 2 worker
processes with 1 and 2 threads each, and says which results equal the
serial ones. Run with ``OMP_NUM_THREADS=1``: one torch thread per fit.
"""

import argparse
import os
import pickle
import tempfile
import time
import zipfile

import joblib
import numpy as np
from sklearn.model_selection import GridSearchCV

from sklearn_ae import AutoEncoder, load, save
from sklearn_ae.datasets import load_dataset

GRID = {"hidden_layer_sizes": [(8,), (16,)], "learning_rate_init": [1e-3, 3e-3]}


def saved_size():
    """Fit the default AutoEncoder on MNIST-5k, save it, print the sizes."""
    X = load_dataset("mnist").data
    start = time.perf_counter()
    ae = AutoEncoder(random_state=0).fit(X)
    fit_s = time.perf_counter() - start
    path = os.path.join(tempfile.mkdtemp(), "mnist.skae")
    start = time.perf_counter()
    save(ae, path)
    save_s = time.perf_counter() - start
    start = time.perf_counter()
    loaded = load(path)
    load_s = time.perf_counter() - start
    with zipfile.ZipFile(path) as archive:
        members = {
            i.filename: (i.file_size, i.compress_size) for i in archive.infolist()
        }
    n_params = sum(p.numel() for p in ae.net_.module_.parameters())
    print(f"MNIST-5k {X.shape}: fit {fit_s:.0f} s, {ae.n_iter_} epochs")
    print(f"{n_params} parameters")
    print(f"saved archive: {os.path.getsize(path)} bytes")
    for name, (size, stored) in members.items():
        print(f"  {name}: {size} bytes ({stored} stored)")
    print(f"pickle: {len(pickle.dumps(ae))} bytes")
    print(f"save {save_s * 1e3:.0f} ms, load {load_s * 1e3:.0f} ms")
    same = np.array_equal(loaded.transform(X), ae.transform(X))
    print(f"loaded transform identical: {same}")


def _search(n_jobs):
    estimator = AutoEncoder(
        n_components=2, max_iter=20, batch_size=32, random_state=0, device="cpu"
    )
    return GridSearchCV(estimator, GRID, cv=3, n_jobs=n_jobs)


def _timed(label, n_jobs, X):
    start = time.perf_counter()
    scores = _search(n_jobs).fit(X).cv_results_["mean_test_score"]
    print(f"{label:<42s} {time.perf_counter() - start:6.1f} s", flush=True)
    return scores


def search_times():
    """Time the small search serially, on loky and on a LocalCluster."""
    from distributed import Client, LocalCluster

    X = load_dataset("digits").data
    serial = _timed("serial (n_jobs=1)", 1, X)
    results = {}
    with joblib.parallel_config(backend="loky"):
        results["loky, first"] = _timed("loky n_jobs=2, first (workers start)", 2, X)
        results["loky, again"] = _timed("loky n_jobs=2, again", 2, X)
    for threads in (1, 2):
        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=2,
                threads_per_worker=threads,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster),
        ):
            started = time.perf_counter() - start
            print(f"LocalCluster(2 workers x {threads} threads) start {started:6.1f} s")
            with joblib.parallel_config(backend="dask"):
                for run in ("first", "again"):
                    label = f"dask, {threads} threads/worker, {run}"
                    results[label] = _timed(label, -1, X)
    for label, scores in results.items():
        print(f"{label}: equals serial: {np.array_equal(scores, serial)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["size", "search", "all"])
    what = parser.parse_args(argv).what
    if what in ("size", "all"):
        saved_size()
    if what in ("search", "all"):
        search_times()


if __name__ == "__main__":
    main()
