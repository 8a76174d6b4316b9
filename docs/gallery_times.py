"""Report how long each gallery example ran in the last docs build.

Run after ``python -m sphinx ... docs docs/_build/html``::

    python docs/gallery_times.py

The gallery aims at under a minute an example and about four minutes in
all on two CPU cores, to keep CI short. This prints the times against those
aims and always exits 0: time depends on the machine and its load, so it
is reported, never a pass/fail test.
"""

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent
EXAMPLE_AIM_SECONDS = 60
GALLERY_AIM_SECONDS = 240


def seconds(built_rst):
    """Running time recorded in a built example page, or None."""
    match = re.search(
        r"Total running time of the script:\*\* \((\d+) minutes ([\d.]+) seconds\)",
        built_rst.read_text(),
    )
    return None if match is None else 60 * int(match[1]) + float(match[2])


def main():
    rows = []
    for source in sorted((DOCS / "examples").glob("plot_*.py")):
        built = DOCS / "auto_examples" / f"{source.stem}.rst"
        fresh = built.exists() and built.stat().st_mtime >= source.stat().st_mtime
        rows.append((source.stem, seconds(built) if fresh else None))
    width = max(len(name) for name, _ in rows)
    for name, time in rows:
        if time is None:
            print(f"{name:<{width}}  not run in the last build")
        else:
            over = "  (over the aim)" if time > EXAMPLE_AIM_SECONDS else ""
            print(f"{name:<{width}}  {time:6.1f} s{over}")
    total = sum(time for _, time in rows if time is not None)
    print(
        f"{'total':<{width}}  {total:6.1f} s (aims: {EXAMPLE_AIM_SECONDS} s an "
        f"example, {GALLERY_AIM_SECONDS} s in all)"
    )


if __name__ == "__main__":
    main()
