"""A failed training call leaves the estimator as it was."""

import functools

from ._config import bounded_threads


def restores_on_failure(fit):
    """Make ``fit`` leave the estimator as it was when it raises.

    Whatever the failure (bad data, a diverging loss, a user's callable
    raising, a ``KeyboardInterrupt``), the estimator's attributes are put
    back: an unfitted estimator stays unfitted (``transform`` raises
    ``NotFittedError``), a fitted one keeps its previous model. The
    attributes are put back here; a warm start, which trains the fitted net
    in place, puts the net's weights, optimizers and history back itself
    (:func:`~sklearn_ae._net.snapshot`).

    Being the wrapper of every training call, it also bounds the CPU
    threads of torch and of the BLAS and OpenMP libraries while the call runs
    (:func:`~sklearn_ae._config.bounded_threads`).
    """

    @functools.wraps(fit)
    def fit_or_restore(self, *args, **kwargs):
        before = dict(vars(self))
        try:
            with bounded_threads(libraries=True):
                return fit(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(before)
            raise

    fit_or_restore.restores_on_failure = True
    return fit_or_restore
