"""Warnings that name the user's line, not a line of this package."""

import sys
import warnings
from pathlib import Path

import sklearn

# Frames of these packages are skipped when a warning looks for the user's line.
_INTERNAL = (str(Path(__file__).parent), str(Path(sklearn.__file__).parent))


def warn(message, category=UserWarning):
    """Warn at the user's line: the first caller outside this package.

    scikit-learn's frames (its ``fit`` wrapper, a ``Pipeline``) are skipped
    too, so the warning names the line that called ``fit``.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
