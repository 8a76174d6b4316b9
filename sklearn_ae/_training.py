"""The training layer: skorch's loop, fed with tensor slices.

skorch runs the epochs, callbacks, history and early stopping. Two things are
ours: batches of in-memory arrays are cut from one tensor by slicing, which
avoids skorch's per-sample ``Dataset.__getitem__`` and collation (2.1x the cost
of a bare torch loop on a small model, measured in ``benchmarks/speed.py``),
and the loss is handed the whole module output so each variant can add its
penalty.
"""

import contextlib
import math

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping


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


def _mps_available():
    backend = getattr(torch.backends, "mps", None)
    return backend is not None and backend.is_available()


def torch_seed(random_state):
    """A 31-bit torch seed drawn from a scikit-learn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def seeded(seed, device):
    """Seed torch inside the block and restore the global RNG state after.

    Everything random in training (initial weights, shuffling, noise, the
    VAE's reparameterisation) draws from torch's default generators, so one
    seed makes a fit reproducible; ``fork_rng`` puts the caller's RNG state
    back, so fitting never changes the user's random streams.
    """
    accelerated = device.type in ("cuda", "mps")
    with torch.random.fork_rng(
        devices=[device] if accelerated else [],
        device_type=device.type if accelerated else "cuda",
    ):
        torch.manual_seed(seed)
        yield


class TensorDataset(torch.utils.data.Dataset):
    """Inputs and targets held as whole tensors, possibly on the device.

    ``targets`` is None for an autoencoder (the input is its own target).
    ``labels`` carries class labels for the conditional and adversarial models.
    """

    def __init__(self, inputs, labels=None):
        self.inputs = inputs
        self.labels = labels

    def __len__(self):
        return len(self.inputs)

    def __getitem__(self, i):
        # Only for tools that insist on item access; training never uses it.
        label = None if self.labels is None else self.labels[i]
        return self.inputs[i], label


class TensorBatchIterator:
    """Batches as slices of a :class:`TensorDataset`, shuffled with torch.

    Each batch is ``(encoder_input, (target, labels))``: ``corrupt``, when
    given, turns the clean batch into the encoder's input (the denoising
    autoencoder's noise), and is applied only to training batches.

    ``labelled_share``, when given, makes every shuffled batch carry that
    share of labelled rows (``labels >= 0``) while labelled rows are rarer:
    an epoch is one pass over the unlabelled rows, and the labelled rows
    fill their share of each batch, cycling through them in a fresh random
    order on each pass. Semi-supervised models need it: with 100 labels in
    4,000 rows, plain shuffling gives about three labelled rows per batch of
    128, too few to train on.
    """

    def __init__(
        self, dataset, batch_size, shuffle=False, corrupt=None, labelled_share=None
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.corrupt = corrupt
        self.labelled_share = labelled_share

    def _balanced_rows(self):
        """``(unlabelled_rows, labelled_rows, n_labelled_per_batch)`` or None."""
        labels = self.dataset.labels
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
        """Index tensors (or slices) of the rows of each batch."""
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
                    labelled[torch.randperm(len(labelled), device=device)]
                    for _ in range(passes)
                ]
            )
            order = unlabelled[torch.randperm(len(unlabelled), device=device)]
            for b in range(n_batches):
                yield torch.cat(
                    [
                        order[b * step : (b + 1) * step],
                        cycled[b * per_batch : (b + 1) * per_batch],
                    ]
                )
            return
        order = torch.randperm(n, device=device) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                yield slice(start, start + self.batch_size)
            else:
                yield order[start : start + self.batch_size]

    def __len__(self):
        balanced = self._balanced_rows()
        if balanced is not None:
            unlabelled, _, per_batch = balanced
            return math.ceil(len(unlabelled) / (self.batch_size - per_batch))
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        inputs, labels = self.dataset.inputs, self.dataset.labels
        for rows in self._row_blocks():
            target = inputs[rows]
            batch_labels = None if labels is None else labels[rows]
            encoder_input = target if self.corrupt is None else self.corrupt(target)
            yield encoder_input, (target, batch_labels)


class AutoEncoderNet(NeuralNet):
    """skorch's ``NeuralNet`` with the autoencoder's loss protocol.

    ``criterion`` is a :class:`~sklearn_ae._losses.ReconstructionLoss` (or a
    variant's subclass); it receives the module output, the clean target, the
    encoder's input and the module, so a penalty can use any of them.
    """

    def __init__(self, *args, corrupt=None, labelled_share=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.corrupt = corrupt
        self.labelled_share = labelled_share

    def get_iterator(self, dataset, training=False):
        return TensorBatchIterator(
            dataset,
            self.batch_size,
            shuffle=training,
            corrupt=self.corrupt if training else None,
            labelled_share=self.labelled_share if training else None,
        )

    def infer(self, x, labels=None, **fit_params):
        # Conditional models read the labels; the others never see them.
        if labels is None:
            return self.module_(x, **fit_params)
        return self.module_(x, labels, **fit_params)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        inputs, y_true = batch
        y_pred = self.infer(inputs, labels=y_true[1])
        loss = self.get_loss(y_pred, y_true, X=inputs, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        inputs, y_true = batch
        with torch.no_grad():
            y_pred = self.infer(inputs, labels=y_true[1])
            loss = self.get_loss(y_pred, y_true, X=inputs, training=False)
        return {"loss": loss, "y_pred": y_pred}

    def get_loss(self, y_pred, y_true, X=None, training=False):
        target, labels = y_true
        return self.criterion_(
            y_pred, target, inputs=X, module=self.module_, labels=labels
        )


class NonFiniteLossGuard(Callback):
    """Stop training with a clear error once the loss is NaN or infinite.

    A diverged model would otherwise train on and hand back NaN codes.
    Checked once an epoch, on skorch's epoch mean, to keep batches free of
    extra work; one NaN batch makes the mean NaN.
    """

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"The training loss became {loss} at epoch {len(net.history)}: "
                "training diverged. Try a smaller learning_rate_init (e.g. 10x "
                "smaller) or scale the input features."
            )


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


class CosineSchedule(Callback):
    """Anneal every optimizer's learning rate to zero along a half cosine.

    Batch ``t`` of ``T = max_epochs * batches_per_epoch`` trains at
    ``lr * (1 + cos(pi * t / T)) / 2`` (Loshchilov & Hutter's SGDR, one
    cycle), where ``lr`` is the rate the optimizer was built with. A warm
    started fit anneals again from ``lr`` over its own ``max_epochs``: each
    fit is one cycle, a warm restart. ``lr`` is kept in each parameter
    group's ``"initial_lr"``, as torch's schedulers do.

    Unlike skorch's ``LRScheduler``, this steps every batch (so a handful of
    epochs still anneals smoothly), survives warm starts, and also drives the
    extra optimizers of a net (the adversarial autoencoder's), found as the
    net's attributes named ``*optimizer_``. The rate of each epoch's first
    batch goes into the history as ``"lr"``.
    """

    def on_train_begin(self, net, X=None, **kwargs):
        # The iterator knows how many batches an epoch has (semi-supervised
        # batches that carry a labelled share make fewer than len(X) / size).
        batches = len(net.get_iterator(X, training=True)) if X is not None else 1
        self.total_steps_ = max(1, net.max_epochs * batches)
        self.step_ = 0
        self.groups_ = [
            group
            for name, optimizer in vars(net).items()
            if name.endswith("optimizer_")
            and isinstance(optimizer, torch.optim.Optimizer)
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


def make_callbacks(estimator, name):
    """skorch callbacks from the estimator's stopping and verbosity settings."""
    callbacks = [("non_finite_guard", NonFiniteLossGuard())]
    if estimator.n_iter_no_change is not None:
        monitor = "valid_loss" if estimator.early_stopping else "train_loss"
        callbacks.append(
            (
                "early_stopping",
                EarlyStopping(
                    monitor=monitor,
                    patience=estimator.n_iter_no_change,
                    threshold=estimator.tol,
                    threshold_mode="rel",
                    load_best=estimator.early_stopping,
                    sink=print if estimator.verbose >= 2 else _silent,
                ),
            )
        )
    if estimator.learning_rate == "cosine":
        callbacks.append(("lr_schedule", CosineSchedule()))
    if estimator.verbose:
        callbacks.append(("progress", EpochProgressBar(estimator.max_iter, name)))
    return callbacks


def make_net(
    module, criterion, *, estimator, device, corrupt, net_class=AutoEncoderNet, **params
):
    """Build the skorch net that trains ``module`` with ``criterion``.

    ``net_class`` is a subclass of :class:`AutoEncoderNet` (the adversarial
    autoencoder's); ``params`` are extra or overriding keyword arguments of it
    (its own settings, or ``max_epochs`` for a layer's pretraining).
    """
    verbose = estimator.verbose
    settings = {
        "module": module,
        "criterion": criterion,
        # AdamW is Adam when weight_decay is 0.
        "optimizer": torch.optim.AdamW,
        "optimizer__weight_decay": estimator.weight_decay,
        "lr": estimator.learning_rate_init,
        "max_epochs": estimator.max_iter,
        "batch_size": estimator.batch_size,
        "train_split": None,
        "callbacks": make_callbacks(estimator, type(estimator).__name__),
        "device": device,
        "corrupt": corrupt,
        # skorch's per-epoch table only at verbose >= 2; the bar says enough at 1.
        "verbose": int(verbose >= 2),
    }
    return net_class(**{**settings, **params})


__all__ = [
    "AutoEncoderNet",
    "TensorBatchIterator",
    "TensorDataset",
    "make_net",
    "resolve_device",
    "seeded",
    "torch_seed",
]
