"""scikit-learn's own estimator checks, run on every public estimator."""

import warnings

import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from tests._support import expected_failed_checks, small_estimators


@parametrize_with_checks(
    small_estimators(), expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_every_public_estimator_is_checked():
    """The checked list comes from ``sklearn_ae.__all__``: none escapes."""
    import sklearn_ae
    from tests._support import public_estimator_classes

    checked = {type(estimator) for estimator in small_estimators()}
    assert checked == set(public_estimator_classes())
    assert len(checked) == len([n for n in sklearn_ae.__all__ if n[0].isupper()]), (
        "an exported class is not an estimator"
    )


# scikit-learn's public checks that check_estimator does not run but that
# apply to transformers; each takes (name, estimator). (The global and
# polars variants of the set_output check test scikit-learn's machinery
# again, on the same path as the pandas one.)
EXTRA_CHECKS = [
    "check_get_feature_names_out_error",
    "check_dataframe_column_names_consistency",
    "check_transformer_get_feature_names_out",
    "check_transformer_get_feature_names_out_pandas",
    "check_set_output_transform_pandas",
    "check_estimator_cloneable",
    "check_param_validation",
    "check_inplace_ensure_writeable",
    "check_requires_y_none",
]


@pytest.mark.parametrize("check", EXTRA_CHECKS)
@pytest.mark.parametrize(
    "estimator", small_estimators(), ids=lambda est: type(est).__name__
)
def test_public_checks_beyond_check_estimator(estimator, check):
    from sklearn.utils import estimator_checks

    with warnings.catch_warnings():
        if check == "check_set_output_transform_pandas":
            # The check itself fits on a DataFrame and transforms an array,
            # and the other way round, to compare the outputs; scikit-learn
            # then warns, as it should for a user, about the names it lacks.
            warnings.filterwarnings(
                "ignore", message="X (does not have valid|has) feature names"
            )
        getattr(estimator_checks, check)(type(estimator).__name__, clone(estimator))
