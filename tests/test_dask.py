"""Grid search on a dask.distributed cluster gives the serial results.

docs/user_guide/scaling_out.rst shows the workflow; the ``dask`` extra
installs what it needs, and without it these tests are skipped.
"""

import joblib
import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from sklearn_ae import AutoEncoder

distributed = pytest.importorskip("distributed")

GRID = {"hidden_layer_sizes": [(8,), (16,)], "learning_rate_init": [1e-3, 3e-3]}


def _search():
    return GridSearchCV(
        AutoEncoder(
            n_components=2, max_iter=4, batch_size=32, random_state=0, device="cpu"
        ),
        GRID,
        cv=2,
        n_jobs=-1,
    )


@pytest.fixture(scope="module")
def serial_scores(digits):
    search = GridSearchCV(_search().estimator, GRID, cv=2, n_jobs=1)
    return search.fit(digits[0][:600]).cv_results_["mean_test_score"]


@pytest.mark.parametrize(
    "threads_per_worker",
    [1, pytest.param(2, marks=pytest.mark.slow)],
)
def test_grid_search_on_a_local_cluster_matches_the_serial_one(
    digits, serial_scores, threads_per_worker
):
    X = digits[0][:600]
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=threads_per_worker,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
        distributed.get_task_stream(client) as tasks,
        joblib.parallel_config(backend="dask"),
    ):
        search = _search().fit(X)
    # The fits ran on the cluster's workers, not in this process.
    assert len(tasks.data) >= len(GRID["hidden_layer_sizes"]) * 2
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"], serial_scores)
