"""The training net: skorch's loop running a model's objective.

skorch runs the epochs, callbacks, history and early stopping. Each batch
runs the phases of the model's :class:`~sklearn_ae._objective.Objective`,
one optimizer step each, recording every named term in the history.

The net is configured by a :class:`~sklearn_ae._settings.TrainingSettings`
object, never by the estimator itself, so anything (a stacked model's
layer-wise pretraining) can train a module with it.
"""

import copy

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, PassthroughScoring
from skorch.helper import predefined_split
from skorch.utils import TeeGenerator

from ._callbacks import (
    DIVERGENCE_ADVICE,
    EpochTable,
    StopTraining,
    check_parameters,
    make_callbacks,
)
from ._extensions import decay_argument, implementation_argument
from ._rows import Batch, RowDataset, TensorBatchIterator

# Training rows on which every loss of the trained network is checked once
# training ends (the divergence guard's last look, after the last update).
FINITE_CHECK_ROWS = 1024

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
    :data:`~sklearn_ae._settings.UPDATES_PER_ITERATION`); the history's
    ``updates`` column counts each epoch's.

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
        sampler=None,
        generator=None,
        max_batches=None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.corrupt = corrupt
        self.sampler = sampler
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
            sampler=self.sampler if training else None,
            generator=self.generator,
            max_batches=self.max_batches,
        )

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch, with the per-batch work it repeats done once.

        The same steps, history records and callback events as skorch's
        loop, at 1.01 to 1.03 times the CPU time of a bare torch loop on
        MNIST's 784-512-256-2 and 0.88 to 0.97 on a 3-64-64-2 network,
        whose bare loop takes torch's one-tensor AdamW step while the net
        takes the multi-tensor one (0.98 to 1.04 against a bare loop
        taking it too; ``python -m benchmarks.speed --clock cpu``, three
        runs on an idle machine; skorch's loop cost 1.3x): the
        modules' mode is set once an epoch, not in each step
        (``module.train()`` walks every submodule, 0.2 ms a call, as much as
        the rest of the step), the phases' optimizers are looked up once an
        epoch, a batch event reaches only the callbacks that implement it
        (timers, scorers and the log do nothing then), and a batch's records
        are written to its row of the history directly (skorch's keyed
        indexing costs a few microseconds a call). At about a millisecond a
        step, each microsecond of Python per step is 0.1% of the fit.
        """
        if iterator is None:
            return
        self._set_training(training)
        listeners = {
            event: [cb for _, cb in self.callbacks_ if _listens(cb, event)]
            for event in _BATCH_EVENTS
        }
        self._batch_listeners = listeners
        self._epoch_optimizers = self.phase_optimizers()
        # The epoch's batch records (skorch's history.new_batch() appends to
        # this list), kept for train_step, which writes to the last.
        self._epoch_batches = batches = list.__getitem__(self.history, -1)["batches"]
        loss_key, size_key = prefix + "_loss", prefix + "_batch_size"
        batch_count = 0
        try:
            for batch in iterator:
                row = {}
                batches.append(row)
                for callback in listeners["on_batch_begin"]:
                    callback.on_batch_begin(self, batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                row[loss_key] = step["loss"].item()
                row[size_key] = len(batch.inputs)
                for callback in listeners["on_batch_end"]:
                    callback.on_batch_end(self, batch=batch, training=training, **step)
                batch_count += 1
        finally:
            del self._batch_listeners, self._epoch_optimizers, self._epoch_batches
        self.history.record(prefix + "_batch_count", batch_count)

    def _notify_batch(self, event, **kwargs):
        """skorch's ``notify`` for a batch event, to its listeners only."""
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
        # The step's implementation, where the user's arguments leave it
        # open, on the devices whose multi-tensor kernels torch tests.
        weights = list(module.parameters())
        implementation = (
            implementation_argument(
                self.optimizer,
                self.get_params_for("optimizer"),
                sum(p.numel() for p in weights),
            )
            if all(p.device.type in ("cpu", "cuda") for p in weights)
            else {}
        )
        for index, phase in enumerate(phases):
            named = list(phase.parameters(module))
            if index == 0:
                # A likelihood's learned variance is a statistic of the data,
                # not a weight: decay would pull it towards the data's scale.
                undecayed = [p for n, p in named if n.startswith("likelihood.")]
                named = [(n, p) for n, p in named if not n.startswith("likelihood.")]
                args, kwargs = self.get_params_for_optimizer("optimizer", named)
                self.optimizer_ = self.optimizer(*args, **implementation, **kwargs)
                if undecayed:
                    self.optimizer_.add_param_group(
                        {"params": undecayed, **decay_argument(self.optimizer, 0.0)}
                    )
            else:
                # The same optimizer and arguments, at the phase's own rate.
                arguments = {
                    **implementation,
                    **self.get_params_for("optimizer"),
                    "lr": phase.learning_rate,
                    **decay_argument(self.optimizer, phase.weight_decay),
                }
                # Assigned here, so skorch registers it among its optimizers.
                setattr(
                    self,
                    f"{phase.name}_optimizer_",
                    self.optimizer([p for _, p in named], **arguments),
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
        row = self._epoch_batches[-1]
        # The first phase reads the forward pass; later ones run the module
        # themselves (the adversarial model's discriminator and generator).
        output = self.infer(batch.inputs, generator=batch.generator, **batch.side)
        step = None
        for phase, optimizer in zip(
            objective.phases, self._epoch_optimizers, strict=True
        ):
            optimizer.zero_grad()
            loss, values = objective.phase_loss(phase, output, batch, module)
            loss.backward()
            if step is None:
                if self._batch_listeners["on_grad_computed"]:
                    self._notify_batch(
                        "on_grad_computed",
                        named_parameters=TeeGenerator(self.get_all_learnable_params()),
                        batch=batch,
                        training=True,
                    )
                step = {"loss": loss, "y_pred": output}
                output = None
            optimizer.step()
            for name, value in values.items():
                row[name + "_loss"] = value.item()
        return step

    def validation_step(self, batch, **fit_params):
        objective = self.criterion_
        with torch.no_grad():
            output = self.infer(batch.inputs, generator=batch.generator, **batch.side)
            loss, _ = objective.phase_loss(
                objective.phases[0], output, batch, self.module_
            )
        return {"loss": loss, "y_pred": output}


def optimizer_arguments(settings):
    """The net's ``optimizer__*`` arguments: the user's and the weight decay."""
    arguments = {
        **settings.optimizer_arguments,
        **decay_argument(settings.optimizer, settings.weight_decay),
    }
    return {f"optimizer__{name}": value for name, value in arguments.items()}


def make_net(
    module,
    objective,
    settings,
    *,
    device,
    corrupt=None,
    sampler=None,
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
    sampler : ShuffledBatches or None
        Composes the training batches (:mod:`~sklearn_ae._samplers`).
    generator : torch.Generator or None
        The fit's stream, on ``device``.
    """
    return AutoEncoderNet(
        module=module,
        criterion=objective,
        optimizer=settings.optimizer,
        **optimizer_arguments(settings),
        lr=settings.learning_rate_init,
        max_epochs=settings.max_iter,
        batch_size=settings.batch_size,
        train_split=None,
        callbacks=make_callbacks(settings),
        device=device,
        corrupt=corrupt,
        sampler=sampler,
        generator=generator,
        max_batches=settings.updates_per_iter,
        # skorch's per-epoch table only at verbose >= 2; the bar says enough at 1.
        verbose=int(settings.verbose >= 2),
        # A user's EpochScoring scores by its own inference: skorch's cache
        # of predictions reads (X, y) batches, and ours are Batch tuples.
        use_caching=False,
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
    if type(net.optimizer_) is not settings.optimizer:
        raise ValueError(
            "Training a fitted network further (warm_start=True or "
            "partial_fit) continues its optimizer's state, so it cannot "
            f"change the optimizer (fitted with {type(net.optimizer_).__name__}, "
            f"now {settings.optimizer.__name__}). Set it back, or fit afresh "
            "(warm_start=False)."
        )
    net.criterion = net.criterion_ = objective
    net.max_epochs = settings.max_iter
    net.max_batches = settings.updates_per_iter
    net.batch_size = settings.batch_size
    net.lr = settings.learning_rate_init
    # Attributes, not set_params, which would build new optimizers.
    arguments = optimizer_arguments(settings)
    for name in [name for name in vars(net) if name.startswith("optimizer__")]:
        delattr(net, name)
    vars(net).update(arguments)
    net.verbose = int(settings.verbose >= 2)
    phases = objective.phases
    for index, (phase, optimizer) in enumerate(
        zip(phases, net.phase_optimizers(), strict=True)
    ):
        first = index == 0
        for group in optimizer.param_groups:
            group.update(settings.optimizer_arguments)
            group["lr"] = settings.learning_rate_init if first else phase.learning_rate
            if "weight_decay" in group:
                group["weight_decay"] = (
                    0.0
                    if first and _is_undecayed(group, net.module_)
                    else settings.weight_decay
                    if first
                    else phase.weight_decay
                )
            # A cosine schedule anneals again from the new rate.
            group.pop("initial_lr", None)
    net.callbacks = make_callbacks(settings)
    net.initialize_callbacks()
    return net


def _is_undecayed(group, module):
    """Whether ``group`` holds the likelihood's learned variance (never decayed)."""
    learned = {
        id(p) for n, p in module.named_parameters() if n.startswith("likelihood.")
    }
    return bool(learned) and all(id(p) in learned for p in group["params"])


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


def train_net(
    module, objective, settings, train, valid=None, *, generator=None, **options
):
    """Train ``module`` on ``objective``; returns the skorch net.

    ``train`` and ``valid`` are :class:`~sklearn_ae._rows.RowDataset`
    objects on the training device (``valid`` may be None), or tensors
    of rows without side data; ``generator`` is the fit's torch
    generator on that device; ``options`` go to
    :func:`~sklearn_ae._net.make_net`.
    """
    if isinstance(train, torch.Tensor):
        train = RowDataset(train)
    device = train.inputs.device
    net = make_net(module, objective, settings, device=device, **options)
    net.initialize()
    return continue_training(net, train, valid, generator)


def continue_training(net, train, valid, generator):
    """Train an initialised net on ``train``, checking it ends finite."""
    net.train_split = None if valid is None else predefined_split(valid)
    net.generator = generator
    try:
        net.partial_fit(train)
        net.check_finite(train, FINITE_CHECK_ROWS)
    finally:
        # A fitted net keeps neither the validation rows (a model file
        # must not carry training data) nor the fit's generator.
        net.train_split = None
        net.generator = None
    return net
