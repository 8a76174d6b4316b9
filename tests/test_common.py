"""scikit-learn's own estimator checks, run on every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from tests._support import small_estimators


@parametrize_with_checks(small_estimators())
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
