"""Class labels for the conditional and adversarial models.

scikit-learn's semi-supervised convention: ``y == -1`` marks an unlabelled
sample. Labels become indices into ``classes_``; -1 stays -1.
"""

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._compat import _check_y


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


def check_classes_argument(classes):
    """The sorted class labels of a ``classes=`` argument of ``partial_fit``."""
    classes = column_or_1d(classes, warn=True)
    if is_unlabelled(classes).any():
        raise ValueError(
            f"classes={classes.tolist()!r} holds -1, the marker of unlabelled "
            "samples, not a class: list the class labels only."
        )
    found, _ = encode_semi_supervised(classes)
    return found


def indices_among(classes, y):
    """Indices into ``classes`` of the labels y; -1 (unlabelled) stays -1.

    For ``partial_fit``, whose classes were fixed on the first call: a label
    outside them is a ValueError that says how to declare it.
    """
    y = column_or_1d(y, warn=True)
    unlabelled = is_unlabelled(y)
    indices = np.full(len(y), -1, dtype=np.int64)
    labels = y[~unlabelled]
    unseen = ~np.isin(labels, classes)
    if unseen.any():
        raise ValueError(
            f"y holds labels {np.unique(labels[unseen]).tolist()} outside the "
            f"classes {np.asarray(classes).tolist()} that the first call to "
            "partial_fit (or fit) fixed. Declare every class on the first "
            "call: partial_fit(X, y, classes=all_classes)."
        )
    indices[~unlabelled] = np.searchsorted(classes, labels)
    return indices


class SemiSupervisedMixin:
    """Labels as per-row data, for models that may use them (-1: unlabelled).

    Sets ``classes_`` and gives the rows' labels to training as side data
    ``"labels"`` (indices into ``classes_``), through the base's one per-row
    hook, ``_row_data``. A model states its classes without labels in
    ``_classes_without_labels`` and may refuse a set of classes in
    ``_check_classes``.
    """

    # The classes of a model fitted without labels.
    _classes_without_labels = ()

    def _check_classes(self, classes):
        """Raise a ValueError if the model cannot take these classes."""

    def _uses_labels(self):
        """Whether ``y`` is used (a model may ignore it in some settings)."""
        return True

    def _row_data(self, X, y, *, reset, partial, classes=None):
        if not self._uses_labels():
            y = classes = None
        if y is not None:
            # As validate_data(X, y) checks y after X.
            y = _check_y(y, estimator=self)
            check_consistent_length(X, y)
        if partial:
            return self._chunk_labels(X, y, classes, first=reset)
        if y is None:
            classes, indices = np.array(self._classes_without_labels), None
        else:
            classes, indices = encode_semi_supervised(y)
            if indices is None:
                classes = np.array(self._classes_without_labels)
            self._check_classes(classes)
        if not reset and not np.array_equal(classes, self.classes_):
            raise ValueError(
                "warm_start=True continues a model fitted with classes "
                f"{self.classes_.tolist()}, but this fit has classes "
                f"{classes.tolist()}; fit with the same labels or set "
                "warm_start=False."
            )
        self.classes_ = classes
        side = super()._row_data(X, y, reset=reset, partial=partial)
        return side if indices is None else {**side, "labels": indices}

    def _chunk_labels(self, X, y, classes, *, first):
        """Labels of a ``partial_fit`` chunk; the classes are fixed on the first call.

        It is ``classes`` when given, else the labels of the first chunk's
        ``y`` (``_classes_without_labels`` without any). Once the model has
        classes, every chunk carries labels (-1 for the rows of a chunk
        without ``y``), as the network's inputs need them.
        """
        if classes is not None:
            classes = check_classes_argument(classes)
        if first:
            if classes is None and y is not None:
                classes, _ = encode_semi_supervised(y)
            if classes is None or not len(classes):
                classes = np.array(self._classes_without_labels)
            self._check_classes(classes)
            self.classes_ = classes
        elif classes is not None and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"classes={classes.tolist()} differs from the classes "
                f"{self.classes_.tolist()} fixed by the first call to "
                "partial_fit (or by fit); pass the same classes, or none."
            )
        side = super()._row_data(X, y, reset=first, partial=True)
        if len(self.classes_):
            labels = np.full(X.shape[0], -1) if y is None else y
            side["labels"] = indices_among(self.classes_, labels)
        return side
