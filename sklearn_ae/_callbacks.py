"""Our skorch callbacks: the divergence guard, stopping, progress, schedule.

:func:`make_callbacks` turns a :class:`~sklearn_ae._settings.TrainingSettings`
into the callbacks a fit runs with.
"""

import math
import sys

import torch
from skorch.callbacks import Callback, EarlyStopping, PrintLog

DIVERGENCE_ADVICE = (
    "Try a smaller learning_rate_init (e.g. 10x smaller; for an "
    "AdversarialAutoEncoder also discriminator_learning_rate and "
    "generator_learning_rate) or scale the input features."
)


def check_parameters(net, when):
    """Raise a FloatingPointError if a parameter of the net is not finite."""
    for name, parameter in net.module_.named_parameters():
        if not bool(torch.isfinite(parameter).all()):
            raise FloatingPointError(
                f"The network's parameter {name!r} is not finite {when}: "
                f"training diverged. {DIVERGENCE_ADVICE}"
            )


class NonFiniteLossGuard(Callback):
    """Stop training with a clear error once a loss or a weight is not finite.

    A diverged model would otherwise train on and hand back NaN codes.
    Checked once an epoch, to keep batches free of extra work: the epoch
    means of the training loss, of every term of every phase (an adversarial
    model's discriminator can diverge alone) and of the validation loss
    (one NaN batch makes a mean NaN), then every parameter, which sees the
    epoch's updates. :meth:`~sklearn_ae._net.AutoEncoderNet.check_finite`
    checks the losses after the last update, once training ends.
    """

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        columns = ("train_loss", "valid_loss", *net.criterion_.history_columns())
        for column in columns:
            loss = row.get(column)
            if loss is not None and not math.isfinite(loss):
                raise FloatingPointError(
                    f"The {column.replace('_', ' ')} became {loss} at epoch "
                    f"{len(net.history)}: training diverged. {DIVERGENCE_ADVICE}"
                )
        check_parameters(net, when=f"at epoch {len(net.history)}")


class StopTraining(Exception):
    """Raised by a callback to end training normally (early stopping)."""


class StoppingEarly(EarlyStopping):
    """skorch's ``EarlyStopping``, which ends training with StopTraining.

    skorch's raises ``KeyboardInterrupt`` to stop, which its loop catches;
    ours lets a real ``KeyboardInterrupt`` reach the caller, so the decision
    to stop needs an exception of its own.
    """

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            if self.misses_ != self.patience:
                raise  # a real Ctrl-C, not the decision to stop
            raise StopTraining from None


class EpochProgressBar(Callback):
    """One tqdm bar over epochs with the latest losses as its postfix."""

    def __init__(self, total, desc):
        self.total = total
        self.desc = desc

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=self.total, desc=self.desc, unit="epoch", leave=False)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        postfix = {"loss": f"{row['train_loss']:.4g}"}
        if "valid_loss" in row:
            postfix["val_loss"] = f"{row['valid_loss']:.4g}"
        self.bar_.set_postfix(postfix, refresh=False)
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()


class EpochTable(PrintLog):
    """skorch's per-epoch table (``verbose=2``), coloured only on a terminal.

    skorch colours each column's best value with ANSI escape codes; written
    to a log file or a pipe they are noise, so there the table is plain.
    """

    def on_epoch_end(self, net, **kwargs):
        # Formatting the table costs more than the epoch's callbacks
        # together; skip it when nothing is printed.
        if net.verbose:
            super().on_epoch_end(net, **kwargs)

    def format_row(self, row, key, color):
        if not _is_terminal(sys.stdout):
            # skorch colours a value when its "<key>_best" flag is set.
            row = {name: value for name, value in row.items() if name != f"{key}_best"}
        return super().format_row(row, key, color)


def _is_terminal(stream):
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class CosineSchedule(Callback):
    """Anneal every optimizer's learning rate to zero along a half cosine.

    Batch ``t`` of ``T = max_epochs * batches_per_epoch`` trains at
    ``lr * (1 + cos(pi * t / T)) / 2`` (Loshchilov & Hutter's SGDR, one
    cycle), where ``lr`` is the rate the optimizer was built with. A warm
    started fit anneals again from ``lr`` over its own ``max_epochs``: each
    fit is one cycle, a warm restart. ``lr`` is kept in each parameter
    group's ``"initial_lr"``, as torch's schedulers do.

    Unlike skorch's ``LRScheduler``, this steps every batch (so a handful of
    epochs still anneals smoothly), survives warm starts, and drives every
    optimizer of the net (one per phase of the objective). The rate of each
    epoch's first batch goes into the history as ``"lr"``.
    """

    def on_train_begin(self, net, X=None, **kwargs):
        # The iterator knows how many batches an epoch has (semi-supervised
        # batches that carry a labelled share make fewer than len(X) / size).
        batches = len(net.get_iterator(X, training=True)) if X is not None else 1
        self.total_steps_ = max(1, net.max_epochs * batches)
        self.step_ = 0
        self.groups_ = [
            group
            for optimizer in net.phase_optimizers()
            for group in optimizer.param_groups
        ]
        for group in self.groups_:
            group.setdefault("initial_lr", group["lr"])

    def _factor(self):
        progress = min(self.step_ / self.total_steps_, 1.0)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    def on_epoch_begin(self, net, **kwargs):
        # The rate of the epoch's first batch, as history column "lr".
        if self.groups_:
            net.history.record("lr", self.groups_[0]["initial_lr"] * self._factor())

    def on_batch_begin(self, net, training=False, **kwargs):
        if not training:
            return
        factor = self._factor()
        for group in self.groups_:
            group["lr"] = group["initial_lr"] * factor
        self.step_ += 1


def _silent(*args, **kwargs):
    pass


def make_callbacks(settings):
    """skorch callbacks from the settings: ours, then the user's."""
    callbacks = [("non_finite_guard", NonFiniteLossGuard())]
    if settings.n_iter_no_change is not None:
        monitor = "valid_loss" if settings.early_stopping else "train_loss"
        callbacks.append(
            (
                "early_stopping",
                StoppingEarly(
                    monitor=monitor,
                    patience=settings.n_iter_no_change,
                    threshold=settings.tol,
                    threshold_mode="rel",
                    load_best=settings.early_stopping,
                    sink=print if settings.verbose >= 2 else _silent,
                ),
            )
        )
    if settings.learning_rate == "cosine":
        callbacks.append(("lr_schedule", CosineSchedule()))
    if settings.verbose:
        callbacks.append(
            ("progress", EpochProgressBar(settings.max_iter, settings.name))
        )
    return [*callbacks, *settings.callbacks]
