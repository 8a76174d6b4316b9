"""Compare the quality figures of two benchmark runs, row by row.

A refactoring must leave every figure of ``python -m benchmarks --quick``
as it was (the autoencoders are bit for bit reproducible on one machine):
run it before and after, then compare the two output folders::

    python -m benchmarks --quick --output before/
    # ... change the code ...
    python -m benchmarks --quick --output after/
    python -m benchmarks.compare before/ after/

Rows are matched by data set, method, code size and seed; each quality
figure (:data:`QUALITY`) is compared, and times and memory are ignored.
Prints the differing figures and the rows only one run has, and exits with
status 1 if there are any (0 when every figure agrees within ``--tol``).
"""

import argparse
import math
import sys
from pathlib import Path

from ._evaluate import read_rows, row_key

# The figures a change of code must not move; times and memory vary by run.
QUALITY = (
    "trustworthiness",
    "continuity",
    "knn_accuracy",
    "coordinate_correlation",
    "reconstruction_error",
)


def _results(path):
    path = Path(path)
    return path / "results.csv" if path.is_dir() else path


def compare(before, after, *, tol=0.0):
    """The differences between two runs' rows.

    Parameters
    ----------
    before, after : list of dict
        Rows as :func:`~benchmarks._evaluate.read_rows` returns them.
    tol : float, default=0.0
        Largest absolute difference of a figure counted as equal.

    Returns
    -------
    differences : list of tuple
        ``(key, figure, before value, after value)`` of each figure that
        differs by more than ``tol`` or is missing in one run (None).
    only_before, only_after : list of tuple
        Keys of the rows only one run measured.
    n_compared : int
        Figures compared in the rows both runs measured.
    """
    old = {row_key(row): row for row in before}
    new = {row_key(row): row for row in after}
    differences, n_compared = [], 0
    for key in (key for key in old if key in new):
        for figure in QUALITY:
            a, b = old[key].get(figure), new[key].get(figure)
            if a is None and b is None:
                continue
            n_compared += 1
            same = (
                a is not None
                and b is not None
                and (abs(a - b) <= tol or (math.isnan(a) and math.isnan(b)))
            )
            if not same:
                differences.append((key, figure, a, b))
    only_before = [key for key in old if key not in new]
    only_after = [key for key in new if key not in old]
    return differences, only_before, only_after, n_compared


def _row_name(key):
    dataset, method, n_components, seed = key
    return f"{dataset} {n_components}-D / {method} / seed {seed}"


def report(differences, only_before, only_after, n_compared, *, tol=0.0):
    """The comparison as printable lines."""
    lines = []
    for key, figure, a, b in differences:
        change = "" if a is None or b is None else f" ({b - a:+.3g})"
        lines.append(f"{_row_name(key)}: {figure} {a} -> {b}{change}")
    lines += [f"only in the first run: {_row_name(key)}" for key in only_before]
    lines += [f"only in the second run: {_row_name(key)}" for key in only_after]
    within = "equal" if tol == 0 else f"within {tol:g}"
    n_rows = "" if lines else " in every row"
    lines.append(
        f"{n_compared - len(differences)} of {n_compared} quality figures "
        f"{within}{n_rows}; {len(differences)} differ, "
        f"{len(only_before) + len(only_after)} rows in one run only."
    )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare", description=__doc__.splitlines()[0]
    )
    parser.add_argument("before", help="output folder (or results.csv) of a run")
    parser.add_argument("after", help="output folder (or results.csv) to compare")
    parser.add_argument(
        "--tol",
        type=float,
        default=0.0,
        help="largest absolute difference counted as equal (default: 0, bit for bit)",
    )
    args = parser.parse_args(argv)
    before, after = (read_rows(_results(path)) for path in (args.before, args.after))
    found = compare(before, after, tol=args.tol)
    print("\n".join(report(*found, tol=args.tol)))
    differences, only_before, only_after, _ = found
    return 1 if differences or only_before or only_after else 0


if __name__ == "__main__":
    sys.exit(main())
