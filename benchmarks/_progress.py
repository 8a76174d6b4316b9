"""The benchmark's progress bar: rows done of the rows to do, and the time left.

The time left is the expected cost of the rows still to do (their fit times
on the committed results page, :func:`~benchmarks._evaluate.row_weights`)
scaled by how fast this machine has been so far: the seconds spent over the
expected seconds of the rows done. Early on, when a few fast rows say little
about the speed, the ratio is pulled towards 1 (the committed page's speed)
by :data:`PRIOR_SECONDS` of expected work counted at that speed, so that
one slow first row does not predict hours.
"""

import time

from tqdm.auto import tqdm

# Expected seconds of work that count, in the speed estimate, as done at the
# committed page's speed: about the first task's worth on a full run.
PRIOR_SECONDS = 60.0
BAR_FORMAT = "benchmark: {n_fmt}/{total_fmt} tasks |{bar}| {desc}"


def duration_text(seconds):
    """``45 s``, ``12 min`` or ``1 h 05 min``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    """A tqdm bar over the rows of a run, one task a row.

    Parameters
    ----------
    weights : dict
        Expected seconds of every row of the run, by row key.
    done : set
        Keys of the rows already measured (a resumed run).
    """

    def __init__(self, weights, done=()):
        self.weights = weights
        self.left = sum(w for key, w in weights.items() if key not in done)
        self.spent_expected = 0.0
        self.start = time.perf_counter()
        self.bar = tqdm(
            total=len(weights),
            initial=sum(key in weights for key in done),
            desc="",
            bar_format=BAR_FORMAT,
        )

    def speed(self):
        """Seconds taken per expected second so far, pulled towards 1."""
        elapsed = time.perf_counter() - self.start
        return (elapsed + PRIOR_SECONDS) / (self.spent_expected + PRIOR_SECONDS)

    def remaining_seconds(self):
        """Expected seconds of the rows left, at the speed seen so far."""
        return self.left * self.speed()

    def starting(self, what):
        """Show the row about to run and the time left."""
        elapsed = time.perf_counter() - self.start
        self.bar.set_description_str(
            f"{duration_text(elapsed)} elapsed, about "
            f"{duration_text(self.remaining_seconds())} left | {what}"
        )

    def finished(self, key):
        """Count the row ``key`` as done."""
        self.spent_expected += self.weights[key]
        self.left -= self.weights[key]
        self.bar.update(1)

    def write(self, text):
        self.bar.write(text)

    def close(self):
        self.bar.close()
