"""Small, fast configurations of every public estimator, for the tests."""

import inspect

from sklearn.base import BaseEstimator

import sklearn_ae
from sklearn_ae._geometry import GEOMETRIES

# Tiny networks and few epochs: the checks test the API, not the fit quality.
SMALL = {"max_iter": 5, "batch_size": 32, "random_state": 0, "device": "cpu"}
SMALL_NETWORK = {**SMALL, "hidden_layer_sizes": (8,)}

# Settings beyond SMALL_NETWORK, by class name; a class with several entries
# is checked in each configuration. A class missing here runs with
# SMALL_NETWORK alone, so a new estimator never escapes the checks.
CONFIGURATIONS = {
    "DenoisingAutoEncoder": [{"noise": "salt_and_pepper"}],
    # The default ("auto") estimates the penalty for this encoder.
    "ContractiveAutoEncoder": [
        {},
        {"jacobian": "exact", "code_activation": "logistic"},
    ],
    "SparseAutoEncoder": [{"n_components": 4}],
    "AdversarialAutoEncoder": [
        {"discriminator_layer_sizes": (8,)},
        # With components, y (when a check passes one) places the classes.
        {"discriminator_layer_sizes": (8,), "prior": "gaussian_mixture"},
    ],
    "StackedAutoEncoder": [{"pretraining_iter": 2}],
    # The checks fit on a few dozen rows: a small graph. Every registered
    # geometry, so that a new one never escapes the checks either.
    "ManifoldAutoEncoder": [
        {"n_neighbors": 3},
        *({"n_neighbors": 3, "geometry": option} for option in GEOMETRIES),
    ],
}


def public_estimator_classes():
    """Every estimator class that ``sklearn_ae`` exports."""
    exported = (getattr(sklearn_ae, name) for name in sklearn_ae.__all__)
    return [
        obj
        for obj in exported
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator)
    ]


def small_estimators():
    """Instances of each public estimator, configured to train fast."""
    estimators = []
    for cls in public_estimator_classes():
        accepted = inspect.signature(cls).parameters
        for extra in CONFIGURATIONS.get(cls.__name__, [{}]):
            params = {**SMALL_NETWORK, **extra}
            estimators.append(cls(**{k: v for k, v in params.items() if k in accepted}))
    return estimators


def expected_failed_checks(estimator):
    """scikit-learn checks every estimator here is expected to fail, and why."""
    # Training draws shuffled batches for a fixed number of passes: a row
    # repeated k times is drawn k times a pass (and makes the passes longer),
    # which a weight of k is not, so the two fits differ by more than the
    # check's tolerance. scikit-learn marks its SGD estimators alike.
    # tests/test_sample_weight.py checks what holds instead: the weighted
    # loss is the loss of the repeated rows.
    reason = (
        "stochastic training: sample_weight equals repeated rows in the "
        "loss, not in the fitted model"
    )
    return {
        "check_sample_weight_equivalence_on_dense_data": reason,
        "check_sample_weight_equivalence_on_sparse_data": reason,
    }
