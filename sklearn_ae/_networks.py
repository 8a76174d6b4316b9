"""Networks of the user's own: ``encoder=`` and ``decoder=``, checked before a fit.

Every estimator takes an ``encoder`` and a ``decoder``: None for the MLP that
``hidden_layer_sizes`` describes, a ``torch.nn.Module`` (deep-copied at fit,
so the parameter is never trained in place and ``clone`` gives every
candidate of a search the same starting weights), or a callable
``(n_features_in, n_components) -> Module`` called at fit. A network is
probed with a batch of two rows before anything is built, so a network that
does not fit the model fails with a sentence naming it, not with a torch
traceback from inside training.
"""

import copy
import itertools

import torch
from torch import nn

from ._random import seeded

# Both parameters accept the same values.
NETWORK_CONSTRAINTS = {
    "encoder": [nn.Module, callable, None],
    "decoder": [nn.Module, callable, None],
}

# Rows of the batch a network is probed with: two, so that a batch norm
# layer in training mode would not fail on it (the probe runs in eval mode).
PROBE_ROWS = 2


def own_networks(estimator):
    """``{name: value}`` of the parameters that give a network of the user's own."""
    values = {name: getattr(estimator, name, None) for name in NETWORK_CONSTRAINTS}
    return {name: value for name, value in values.items() if value is not None}


def refuse_own_networks(estimator, reason):
    """Raise a ValueError naming ``reason`` if ``estimator`` was given a network.

    For the models whose math needs their own MLP; they call it first in
    their ``_row_data``.
    """
    if own_networks(estimator):
        raise ValueError(
            f"{type(estimator).__name__} takes no encoder or decoder of your "
            f"own: {reason} Leave encoder=None and decoder=None, or use "
            "AutoEncoder(encoder=..., decoder=...)."
        )


def build_networks(estimator, n_features, generator=None):
    """The user's networks for a new module, as keyword arguments of the module.

    ``{}`` when ``encoder`` and ``decoder`` are both None (the module builds
    its MLP). Otherwise ``{"encoder": ..., "decoder": ..., "encoder_width":
    ...}`` with the networks given (None for the MLP) and the width of the
    encoder's output, measured by a probe. A module is deep-copied and moved
    to the CPU, where modules are built; a factory is called with torch's
    global generator seeded by one draw from ``generator`` (the fit's
    initialisation stream) and put back afterwards, so that its initial
    weights follow ``random_state``. Without a generator (a pickled model
    being rebuilt, whose weights are then overwritten) nothing is seeded.
    """
    specs = {name: getattr(estimator, name, None) for name in NETWORK_CONSTRAINTS}
    if all(spec is None for spec in specs.values()):
        return {}
    owner = type(estimator).__name__
    n_components = estimator.n_components
    n_codes = estimator._module_class.decoder_inputs(
        n_components, **estimator._module_options()
    )
    shapes = {"encoder": (n_features, n_components), "decoder": (n_features, n_codes)}
    networks = {}
    if generator is None:
        for name, spec in specs.items():
            networks[name] = _resolve(spec, name, shapes[name], owner)
    else:
        seed = int(torch.randint(2**62, (1,), generator=generator).item())
        with seeded(seed, torch.device("cpu")):
            for name, spec in specs.items():
                networks[name] = _resolve(spec, name, shapes[name], owner)
    encoder, decoder = networks["encoder"], networks["decoder"]
    if encoder is not None:
        networks["encoder_width"] = probe(encoder, n_features, "encoder", owner)
    if decoder is not None:
        width = probe(decoder, n_codes, "decoder", owner)
        if width != n_features:
            raise ValueError(
                f"{owner}'s decoder returns {width} columns per row, but the "
                f"data have n_features_in_={n_features}: its last layer must "
                f"give one output per feature ({n_features})."
            )
    return networks


def _resolve(spec, name, shape, owner):
    """The network a parameter value stands for: a copy, or a factory's result."""
    if spec is None:
        return None
    if isinstance(spec, nn.Module):
        network = copy.deepcopy(spec)
    else:
        network = spec(*shape)
        if not isinstance(network, nn.Module):
            raise TypeError(
                f"{owner}'s {name}={_name(spec)} returned a "
                f"{type(network).__qualname__}, not a torch.nn.Module: a "
                f"callable {name} must build the network, "
                f"{name}(n_features_in, n_components) -> Module."
            )
    wrong = sorted(
        {
            str(tensor.dtype)
            for tensor in itertools.chain(network.parameters(), network.buffers())
            if tensor.is_floating_point() and tensor.dtype != torch.float32
        }
    )
    if wrong:
        raise TypeError(
            f"{owner}'s {name} holds {', '.join(wrong)} weights, but the "
            f"networks train in float32: pass {name}.float()."
        )
    # Modules are built on the CPU, or on the meta device where a loaded
    # model's layout is checked first.
    if any(
        tensor.device.type not in ("cpu", "meta")
        for tensor in itertools.chain(network.parameters(), network.buffers())
    ):
        network = network.to("cpu")
    return network


def probe(network, n_inputs, name, owner):
    """The number of columns ``network`` returns for a batch of ``n_inputs`` columns.

    The batch is :data:`PROBE_ROWS` rows of zeros, float32, on the
    network's device, passed in eval mode without gradients; the network's
    mode and torch's global random state are put back. Raises a ValueError
    or TypeError naming the network when it fails on the batch or returns
    anything but a float32 tensor of shape ``(PROBE_ROWS, k)``.
    """
    tensor = next(itertools.chain(network.parameters(), network.buffers()), None)
    device = tensor.device if tensor is not None else torch.device("cpu")
    batch = torch.zeros(PROBE_ROWS, n_inputs, dtype=torch.float32, device=device)
    training = network.training
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            output = network.eval()(batch)
    except Exception as exc:
        # torch's messages carry a C++ stack trace after their first line.
        reason = (str(exc).splitlines() or [""])[0]
        raise ValueError(
            f"{owner}'s {name} fails on a batch of shape {tuple(batch.shape)} "
            f"(float32): {type(exc).__name__}: {reason}. It must read "
            f"{n_inputs} columns per row; see the user guide's page on "
            "custom networks for what each model feeds its networks."
        ) from exc
    finally:
        network.train(training)
    if not isinstance(output, torch.Tensor):
        raise TypeError(
            f"{owner}'s {name} returns a {type(output).__qualname__} for a "
            "batch of rows; it must return one tensor of shape "
            "(n_rows, n_outputs)."
        )
    if output.dtype != torch.float32:
        raise TypeError(
            f"{owner}'s {name} returns {output.dtype} for float32 rows; it "
            "must return float32, the dtype the networks train in."
        )
    if output.ndim != 2 or output.shape[0] != PROBE_ROWS:
        raise ValueError(
            f"{owner}'s {name} returns shape {tuple(output.shape)} for a batch "
            f"of shape {tuple(batch.shape)}; it must return one row per input "
            f"row, shape ({PROBE_ROWS}, n_outputs): flatten any image axes."
        )
    return int(output.shape[1])


def _name(spec):
    return getattr(spec, "__qualname__", None) or type(spec).__qualname__


class SavedNetwork:
    """A network of the user's own in a saved model: its description only.

    :func:`~sklearn_ae.save` writes the network's weights, never its code;
    :func:`~sklearn_ae.load` puts the network the caller passes in its place
    (:func:`take_networks`).
    """

    def __init__(self, description):
        self.description = description

    def __repr__(self):
        return f"<saved network: {self.description}>"


def describe_network(network):
    """What a saved model says of a network of the user's own, for the record."""
    kind = "module" if isinstance(network, nn.Module) else "callable"
    owner = network if kind == "callable" else type(network)
    module = getattr(owner, "__module__", None) or "?"
    return f"{kind} {module}.{_name(owner)}"


def take_networks(estimator, given):
    """Put the caller's networks where a loaded model's saved ones were.

    ``given`` maps ``"encoder"``/``"decoder"`` to a module, a callable or
    None. Returns the names used; raises a ValueError when the model saved a
    network that ``given`` lacks. The record of the fitted network
    (``_fitted_network``), when already set, takes them too.
    """
    used = set()
    owner = type(estimator).__name__
    for name in NETWORK_CONSTRAINTS:
        saved = getattr(estimator, name, None)
        if not isinstance(saved, SavedNetwork):
            continue
        if given.get(name) is None:
            raise ValueError(
                f"The file's {owner} was fitted with a {name} of your own "
                f"({saved.description}), and holds its weights but not its "
                "code, which a file cannot hold safely: pass the same network "
                f"to load, load(path, {name}=...), a module or the callable "
                "the model was given."
            )
        setattr(estimator, name, given[name])
        used.add(name)
    record = getattr(estimator, "_fitted_network", None)
    if isinstance(record, dict):
        for name, value in record.items():
            if isinstance(value, SavedNetwork):
                record[name] = getattr(estimator, name, None)
    return used


def check_networks_used(given, used):
    """Raise a ValueError if ``load`` was given a network no model needed."""
    unused = sorted(name for name, value in given.items() if value is not None)
    unused = [name for name in unused if name not in used]
    if unused:
        raise ValueError(
            f"load was given {' and '.join(unused)}, but the file's model has "
            "no network of your own there: leave "
            f"{' and '.join(f'{name}=None' for name in unused)}."
        )
