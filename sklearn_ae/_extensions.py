"""What a user plugs into the training loop: skorch callbacks and a torch optimizer.

``callbacks``, ``optimizer`` and ``optimizer_params`` (the optimizer's
arguments, a dict) are parameters of every estimator. As in skorch, each
optimizer argument is also a parameter ``optimizer__<name>`` of
``get_params(deep=True)`` and ``set_params``, so a grid search can tune
``optimizer__momentum`` as skorch's users do.

The estimators' own parameters keep the arguments they always set: the
first phase's ``lr`` is ``learning_rate_init`` and its ``weight_decay`` is
``weight_decay``; later phases (an adversarial model's discriminator and
generator) take their rates from their own parameters. ``lr`` and
``weight_decay`` in ``optimizer_params`` are refused rather than ranked
against them.
"""

import copy
import inspect

import torch
from skorch.callbacks import Callback, LRScheduler

from ._compat import InvalidParameterError

OPTIMIZER_PREFIX = "optimizer__"

# The optimizer's arguments that the estimators' parameters own.
OWNED_ARGUMENTS = ("params", "lr", "weight_decay")

# Names of the loop's own callbacks and of skorch's defaults; a history
# column ``<term>_loss`` is a callback too (one per term of the objective).
RESERVED_NAMES = frozenset(
    {
        "non_finite_guard",
        "early_stopping",
        "lr_schedule",
        "progress",
        "epoch_timer",
        "train_loss",
        "valid_loss",
        "print_log",
    }
)


class ExtensionsMixin:
    """The parameters a user plugs into the loop: their addressing, checks, pickling.

    ``optimizer__<name>`` parameters are the items of ``optimizer_params``:
    scikit-learn's nested parameters (``step__param``) address a parameter
    of a parameter, these an item of the dict, under skorch's names.
    ``set_params`` replaces the dict with an updated copy, never changing
    the one the estimator was given. ``_validate_params`` (run by ``fit``)
    checks the callbacks and the optimizer; a pickle holds torch's
    optimizer class by its name, so that it names no torch class (and
    skops need trust none).
    """

    def _optimizer_arguments(self):
        """The optimizer's arguments from ``optimizer_params`` (a copy)."""
        return dict(self.optimizer_params or {})

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        if deep and isinstance(self.optimizer_params, dict):
            params.update(
                {
                    OPTIMIZER_PREFIX + str(name): value
                    for name, value in self.optimizer_params.items()
                }
            )
        return params

    def set_params(self, **params):
        arguments = {
            key[len(OPTIMIZER_PREFIX) :]: params.pop(key)
            for key in [key for key in params if key.startswith(OPTIMIZER_PREFIX)]
        }
        if "" in arguments:
            raise ValueError(
                f"Invalid parameter 'optimizer__' for {type(self).__name__}: "
                "name the optimizer's argument, as optimizer__<name>."
            )
        super().set_params(**params)
        if arguments:
            self.optimizer_params = {**self._optimizer_arguments(), **arguments}
        return self

    def _validate_params(self):
        super()._validate_params()
        check_callbacks(type(self).__name__, self.callbacks)
        check_optimizer(self)
        check_schedule(self)

    def __getstate__(self):
        state = dict(super().__getstate__())
        name = torch_optimizer_name(state.get("optimizer"))
        if name is not None:
            state["optimizer"] = name
        return state

    def __setstate__(self, state):
        if isinstance(state.get("optimizer"), str):
            state = {**state, "optimizer": torch_optimizer(state["optimizer"])}
        super().__setstate__(state)


def torch_optimizer(name):
    """torch's optimizer class of that name in ``torch.optim``, or None.

    A saved or pickled ``optimizer`` parameter is its name there: reading
    looks the name up among torch's optimizers, never imports one.
    """
    found = getattr(torch.optim, name, None) if isinstance(name, str) else None
    if isinstance(found, type) and issubclass(found, torch.optim.Optimizer):
        return found
    return None


def torch_optimizer_name(optimizer):
    """The name of ``optimizer`` in ``torch.optim``, or None if it is not there."""
    name = getattr(optimizer, "__name__", None)
    return name if torch_optimizer(name) is optimizer else None


def _named(item):
    """``(name, callback)`` of a ``callbacks`` item (name None if it has none)."""
    if isinstance(item, tuple | list) and len(item) == 2:
        return tuple(item)
    return None, item


def check_callbacks(owner, callbacks):
    """Refuse a ``callbacks`` list that is not skorch callbacks, or names clash."""
    names = []
    for index, item in enumerate(callbacks or ()):
        name, callback = _named(item)
        if not isinstance(callback, Callback) or not (
            name is None or (isinstance(name, str) and name)
        ):
            raise InvalidParameterError(
                f"The 'callbacks' parameter of {owner} must list skorch "
                "callbacks (instances of skorch.callbacks.Callback) or "
                f"(name, callback) pairs; item {index} is {item!r}."
            )
        if name is not None:
            names.append(name)
    for name in names:
        if name in RESERVED_NAMES or name.endswith("_loss") or names.count(name) > 1:
            raise InvalidParameterError(
                f"The 'callbacks' parameter of {owner} names a callback "
                f"{name!r}, which another callback of the training loop has "
                "(a name of its own, a history column '<term>_loss', or a "
                "repeat). Name it otherwise."
            )


def fresh_callbacks(callbacks):
    """Deep copies of ``callbacks``: each fit trains with its own.

    So the parameter is never trained with (its state never changes) and a
    clone, or a search's candidates, share no callback state.
    """
    return tuple(copy.deepcopy(list(callbacks or ())))


def _accepted_arguments(optimizer):
    """The keyword arguments ``optimizer`` takes; None if any (``**kwargs``)."""
    parameters = inspect.signature(optimizer.__init__).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.name not in ("self", "params")}


def takes_weight_decay(optimizer):
    accepted = _accepted_arguments(optimizer)
    return accepted is None or "weight_decay" in accepted


def decay_argument(optimizer, weight_decay):
    """``{"weight_decay": weight_decay}``, or nothing for an optimizer without it."""
    return {"weight_decay": weight_decay} if takes_weight_decay(optimizer) else {}


# torch optimizers whose multi-tensor step ("foreach") gives the same numbers
# as their one-tensor-at-a-time step, checked bit for bit in
# tests/test_extensions.py (NAdam's, RAdam's and ASGD's differ in the last
# bit, so they keep torch's choice).
MULTI_TENSOR_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)

# Networks up to this many weights take the multi-tensor step on the CPU,
# where torch's default is the one-tensor step (it picks foreach only on
# CUDA). A small network's step is dominated by the Python loop over its
# tensors, which the multi-tensor step avoids; a large one's by memory
# traffic, which it does not help. Per update, AdamW in a training loop,
# one thread, three runs of ``python -m benchmarks.optimizer_step``:
# 0.95-1.00x the time at 9,000 weights, 0.97-0.99x at 100,000, 0.95-0.99x
# at 200,000, but 1.02-1.03x at 469,000 (the AutoEncoder's MNIST network)
# and 0.99-1.00x at 1,070,000.
MULTI_TENSOR_MAX_WEIGHTS = 250_000

# User arguments that choose the step's implementation, or rule out the
# multi-tensor one (it does not support autograd through the step).
IMPLEMENTATION_ARGUMENTS = ("foreach", "fused", "differentiable")


def implementation_argument(optimizer, arguments, n_weights):
    """``{"foreach": True}`` where the multi-tensor step is the same, faster.

    For the optimizers of :data:`MULTI_TENSOR_OPTIMIZERS` (the classes
    themselves, not subclasses, whose steps may differ) over at most
    :data:`MULTI_TENSOR_MAX_WEIGHTS` weights, unless ``arguments`` (the
    user's) choose an implementation themselves; otherwise nothing, which
    leaves the choice to torch.
    """
    if (
        optimizer not in MULTI_TENSOR_OPTIMIZERS
        or n_weights > MULTI_TENSOR_MAX_WEIGHTS
        or any(name in arguments for name in IMPLEMENTATION_ARGUMENTS)
    ):
        return {}
    return {"foreach": True}


def check_optimizer(estimator):
    """Refuse an optimizer class, its arguments or a setting they conflict with.

    The optimizer is built once over a one-element parameter and stepped,
    so that what torch would refuse mid-fit (an argument out of range, an
    optimizer that needs sparse gradients or matrices only) is refused here,
    with the parameter's name.
    """
    owner = type(estimator).__name__
    optimizer = estimator.optimizer
    if not isinstance(optimizer, type) or not issubclass(
        optimizer, torch.optim.Optimizer
    ):
        raise InvalidParameterError(
            f"The 'optimizer' parameter of {owner} must be a subclass of "
            "torch.optim.Optimizer, the class itself (torch.optim.SGD, not "
            f"torch.optim.SGD(...)); got {optimizer!r}. Its arguments are "
            "optimizer__<name> parameters."
        )
    closure = inspect.signature(optimizer.step).parameters.get("closure")
    if closure is not None and closure.default is inspect.Parameter.empty:
        raise InvalidParameterError(
            f"optimizer={optimizer.__name__} needs a closure that re-evaluates "
            f"the loss at each step, which {owner}'s training loop does not "
            "give; choose an optimizer whose step() takes none (Adam, SGD, ...)."
        )
    arguments = estimator._optimizer_arguments()
    names = [name for name in arguments if not isinstance(name, str) or not name]
    if names:
        raise InvalidParameterError(
            f"The 'optimizer_params' parameter of {owner} must map the "
            f"optimizer's argument names to values; got the key {names[0]!r}."
        )
    if "params" in arguments:
        raise InvalidParameterError(
            f"{owner} got optimizer_params['params']: the optimizer's "
            "parameters are the network's; drop it."
        )
    owners = {"lr": "learning_rate_init", "weight_decay": "weight_decay"}
    for name, owned_by in owners.items():
        if name in arguments:
            raise InvalidParameterError(
                f"{owner} got optimizer_params[{name!r}]={arguments[name]!r} "
                f"(optimizer__{name}), but {owned_by}="
                f"{getattr(estimator, owned_by)!r} sets the optimizer's "
                f"{name!r}: drop it and set {owned_by} instead."
            )
    accepted = _accepted_arguments(optimizer)
    if accepted is not None:
        unknown = sorted(set(arguments) - accepted)
        if unknown:
            raise InvalidParameterError(
                f"optimizer={optimizer.__name__} takes no argument "
                f"{', '.join(repr(n) for n in unknown)} (in optimizer_params); "
                f"it takes {sorted(accepted - set(OWNED_ARGUMENTS))}."
            )
    if not takes_weight_decay(optimizer) and estimator.weight_decay != 0:
        raise InvalidParameterError(
            f"optimizer={optimizer.__name__} has no weight decay, but "
            f"{owner} has weight_decay={estimator.weight_decay!r}: set "
            "weight_decay=0 with this optimizer."
        )
    weight = torch.zeros(1, requires_grad=True)
    try:
        trial = optimizer(
            [weight],
            lr=estimator.learning_rate_init,
            **decay_argument(optimizer, estimator.weight_decay),
            **implementation_argument(optimizer, arguments, n_weights=1),
            **arguments,
        )
        weight.grad = torch.zeros_like(weight)
        trial.step()
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InvalidParameterError(
            f"optimizer={optimizer.__name__} with optimizer_params={arguments} "
            f"cannot train {owner}'s network: {type(exc).__name__}: {exc}"
        ) from exc


def check_schedule(estimator):
    """Refuse a user's LRScheduler beside the estimator's own schedule."""
    schedulers = [
        item
        for item in estimator.callbacks or ()
        if isinstance(_named(item)[1], LRScheduler)
    ]
    if schedulers and estimator.learning_rate != "constant":
        raise InvalidParameterError(
            f"{type(estimator).__name__} has an LRScheduler among its callbacks "
            f"and learning_rate={estimator.learning_rate!r}, whose schedule "
            "would set the rates too: set learning_rate='constant' to leave "
            "the rates to the LRScheduler."
        )
