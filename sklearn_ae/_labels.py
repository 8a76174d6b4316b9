"""Class labels for the conditional and adversarial models.

scikit-learn's semi-supervised convention: ``y == -1`` marks an unlabelled
sample. Labels become indices into ``classes_``; -1 stays -1.
"""

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d

from ._compat import validate_data


def is_unlabelled(y):
    """True where y is the unlabelled marker -1 (numeric or string)."""
    if y.dtype.kind in "iuf":
        return y == -1
    return np.array([str(v) == "-1" for v in y], dtype=bool)


def encode_semi_supervised(y):
    """``(classes, indices)`` of y; indices are -1 for unlabelled samples.

    Returns ``(empty array, None)`` when no sample is labelled.
    """
    y = column_or_1d(y, warn=True)
    labelled = ~is_unlabelled(y)
    if not labelled.any():
        return np.array([]), None
    target = type_of_target(y[labelled], input_name="y", raise_unknown=True)
    if target not in ("binary", "multiclass"):
        raise ValueError(
            f"y must hold class labels (-1 for unlabelled samples), but its "
            f"labelled values look {target!r}."
        )
    classes = np.unique(y[labelled])
    indices = np.full(len(y), -1, dtype=np.int64)
    indices[labelled] = np.searchsorted(classes, y[labelled])
    return classes, indices


def label_indices(classes, y, n, name="y"):
    """Indices into ``classes`` of ``y``: one label for all n rows, or n labels."""
    y = np.asarray(y)
    if y.ndim == 0:
        y = np.full(n, y)
    if y.shape != (n,):
        raise ValueError(
            f"{name} must be one label or have {n} entries (one per row), "
            f"got shape {y.shape}."
        )
    index = np.minimum(np.searchsorted(classes, y), len(classes) - 1)
    unseen = classes[index] != y
    if unseen.any():
        raise ValueError(
            f"{name} holds labels {np.unique(y[unseen]).tolist()} not seen in "
            f"fit; the classes are {classes.tolist()}."
        )
    return index


class SemiSupervisedMixin:
    """``fit(X, y)`` for models that may use labels (-1: unlabelled).

    Sets ``classes_`` and trains through the base's ``_fit(X, labels)``. A
    model states what it does without labels in ``_classes_without_labels``
    and may refuse a set of classes in ``_check_classes``.
    """

    def _classes_without_labels(self):
        return np.array([])

    def _check_classes(self, classes):
        """Raise a ValueError if the model cannot take these classes."""

    def _fit_semi_supervised(self, X, y, *, use_labels=True):
        reset = not self._warm()
        dtype = [np.float64, np.float32]
        if y is None or not use_labels:
            X = validate_data(self, X, dtype=dtype, ensure_min_samples=2, reset=reset)
            classes, indices = self._classes_without_labels(), None
        else:
            X, y = validate_data(
                self, X, y, dtype=dtype, ensure_min_samples=2, reset=reset
            )
            classes, indices = encode_semi_supervised(y)
            if indices is None:
                classes = self._classes_without_labels()
            self._check_classes(classes)
        if not reset and not np.array_equal(classes, self.classes_):
            raise ValueError(
                "warm_start=True continues a model fitted with classes "
                f"{self.classes_.tolist()}, but this fit has classes "
                f"{classes.tolist()}; fit with the same labels or set "
                "warm_start=False."
            )
        self.classes_ = classes
        self._check_params_vs_data(X)
        return self._fit(X, **({} if indices is None else {"labels": indices}))
