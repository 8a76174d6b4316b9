"""scikit-learn's private helpers, imported in one place.

scikit-learn>=1.6 is required: ``validate_data`` and ``__sklearn_tags__`` are
the public-facing replacements of ``_validate_data`` and ``_more_tags``. If a
future release moves one of these names, only this module changes.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils.parallel import _FuncWrapper
from sklearn.utils.validation import _check_sample_weight, _check_y, validate_data

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_FuncWrapper",
    "_check_sample_weight",
    "_check_y",
    "_fit_context",
    "validate_data",
    "validate_params",
]
