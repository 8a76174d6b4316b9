"""The record step of a fit: the fitted attributes of a trained net."""

import itertools

import numpy as np


def record_fit(estimator, net, *, validated, n_codes, extend=False, **fitted):
    """Write every fitted attribute of a finished fit on ``estimator``.

    ``extend``: the curves recorded so far are those of the history's
    first epochs, so only the new epochs are read (partial_fit adds one
    epoch a call to a history that may hold a hundred thousand: reading
    all of it after each call would make a stream's cost quadratic).
    """
    history = net.history
    start = len(estimator.loss_curve_) if extend else 0
    before = {"train_loss": estimator.loss_curve_} if extend else {}
    for column in net.criterion_.history_columns() if extend else ():
        before[column] = estimator.loss_terms_[column.removesuffix("_loss")]

    def curve(column):
        new = np.asarray(history[start:, column], dtype=float)
        return np.concatenate([before[column], new]) if extend else new

    # The code width of the fitted network, which get_feature_names_out
    # and inverse_transform read (n_components may have changed since).
    estimator._n_codes = int(n_codes)
    estimator.net_ = net
    estimator.n_iter_ = len(history)
    # Epochs recorded before the "updates" column existed (models
    # pickled by older versions) count as none.
    estimator.n_updates_ = (estimator.n_updates_ if extend else 0) + int(
        sum(row.get("updates", 0) for row in itertools.islice(history, start, None))
    )
    estimator.loss_curve_ = curve("train_loss")
    estimator.loss_terms_ = {
        column.removesuffix("_loss"): curve(column)
        for column in net.criterion_.history_columns()
    }
    if validated:
        # Epochs of an earlier fit without early stopping (continued by
        # a warm start) have no validation loss: NaN keeps one entry
        # per epoch, as loss_curve_ has.
        estimator.validation_loss_curve_ = np.array(
            [row.get("valid_loss", np.nan) for row in history], dtype=float
        )
    elif hasattr(estimator, "validation_loss_curve_"):
        del estimator.validation_loss_curve_
    if net.criterion_.prior is not None:
        fitted["prior_"] = net.criterion_.prior
    fitted["noise_variance_"] = noise_variance(net.module_, estimator.n_features_in_)
    for name, value in fitted.items():
        setattr(estimator, name, value)


def noise_variance(module, n_features):
    """The Gaussian decoder's variance per feature in data units, or None.

    None for a Bernoulli decoder; ones for ``loss="mse"``.
    """
    likelihood = module.likelihood
    if not likelihood.data_units:
        return None
    variance = likelihood.variance()
    if variance is None:
        return np.ones(n_features)
    return variance.detach().cpu().numpy().astype(np.float64)
