"""Training chunk by chunk: ``partial_fit``, one pass over a chunk a call.

:class:`PartialFitMixin` gives the autoencoders ``partial_fit``, for data
that does not fit in memory or arrives over time. It runs the base's one
fit path (``_BaseAutoEncoder._fit``) with ``partial=True``: the first call
builds the network, with the input scaling measured on its rows, and every
call trains the net one epoch on its rows, keeping the optimizers' state. A
model whose training needs the whole training set at once sets
``_needs_all_rows = True`` and has no ``partial_fit``.
"""

from sklearn.utils.metaestimators import available_if

from ._compat import _fit_context
from ._docstrings import fill_sample_weight
from ._restore import restores_on_failure


def _partial_fit_available(estimator):
    """Whether ``estimator`` has ``partial_fit`` (for ``available_if``)."""
    if estimator._needs_all_rows:
        raise AttributeError(
            f"{type(estimator).__name__} has no partial_fit: it trains on the "
            "whole data set at once (its docstring's Notes say why); use fit."
        )
    return True


class PartialFitMixin:
    """``partial_fit`` for an autoencoder estimator (a ``_BaseAutoEncoder``).

    Not offered where training reads the whole training set at once
    (``_needs_all_rows``): layer-wise pretraining (``_pretrain``), or an
    objective term attached to all the training rows (a neighbour graph);
    each call attaches the terms to its chunk only.
    """

    @available_if(_partial_fit_available)
    @_fit_context(prefer_skip_nested_validation=True)
    @restores_on_failure
    @fill_sample_weight
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train on one chunk of data: one pass over its rows.

        For data that does not fit in memory or arrives over time: call it
        on each chunk in turn (row blocks of a memory-mapped array, the rows
        of a database cursor's fetch, the blocks of a dask array). Each call
        makes one pass over its rows in shuffled batches of ``batch_size``,
        ``ceil(n_samples / batch_size)`` updates, and keeps the optimizers'
        state (Adam's moment estimates) for the next call: ``k`` passes over
        all of X in chunks make as many updates as ``fit`` with
        ``max_iter=k``, and differ from it only in the order of the rows.

        The first call on an unfitted estimator builds the network, and the
        **input scaling is fixed on that call**: each feature's offset and
        scale (the network's input standardisation) are computed from the
        first chunk's rows, as are the noise statistics of a
        :class:`DenoisingAutoEncoder`, and later calls do not change them.
        Make the first chunk representative: a few hundred rows or more,
        drawn from the whole data (not the first rows of a file sorted by
        class or by time). On an estimator fitted by :meth:`fit` (or by
        earlier calls) it continues training that network, whose parameters
        must not have changed since.

        A call trains at a constant rate, ``learning_rate_init``, on all its
        rows: ``max_iter``, ``early_stopping``, ``validation_fraction``,
        ``n_iter_no_change`` and ``tol`` are ignored (nothing is held out
        and nothing stops early), and ``learning_rate="cosine"`` or
        ``"auto"`` trains as ``"constant"`` (a schedule needs the number of
        updates in advance). ``batch_size``, ``learning_rate_init`` and
        ``weight_decay`` are read on each call. Each call adds one entry to
        ``n_iter_``, ``loss_curve_`` and ``loss_terms_``. A call that fails
        (invalid data, a diverging loss, a ``KeyboardInterrupt``) leaves the
        estimator as it was before it. With an int ``random_state``, the
        same calls on the same chunks give the same model: each call draws
        from generators seeded by ``random_state`` and the number of passes
        made before it.

        Only available where a chunk can train the model:
        :class:`StackedAutoEncoder` and :class:`ManifoldAutoEncoder` train
        on the whole data set at once and have no ``partial_fit``
        (``hasattr`` is False; their Notes say why).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            One chunk of training data: at least 2 rows on the first call,
            which fixes the input scaling, and at least 1 on later calls.
        y : None
            Ignored; present for API consistency.
        {sample_weight}

        Returns
        -------
        self : object
            The estimator, trained one more pass.

        Raises
        ------
        ValueError
            If X does not have the features of the first call, or the
            network's parameters changed since it was built.
        FloatingPointError
            If training diverged (a loss or a weight became NaN or
            infinite); the estimator keeps its previous model.

        See Also
        --------
        fit : Train on all the data at once, with early stopping and
            learning-rate schedules.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from sklearn_ae import AutoEncoder
        >>> X, _ = load_digits(return_X_y=True)
        >>> X = np.random.RandomState(0).permutation(X)  # representative chunks
        >>> ae = AutoEncoder(n_components=2, random_state=0)
        >>> for epoch in range(2):
        ...     for chunk in np.array_split(X, 4):
        ...         ae = ae.partial_fit(chunk)
        >>> ae.n_iter_
        8
        >>> ae.transform(X[:3]).shape
        (3, 2)
        """
        return self._fit(X, y, partial=True, sample_weight=sample_weight)
