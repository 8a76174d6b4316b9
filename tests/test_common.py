"""scikit-learn's own estimator checks, run on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from tests._support import small_estimators


@parametrize_with_checks(small_estimators())
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
