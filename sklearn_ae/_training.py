"""The training layer: skorch's loop, fed with tensor slices.

skorch runs the epochs, callbacks, history and early stopping. Three things
are ours: batches of in-memory arrays are cut from one tensor by slicing,
which avoids skorch's per-sample ``Dataset.__getitem__`` and collation (2.1x
the cost of a bare torch loop on a small model, measured in
``benchmarks/speed.py``); every batch carries the rows' side data by name
(labels, row indices, weights: :class:`RowDataset`); and each batch runs the
phases of the model's :class:`~sklearn_ae._objective.Objective`, one
optimizer step each, recording every named term in the history.

The layer is configured by a :class:`TrainingSettings` object, never by the
estimator itself, so anything (a stacked model's layer-wise pretraining) can
train a module with it.
"""

import copy
import dataclasses
import itertools
import math
import mmap
import sys
from typing import NamedTuple

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PassthroughScoring, PrintLog
from skorch.utils import TeeGenerator

from ._random import seeded, torch_seed


def resolve_device(device):
    """Turn the ``device`` parameter into a ``torch.device``.

    ``"auto"`` picks CUDA, then Apple's MPS, then the CPU. Anything torch
    does not parse, or an accelerator this machine lacks, is a ValueError.
    """
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a device torch knows; use 'auto', 'cpu', "
            "'cuda', 'cuda:N' or 'mps'."
        ) from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on "
                "this machine; use device='auto' or 'cpu'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} does not exist: this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    elif resolved.type == "mps":
        if not _mps_available():
            raise ValueError(
                f"device={device!r} was requested but MPS is not available on "
                "this machine; use device='auto' or 'cpu'."
            )
    elif resolved.type != "cpu":
        raise ValueError(
            f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda', "
            "'cuda:N' or 'mps'."
        )
    return resolved


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


def _mps_available():
    backend = getattr(torch.backends, "mps", None)
    return backend is not None and backend.is_available()


class RowDataset(torch.utils.data.Dataset):
    """Training rows as whole tensors (possibly on the device), with side data.

    ``side`` maps a name to a tensor with one entry per row (class labels,
    row indices, sample weights, target coordinates, ...). Every named
    tensor is split, shuffled and batched with the rows, and reaches the
    module's forward pass and the objective's terms under its name, so a
    variant that needs a new per-row datum only names it.
    """

    def __init__(self, inputs, side=None):
        self.inputs = inputs
        self.side = dict(side or {})

    def __len__(self):
        return len(self.inputs)

    def __getitem__(self, i):
        # Only for tools that insist on item access; training never uses it.
        return self.inputs[i], {name: values[i] for name, values in self.side.items()}


class Batch(NamedTuple):
    """One batch: what the encoder reads, the clean target and the side data.

    ``inputs`` differs from ``target`` only under corruption (the denoising
    autoencoder's noise, applied to training batches). ``generator`` is the
    fit's torch generator, from which anything random in the batch's losses
    draws (a VAE's sample, random projections, prior draws). skorch reads
    the batch size from the first field.
    """

    inputs: torch.Tensor
    target: torch.Tensor
    side: dict
    generator: torch.Generator | None = None


class TensorBatchIterator:
    """Batches as slices of a :class:`RowDataset`, shuffled with torch.

    ``corrupt``, when given, turns the clean batch into the encoder's input,
    ``corrupt(batch, generator)``, and is applied only to training batches.
    ``generator`` (a ``torch.Generator`` on the rows' device) draws the
    shuffling and the noise; each batch carries it on.

    ``max_batches``, when given, ends a shuffled pass after that many
    batches: an iteration of training on a large set is a fixed number of
    updates on rows drawn afresh without replacement, not a whole pass (see
    :data:`UPDATES_PER_ITERATION`).

    ``labelled_share``, when given, makes every shuffled batch carry that
    share of labelled rows (side data ``labels >= 0``) while labelled rows
    are rarer: an epoch is one pass over the unlabelled rows, and the
    labelled rows fill their share of each batch, cycling through them in a
    fresh random order on each pass. Semi-supervised models need it: with 100
    labels in 4,000 rows, plain shuffling gives about three labelled rows per
    batch of 128, too few to train on.
    """

    def __init__(
        self,
        dataset,
        batch_size,
        shuffle=False,
        corrupt=None,
        labelled_share=None,
        generator=None,
        max_batches=None,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.corrupt = corrupt
        self.labelled_share = labelled_share
        self.generator = generator
        self.max_batches = max_batches

    def _permutation(self, n, device):
        return torch.randperm(n, generator=self.generator, device=device)

    def _balanced_rows(self):
        """``(unlabelled_rows, labelled_rows, n_labelled_per_batch)`` or None."""
        labels = self.dataset.side.get("labels")
        if not self.shuffle or not self.labelled_share or labels is None:
            return None
        labelled = labels >= 0
        n, n_labelled = len(labels), int(labelled.sum())
        if n_labelled == 0 or n_labelled >= self.labelled_share * n:
            return None
        # At least one labelled and one unlabelled row in every batch.
        per_batch = min(
            max(1, round(self.labelled_share * self.batch_size)), self.batch_size - 1
        )
        if per_batch < 1:  # batch_size=1: nothing to share
            return None
        return (
            torch.nonzero(~labelled).flatten(),
            torch.nonzero(labelled).flatten(),
            per_batch,
        )

    def _row_blocks(self):
        """Index tensors (or slices) of the rows of each batch, capped."""
        blocks = self._pass_blocks()
        if self.shuffle and self.max_batches is not None:
            blocks = itertools.islice(blocks, self.max_batches)
        return blocks

    def _pass_blocks(self):
        """Index tensors (or slices) of the rows of each batch of one pass."""
        n = len(self.dataset.inputs)
        device = self.dataset.inputs.device
        balanced = self._balanced_rows()
        if balanced is not None:
            unlabelled, labelled, per_batch = balanced
            step = self.batch_size - per_batch
            n_batches = math.ceil(len(unlabelled) / step)
            # Enough passes over the labelled rows, each in a new order.
            passes = math.ceil(n_batches * per_batch / len(labelled))
            cycled = torch.cat(
                [
                    labelled[self._permutation(len(labelled), device)]
                    for _ in range(passes)
                ]
            )
            order = unlabelled[self._permutation(len(unlabelled), device)]
            for b in range(n_batches):
                yield torch.cat(
                    [
                        order[b * step : (b + 1) * step],
                        cycled[b * per_batch : (b + 1) * per_batch],
                    ]
                )
            return
        order = self._permutation(n, device) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                yield slice(start, start + self.batch_size)
            else:
                yield order[start : start + self.batch_size]

    def __len__(self):
        balanced = self._balanced_rows()
        if balanced is not None:
            unlabelled, _, per_batch = balanced
            n_batches = math.ceil(len(unlabelled) / (self.batch_size - per_batch))
        else:
            n_batches = math.ceil(len(self.dataset) / self.batch_size)
        if self.shuffle and self.max_batches is not None:
            return min(n_batches, self.max_batches)
        return n_batches

    def __iter__(self):
        inputs, side = self.dataset.inputs, self.dataset.side
        for rows in self._row_blocks():
            target = inputs[rows]
            encoder_input = target
            if self.corrupt is not None:
                encoder_input = self.corrupt(target, self.generator)
            yield Batch(
                encoder_input,
                target,
                {name: values[rows] for name, values in side.items()},
                self.generator,
            )


# skorch's per-batch callback events.
_BATCH_EVENTS = ("on_batch_begin", "on_batch_end", "on_grad_computed")


def _listens(callback, event):
    """Whether ``callback`` implements ``event`` (not skorch's no-op)."""
    return getattr(type(callback), event, None) is not getattr(Callback, event)


class AutoEncoderNet(NeuralNet):
    """skorch's ``NeuralNet`` running an :class:`~sklearn_ae._objective.Objective`.

    ``criterion`` is the objective. Each training batch runs its phases in
    order, each with its own optimizer over its own parameters: the first
    phase's optimizer is skorch's ``optimizer_`` (so ``lr`` and
    ``optimizer__*`` parameters address it), the others are
    ``<phase>_optimizer_``, registered with skorch like any optimizer it
    creates. Every term's batch value goes into the history as
    ``<term>_loss``; ``train_loss`` and ``valid_loss`` are the first phase's
    loss.

    ``max_batches`` caps the updates of an epoch (see
    :data:`UPDATES_PER_ITERATION`); the history's ``updates`` column counts
    each epoch's.

    ``generator`` is the fit's ``torch.Generator``: everything random in
    training draws from it, never from torch's global generator. The
    estimators set it for a fit and clear it afterwards, so a fitted net
    holds no generator.

    Unlike skorch's, ``partial_fit`` lets a ``KeyboardInterrupt`` (and any
    other exception) reach the caller, after the callbacks' ``on_train_end``
    (progress bars close).
    """

    def __init__(
        self,
        *args,
        corrupt=None,
        labelled_share=None,
        generator=None,
        max_batches=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.corrupt = corrupt
        self.labelled_share = labelled_share
        self.generator = generator
        self.max_batches = max_batches

    def __getstate__(self):
        # A pickle keeps each epoch's row of the history but not its
        # per-batch records: those grow with the training set (22 KB more
        # for 2,000 rows than for 200 in 5 epochs), the epoch means do not.
        state = super().__getstate__()
        if "history_" in state:
            state["history_"] = type(state["history_"])(
                {key: value for key, value in row.items() if key != "batches"}
                for row in state["history_"]
            )
        return state

    @property
    def _default_callbacks(self):
        callbacks = list(super()._default_callbacks)
        # Epoch means of the terms, before print_log so that verbose=2 prints.
        at = [name for name, _ in callbacks].index("print_log")
        callbacks[at] = ("print_log", EpochTable())
        callbacks[at:at] = [
            (column, PassthroughScoring(column, lower_is_better=None, on_train=True))
            for column in self.criterion.history_columns()
        ]
        return callbacks

    def get_iterator(self, dataset, training=False):
        return TensorBatchIterator(
            dataset,
            self.batch_size,
            shuffle=training,
            corrupt=self.corrupt if training else None,
            labelled_share=self.labelled_share if training else None,
            generator=self.generator,
            max_batches=self.max_batches,
        )

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch, with the per-batch work it repeats done once.

        The same steps, history records and callback events as skorch's
        loop, at a cost within 5% of a bare torch loop on a 3-64-64-2
        network (``benchmarks/speed.py``; skorch's loop cost 1.3x): the
        modules' mode is set once an epoch, not in each step
        (``module.train()`` walks every submodule, 0.2 ms a call, as much as
        the rest of the step), and a batch event reaches only the callbacks
        that implement it (timers, scorers and the log do nothing then), and
        a batch's records are written to its row of the history directly.
        """
        if iterator is None:
            return
        self._set_training(training)
        self._batch_listeners = {
            event: [cb for _, cb in self.callbacks_ if _listens(cb, event)]
            for event in _BATCH_EVENTS
        }
        history = self.history
        batch_count = 0
        try:
            for batch in iterator:
                self._notify_batch("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                row = self._batch_row()
                row[prefix + "_loss"] = step["loss"].item()
                row[prefix + "_batch_size"] = len(batch.inputs)
                self._notify_batch(
                    "on_batch_end", batch=batch, training=training, **step
                )
                batch_count += 1
        finally:
            del self._batch_listeners
        history.record(prefix + "_batch_count", batch_count)

    def _batch_row(self):
        """The history's record of the current batch, a dict.

        What ``history.record_batch`` writes to, reached without skorch's
        indexing by keys (a few microseconds a call).
        """
        return list.__getitem__(self.history, -1)["batches"][-1]

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        # skorch's history.new_batch(), without its keyed indexing.
        list.__getitem__(self.history, -1)["batches"].append({})

    def _notify_batch(self, event, **kwargs):
        """skorch's ``notify`` for a batch event, to its listeners only."""
        getattr(self, event)(self, **kwargs)
        for callback in self._batch_listeners[event]:
            getattr(callback, event)(self, **kwargs)

    def on_epoch_end(self, net, **kwargs):
        # Updates made in the epoch (capped on large data): with the epoch
        # rows, a pickled history still tells how much training was done.
        batches = self.history[-1]["batches"]
        self.history.record("updates", sum("train_loss" in b for b in batches))

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        # skorch's swallows KeyboardInterrupt and returns as if training had
        # finished; a Ctrl-C must stop the caller's script or search.
        if not self.initialized_:
            self.initialize()
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, **fit_params)
        except StopTraining:
            pass
        finally:
            self.notify("on_train_end", X=X, y=y)
        return self

    def check_finite(self, dataset, n_rows):
        """Raise a FloatingPointError unless the trained net is finite.

        Checks every parameter, then every phase's loss on the first
        ``n_rows`` rows of ``dataset`` in eval mode: the epoch means the
        guard reads were measured before each update, so this is what sees
        a divergence in the last update.
        """
        check_parameters(self, when="after training")
        rows = slice(0, n_rows)
        batch = Batch(
            dataset.inputs[rows],
            dataset.inputs[rows],
            {name: values[rows] for name, values in dataset.side.items()},
            self.generator,
        )
        self._set_training(False)
        objective, module = self.criterion_, self.module_
        with torch.no_grad():
            output = self.infer(batch.inputs, generator=batch.generator, **batch.side)
            for index, phase in enumerate(objective.phases):
                loss, _ = objective.phase_loss(
                    phase, output if index == 0 else None, batch, module
                )
                if not bool(torch.isfinite(loss)):
                    raise FloatingPointError(
                        f"The {phase.name} loss of the trained network is "
                        f"{float(loss)} on the training data: training "
                        f"diverged. {DIVERGENCE_ADVICE}"
                    )

    def initialize_optimizer(self, *args, **kwargs):
        module, phases = self.module_, self.criterion_.phases
        for index, phase in enumerate(phases):
            named = list(phase.parameters(module))
            if index == 0:
                # A likelihood's learned variance is a statistic of the data,
                # not a weight: decay would pull it towards the data's scale.
                undecayed = [p for n, p in named if n.startswith("likelihood.")]
                named = [(n, p) for n, p in named if not n.startswith("likelihood.")]
                args, kwargs = self.get_params_for_optimizer("optimizer", named)
                self.optimizer_ = self.optimizer(*args, **kwargs)
                if undecayed:
                    self.optimizer_.add_param_group(
                        {"params": undecayed, "weight_decay": 0.0}
                    )
            else:
                # Assigned here, so skorch registers it among its optimizers.
                setattr(
                    self,
                    f"{phase.name}_optimizer_",
                    self.optimizer(
                        [p for _, p in named],
                        lr=phase.learning_rate,
                        weight_decay=phase.weight_decay,
                    ),
                )
        return self

    def phase_optimizers(self):
        """The optimizer of each phase, in the objective's order."""
        phases = self.criterion_.phases
        names = ["optimizer_"] + [f"{p.name}_optimizer_" for p in phases[1:]]
        return [getattr(self, name) for name in names]

    def infer(self, x, **side):
        return self.module_(x, **side)

    def train_step(self, batch, **fit_params):
        objective, module = self.criterion_, self.module_
        optimizers = self.phase_optimizers()
        for index, (phase, optimizer) in enumerate(
            zip(objective.phases, optimizers, strict=True)
        ):
            optimizer.zero_grad()
            output = None
            if index == 0:
                output = self.infer(
                    batch.inputs, generator=batch.generator, **batch.side
                )
            loss, values = objective.phase_loss(phase, output, batch, module)
            loss.backward()
            if index == 0:
                if self._batch_listeners["on_grad_computed"]:
                    self._notify_batch(
                        "on_grad_computed",
                        named_parameters=TeeGenerator(self.get_all_learnable_params()),
                        batch=batch,
                        training=True,
                    )
                step = {"loss": loss, "y_pred": output}
            optimizer.step()
            row = self._batch_row()
            for name, value in values.items():
                row[f"{name}_loss"] = value.item()
        return step

    def validation_step(self, batch, **fit_params):
        objective = self.criterion_
        with torch.no_grad():
            output = self.infer(batch.inputs, generator=batch.generator, **batch.side)
            loss, _ = objective.phase_loss(
                objective.phases[0], output, batch, self.module_
            )
        return {"loss": loss, "y_pred": output}


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
    epoch's updates. :meth:`AutoEncoderNet.check_finite` checks the losses
    after the last update, once training ends.
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


def pass_batches(dataset, batch_size, labelled_share=None):
    """Batches of one shuffled pass over ``dataset``, before any cap.

    More than ``ceil(len(dataset) / batch_size)`` when batches carry a
    labelled share (see :class:`TensorBatchIterator`).
    """
    iterator = TensorBatchIterator(
        dataset, batch_size, shuffle=True, labelled_share=labelled_share
    )
    return len(iterator)


@dataclasses.dataclass(frozen=True)
class TrainingSettings:
    """How to train: the loop's settings, given explicitly to :func:`make_net`.

    The estimators fill it from their parameters of the same names
    (``max_iter`` is the number of iterations: epochs, capped at
    ``updates_per_iter`` updates each); ``name`` labels the progress bar.
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

    @classmethod
    def of(cls, estimator):
        """The settings of an estimator with the shared training parameters."""
        fields = [
            field.name
            for field in dataclasses.fields(cls)
            if field.name not in ("name", "updates_per_iter")
        ]
        values = {field: getattr(estimator, field) for field in fields}
        return cls(
            **values,
            name=type(estimator).__name__,
            updates_per_iter=UPDATES_PER_ITERATION,
        )

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def for_pass(self, n_batches):
        """These settings for a fit whose pass is ``n_batches`` batches.

        ``n_batches`` is the length of one shuffled pass over the training
        rows before the cap (:func:`pass_batches`). ``learning_rate="auto"``
        is ``"constant"`` while the pass fits in an iteration. Past the cap
        it is ``"cosine"`` over ``min(max_iter, ANNEALED_ITERATIONS)``
        iterations, all of them trained: the patience rule is dropped unless
        it watches a validation loss (``early_stopping=True``).
        """
        if self.learning_rate != "auto":
            return self
        if self.updates_per_iter is None or n_batches <= self.updates_per_iter:
            return self.replace(learning_rate="constant")
        return self.replace(
            learning_rate="cosine",
            max_iter=min(self.max_iter, ANNEALED_ITERATIONS),
            n_iter_no_change=self.n_iter_no_change if self.early_stopping else None,
        )


def make_callbacks(settings):
    """skorch callbacks from the stopping and verbosity settings."""
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
    return callbacks


def make_net(
    module,
    objective,
    settings,
    *,
    device,
    corrupt=None,
    labelled_share=None,
    generator=None,
):
    """Build the skorch net that trains ``module`` on ``objective``.

    Parameters
    ----------
    module : torch.nn.Module
    objective : Objective
    settings : TrainingSettings
    device : torch.device
    corrupt : callable or None
        Turns a clean training batch into the encoder's input.
    labelled_share : float or None
        See :class:`TensorBatchIterator`.
    generator : torch.Generator or None
        The fit's stream, on ``device``.
    """
    return AutoEncoderNet(
        module=module,
        criterion=objective,
        # AdamW is Adam when weight_decay is 0.
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=settings.weight_decay,
        lr=settings.learning_rate_init,
        max_epochs=settings.max_iter,
        batch_size=settings.batch_size,
        train_split=None,
        callbacks=make_callbacks(settings),
        device=device,
        corrupt=corrupt,
        labelled_share=labelled_share,
        generator=generator,
        max_batches=settings.updates_per_iter,
        # skorch's per-epoch table only at verbose >= 2; the bar says enough at 1.
        verbose=int(settings.verbose >= 2),
    )


def apply_settings(net, objective, settings):
    """Make an initialised net train with new settings and objective.

    For a warm start: the module and the optimizers' state (Adam's moments)
    are kept, while the epochs, batch size, learning rates, weight decay,
    stopping rules and verbosity become those of ``settings``, and the
    objective's terms, weights and later phases' rates those of
    ``objective``.
    """
    old = net.criterion_.history_columns()
    if objective.history_columns() != old:
        raise ValueError(
            "Training a fitted network further (warm_start=True or "
            "partial_fit) cannot change the terms of the training objective "
            f"(fitted with {old}, now {objective.history_columns()}): a "
            "weight set to or from 0 adds or drops a term. Set the weight "
            "back, or fit afresh (warm_start=False)."
        )
    net.criterion = net.criterion_ = objective
    net.max_epochs = settings.max_iter
    net.max_batches = settings.updates_per_iter
    net.batch_size = settings.batch_size
    net.lr = settings.learning_rate_init
    net.optimizer__weight_decay = settings.weight_decay
    net.verbose = int(settings.verbose >= 2)
    phases = objective.phases
    for index, (phase, optimizer) in enumerate(
        zip(phases, net.phase_optimizers(), strict=True)
    ):
        first = index == 0
        for group in optimizer.param_groups:
            group["lr"] = settings.learning_rate_init if first else phase.learning_rate
            group["weight_decay"] = (
                settings.weight_decay if first else phase.weight_decay
            )
            # A cosine schedule anneals again from the new rate.
            group.pop("initial_lr", None)
    net.callbacks = make_callbacks(settings)
    net.initialize_callbacks()
    return net


def snapshot(net):
    """A callable that puts an initialised net back as it is now.

    For a warm start, which trains the fitted net in place: the net's
    attributes (settings, callbacks, objective), the module's weights, every
    optimizer's state and the history are put back, so that a failed fit
    leaves the fitted model as it was. The module and optimizers stay the
    same objects (hooks a user registered on them survive).
    """
    attributes = dict(vars(net))
    weights = copy.deepcopy(net.module_.state_dict())
    optimizers = [
        (optimizer, copy.deepcopy(optimizer.state_dict()))
        for optimizer in net.phase_optimizers()
    ]
    # A shallow copy: training appends its own epoch rows and writes only
    # to those, never to earlier ones. A deep copy cost time in proportion
    # to the history, which partial_fit's calls grow one epoch at a time
    # (a call took 5x longer after 3,000 calls).
    history = copy.copy(net.history)
    training = net.module_.training

    def restore():
        vars(net).clear()
        vars(net).update(attributes)
        net.module_.load_state_dict(weights)
        net.module_.train(training)
        for optimizer, state in optimizers:
            optimizer.load_state_dict(state)
        net.history = history

    return restore


# Inputs whose float32 copy would take more bytes than this stay where they
# are and reach the device a batch at a time (:class:`HostRows`); smaller
# ones are copied to the device once, which makes batches cheapest.
DEVICE_COPY_LIMIT = 2**30

# Rows per block when a statistic is computed over streamed rows.
STATISTICS_BLOCK_ROWS = 16_384


def is_memory_mapped(X):
    """Whether the array X (or an array it views) maps a file."""
    while X is not None:
        if isinstance(X, np.memmap | mmap.mmap):
            return True
        X = getattr(X, "base", None)
    return False


def streams(X):
    """Whether training reads X a batch at a time instead of copying it.

    True for memory-mapped arrays (whose point is not to be loaded whole)
    and for arrays whose float32 copy would pass :data:`DEVICE_COPY_LIMIT`.
    """
    return is_memory_mapped(X) or X.shape[0] * X.shape[1] * 4 > DEVICE_COPY_LIMIT


class HostRows:
    """Training rows left in a numpy array, read a batch at a time.

    Stands in for the input tensor of a :class:`RowDataset` when the data
    are too large to copy (or memory-mapped): indexing it with a slice or an
    index tensor gathers those rows of ``array`` (of its ``rows``, when
    given) into a float32 tensor on ``device``, so a fit holds one batch of
    the input beyond the array itself. The column statistics the fit needs
    (``mean``, ``std``, ``min``, ``max`` over axis 0, as numpy's) are
    computed block by block for the same reason.
    """

    def __init__(self, array, device, rows=None):
        self.array = array
        self.device = torch.device(device)
        self.rows = rows

    def __len__(self):
        return len(self.array) if self.rows is None else len(self.rows)

    @property
    def shape(self):
        return (len(self), self.array.shape[1])

    def __getitem__(self, index):
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        if self.rows is not None:
            index = self.rows[index]
        # torch.tensor copies: a slice of a read-only memmap is a view.
        block = np.ascontiguousarray(self.array[index])
        return torch.tensor(block, dtype=torch.float32, device=self.device)

    def _blocks(self):
        for start in range(0, len(self), STATISTICS_BLOCK_ROWS):
            rows = slice(start, start + STATISTICS_BLOCK_ROWS)
            if self.rows is None:
                yield self.array[rows]
            else:
                yield self.array[np.sort(self.rows[rows])]

    def mean(self, axis=0, dtype=np.float64):
        total = sum(block.sum(axis=axis, dtype=dtype) for block in self._blocks())
        return total / len(self)

    def std(self, axis=0, dtype=np.float64):
        mean = self.mean(axis, dtype)
        squares = sum(
            np.square(block - mean).sum(axis=axis) for block in self._blocks()
        )
        return np.sqrt(squares / len(self))

    def min(self, axis=0, **kwargs):
        return np.min([block.min(axis=axis) for block in self._blocks()], axis=0)

    def max(self, axis=0, **kwargs):
        return np.max([block.max(axis=axis) for block in self._blocks()], axis=0)


def to_dataset(X, side, device):
    """A :class:`RowDataset` of float32 rows and their side data on ``device``.

    ``X`` is an array, copied to the device, or :class:`HostRows`, read a
    batch at a time.
    """
    if isinstance(X, HostRows):
        inputs = HostRows(X.array, device, X.rows)
    else:
        # torch.tensor copies: read-only (memmapped) input must not be
        # shared. ascontiguousarray: torch refuses negative strides.
        inputs = torch.tensor(
            np.ascontiguousarray(X), dtype=torch.float32, device=device
        )
    return RowDataset(
        inputs,
        {name: torch.as_tensor(values, device=device) for name, values in side.items()},
    )


__all__ = [
    "AutoEncoderNet",
    "Batch",
    "HostRows",
    "RowDataset",
    "TensorBatchIterator",
    "TrainingSettings",
    "apply_settings",
    "make_net",
    "resolve_device",
    "seeded",
    "snapshot",
    "to_dataset",
    "torch_seed",
]
