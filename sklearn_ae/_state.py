"""A fitted estimator's state as numpy arrays: what pickle and skops store.

The fitted skorch net holds torch objects (the module, its optimizers),
which pickle only through ``torch.save`` and which ``skops.io`` cannot
store at all. :class:`PicklesNetAsArrays`, a base of every estimator,
makes ``__getstate__`` replace the net by :func:`net_state`, a dict of numpy
arrays, lists and numbers, and ``__setstate__`` rebuild the net from the
estimator's own parameters with :func:`restore_net`. Either way the
network's weights, the training corruption's statistics, every optimizer's
state (Adam's moments, for a warm start) and the history's epoch rows come
back; the per-batch records do not, as they grow with the training set.
"""

import copy

import numpy as np
import torch
from skorch.history import History

from ._device import resolve_device
from ._model_json import later_parameter_defaults
from ._net import make_net
from ._warnings import warn

# The version of the layout below, for a later change to read older pickles.
STATE_VERSION = 1


class PicklesNetAsArrays:
    """Pickling of an estimator whose fitted net is ``net_``, as numpy arrays."""

    def __getstate__(self):
        # A pickle holds no torch object, and skops.io can store the
        # estimator. A copy: object.__getstate__ returns the instance's own
        # __dict__.
        state = dict(super().__getstate__())
        if "net_" in state:
            state["net_"] = net_state(state["net_"])
            # The prior is rebuilt with the objective from the parameters.
            state.pop("prior_", None)
        return state

    def __setstate__(self, state):
        # A pickle made before a parameter existed gets its default.
        state = {**later_parameter_defaults(type(self), state), **state}
        saved = state.pop("net_", None)
        super().__setstate__(state)
        if saved is not None:
            self.net_ = restore_net(self, saved)
            if self.net_.criterion_.prior is not None:
                self.prior_ = self.net_.criterion_.prior


def net_state(net):
    """The fitted ``net`` as numpy arrays, lists, dicts and scalars."""
    corrupt = getattr(net, "corrupt", None)
    return {
        "version": STATE_VERSION,
        "device": str(net.device),
        "module": _numpy(net.module_.state_dict()),
        "corrupt": {}
        if corrupt is None
        else _numpy(
            {k: v for k, v in vars(corrupt).items() if isinstance(v, torch.Tensor)}
        ),
        "optimizers": [_numpy(opt.state_dict()) for opt in net.phase_optimizers()],
        "history": [
            {key: value for key, value in row.items() if key != "batches"}
            for row in net.history
        ],
    }


def restore_net(estimator, state):
    """The net :func:`net_state` described, rebuilt for ``estimator``.

    ``estimator`` holds its parameters and fitted attributes already; the
    module is built by its ``_build_module``, so the weights must fit the
    network its parameters describe.
    """
    if state.get("version") != STATE_VERSION:
        raise ValueError(
            f"The pickled {type(estimator).__name__} has state version "
            f"{state.get('version')!r}; this sklearn-ae reads {STATE_VERSION}."
        )
    module_state = _tensors(state["module"])
    n_features = estimator.n_features_in_
    builder = _as_fitted(estimator)
    # The module's random initialisation is overwritten by the saved state;
    # a forked RNG keeps unpickling from changing torch's global state.
    with torch.random.fork_rng(devices=[]):
        module = builder._build_module(
            n_features, module_state["offset"], module_state["scale"]
        )
        module.load_state_dict(module_state, strict=True)
        objective = estimator._make_objective()
        corrupt = estimator._corruption(
            module, np.zeros((2, n_features), dtype=np.float32)
        )
    for name, value in _tensors(state["corrupt"]).items():
        setattr(corrupt, name, value)
    net = make_net(
        module,
        objective,
        estimator._training_settings(),
        device=_device(state["device"]),
        corrupt=corrupt,
        sampler=estimator._batch_sampler,
    )
    net.initialize()
    for optimizer, saved in zip(
        net.phase_optimizers(), state["optimizers"], strict=True
    ):
        optimizer.load_state_dict(_tensors(saved))
    net.history_ = History(state["history"])
    net.module_.eval()
    return net


def _as_fitted(estimator):
    """``estimator``, or a copy with the network parameters it was fitted with.

    The network's parameters may have been set since the fit
    (``set_params(n_components=...)`` without refitting): the weights are
    those of the fitted network, which its record describes.
    """
    fitted = getattr(estimator, "_fitted_network", None) or {}
    params = estimator.get_params(deep=False)
    changed = {
        name: value
        for name, value in fitted.items()
        if name in params and params[name] != value
    }
    if not changed:
        return estimator
    builder = copy.copy(estimator)
    vars(builder).update(changed)
    return builder


def _device(name):
    """The saved device, or the CPU (with a warning) where it is missing."""
    try:
        return resolve_device(name)
    except ValueError as exc:
        warn(f"Unpickling onto the CPU: {exc}")
        return torch.device("cpu")


def _numpy(value):
    """``value`` with every tensor a numpy array on the CPU (a copy)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True).numpy()
    if isinstance(value, dict):
        return {key: _numpy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_numpy(item) for item in value)
    return value


def _tensors(value):
    """Inverse of :func:`_numpy`: every numpy array a tensor."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value))
    if isinstance(value, dict):
        return {key: _tensors(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_tensors(item) for item in value)
    return value
