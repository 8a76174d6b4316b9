"""How to train: the loop's settings, and their rules for large data."""

import dataclasses
from numbers import Integral, Real

import numpy as np
import torch

from ._compat import Interval, InvalidParameterError, StrOptions
from ._extensions import fresh_callbacks
from ._limits import FLOAT32_MAX

# Most updates (batches) in one iteration of training, the unit of max_iter,
# n_iter_no_change and the learning-rate schedule. Below 65,536 rows (at the
# default batch of 64) an iteration is a pass over the data, as before; above
# it, a pass would make the stopping rule's patience (10 iterations) cost ever
# more updates as n grows, while the model needs no more of them to fit a
# denser sample of the same manifold.
UPDATES_PER_ITERATION = 1024

# Iterations of a fit past that cap under learning_rate="auto": a fixed
# budget (51,200 updates at 1,024 each) annealed to zero, instead of a
# constant rate stopped by the patience rule. Past the cap the training loss
# still swings 20-50% from one iteration to the next when the rule fires, so
# a fit stopped at a random point of it; at a million swiss-roll points that
# folded the roll for 14 of 20 seeds against 7 of 20 at 100,000
# (docs/benchmarks/million_seeds_constant.md). Annealed, the weights settle
# whatever n: 9 of 20 folded at both sizes (million_seeds.md).
ANNEALED_ITERATIONS = 50

# Training computes in float32: an optimizer's rate or decay beyond its range
# overflows inside torch's Adam, with an error that names no parameter.
RATE = Interval(Real, 0, FLOAT32_MAX, closed="neither")

# Parameters of the training loop, shared by every estimator.
TRAINING_CONSTRAINTS = {
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate_init": [RATE],
    "learning_rate": [StrOptions({"auto", "constant", "cosine"})],
    "weight_decay": [Interval(Real, 0, FLOAT32_MAX, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), None],
    "tol": [Interval(Real, 0, None, closed="left")],
    "device": [str],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "callbacks": [list, None],
    "optimizer": [type],
    "optimizer_params": [dict, None],
}


def refuse_boolean_integers(estimator):
    """Raise InvalidParameterError for a boolean given as an int parameter.

    scikit-learn's ``Interval(Integral)`` takes True for 1.
    """
    for name, constraints in estimator._parameter_constraints.items():
        value = getattr(estimator, name)
        integral = any(
            isinstance(c, Interval) and c.type is Integral for c in constraints
        )
        if integral and isinstance(value, bool | np.bool_):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be "
                f"an int, not the boolean {value!r}."
            )


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """How to train: the loop's settings.

    Given explicitly to :func:`~sklearn_ae._net.make_net`. The estimators
    fill it from their parameters of the same names (``max_iter`` is the
    number of iterations: epochs, capped at ``updates_per_iter`` updates
    each); ``name`` labels the progress bar.
    """

    batch_size: int
    learning_rate_init: float
    learning_rate: str
    weight_decay: float
    max_iter: int
    early_stopping: bool
    n_iter_no_change: int | None
    tol: float
    verbose: int
    name: str
    updates_per_iter: int | None = None
    optimizer: type = torch.optim.AdamW
    optimizer_arguments: dict = dataclasses.field(default_factory=dict)
    callbacks: tuple = ()

    @classmethod
    def of(cls, estimator):
        """The settings of an estimator with the shared training parameters."""
        fields = [
            field.name
            for field in dataclasses.fields(cls)
            if field.name
            not in ("name", "updates_per_iter", "optimizer_arguments", "callbacks")
        ]
        values = {field: getattr(estimator, field) for field in fields}
        return cls(
            **values,
            name=type(estimator).__name__,
            updates_per_iter=UPDATES_PER_ITERATION,
            optimizer_arguments=estimator._optimizer_arguments(),
            callbacks=fresh_callbacks(estimator.callbacks),
        )

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def for_chunk(self):
        """These settings for a ``partial_fit`` call.

        One constant-rate pass over every row of the chunk, however many:
        nothing is held out, nothing stops early, and no schedule runs (it
        would need the number of updates in advance).
        """
        return self.replace(
            max_iter=1,
            early_stopping=False,
            n_iter_no_change=None,
            learning_rate="constant",
            updates_per_iter=None,
        )

    def for_pass(self, n_batches, *, anneal=False, min_updates=0):
        """These settings for a fit whose pass is ``n_batches`` batches.

        ``n_batches`` is the length of one shuffled pass over the training
        rows before the cap (:func:`~sklearn_ae._rows.pass_batches`).
        ``learning_rate="auto"`` is ``"constant"`` while the pass fits in an
        iteration and ``anneal`` is False. Past the cap, or with ``anneal``,
        it is ``"cosine"`` over ``min(max_iter, ANNEALED_ITERATIONS)``
        iterations, or with ``anneal`` as many as make ``min_updates``
        updates when that is more (up to ``max_iter``), all of them
        trained: the patience rule is dropped unless it watches a
        validation loss (``early_stopping=True``).
        """
        if self.learning_rate != "auto":
            return self
        if not anneal and (
            self.updates_per_iter is None or n_batches <= self.updates_per_iter
        ):
            return self.replace(learning_rate="constant")
        iterations = ANNEALED_ITERATIONS
        if anneal and min_updates:
            iterations = max(iterations, -(-min_updates // max(n_batches, 1)))
        return self.replace(
            learning_rate="cosine",
            max_iter=min(self.max_iter, iterations),
            n_iter_no_change=self.n_iter_no_change if self.early_stopping else None,
        )
