"""Random streams: seeds from ``random_state``, and fits that own their draws.

Everything random in a fit (initial weights, shuffling, noise, the VAE's
reparameterisation, the adversarial prior's draws) comes from
``torch.Generator`` objects that the fit creates from its seed and passes
to whatever draws; nothing reads or advances torch's process-wide
generator. A seeded fit therefore gives the same numbers alone, in threads
beside other fits or in a worker process, and the caller's random state is
never touched.
"""

import contextlib
import contextvars
import math

import numpy as np
import torch
from sklearn.utils import check_random_state
from torch import nn


def torch_seed(random_state):
    """A 31-bit torch seed drawn from a scikit-learn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def call_seed(seed, index):
    """The seed of call ``index`` in a series of calls seeded by ``seed``.

    For training in calls (``partial_fit``), each of which makes generators
    of its own: call 0 keeps ``seed``, so a first call draws as a ``fit``
    with the same seed does; each later call gets a seed spawned from
    ``(seed, index)`` by numpy's ``SeedSequence``, independent of the others.
    A series of calls is then reproducible without a generator kept between
    them (which a saved model could not hold).
    """
    if index == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(index)]).generate_state(1)[0])


def numpy_generator(random_state):
    """A numpy Generator from a ``random_state``, leaving global RNGs alone.

    A Generator is returned as it is, so a caller can pass its own stream on.
    """
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


def make_generator(seed, device="cpu"):
    """A ``torch.Generator`` on ``device`` seeded with ``seed``."""
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def fit_generators(seed, device):
    """``(init, train)``: the two independent streams of a fit.

    ``init`` is on the CPU, where modules are built and initialised;
    ``train`` is on the training device, for shuffling and noise. Their
    seeds are spawned from ``seed`` by numpy's ``SeedSequence``, so the
    streams are independent even on the CPU.
    """
    init_seed, train_seed = np.random.SeedSequence(seed).generate_state(2)
    return make_generator(init_seed, "cpu"), make_generator(train_seed, device)


def numpy_stream(generator):
    """A numpy Generator seeded by one draw from a torch ``generator``.

    Without a generator (a loss evaluated outside a fit), a fresh one.
    """
    if generator is None:
        return np.random.default_rng()
    high = np.iinfo(np.int64).max
    seed = torch.randint(high, (1,), generator=generator, device=generator.device)
    return np.random.default_rng(int(seed.item()))


def initialise(module, generator, keep=()):
    """PyTorch's default initialisation of every ``nn.Linear``, from ``generator``.

    ``nn.Linear`` draws its initial weights from torch's global generator;
    this redraws them, in the order of ``module.modules()``, as
    ``nn.Linear.reset_parameters`` does (Kaiming-uniform weights with
    ``a = sqrt(5)``, biases uniform on ``+-1 / sqrt(fan_in)``), but from the
    fit's own stream. Returns ``module``, whose parameters must be on the
    CPU (where modules are built); a generator on another device seeds a
    CPU stream with one draw. The layers of the modules in ``keep`` (a
    user's own networks) keep the weights they have.
    """
    if generator.device.type != "cpu":
        seed = torch.randint(2**62, (1,), generator=generator, device=generator.device)
        generator = make_generator(int(seed.item()), "cpu")
    kept = {id(layer) for network in keep for layer in network.modules()}
    with torch.no_grad():
        for layer in module.modules():
            if not isinstance(layer, nn.Linear) or id(layer) in kept:
                continue
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
            if layer.bias is not None:
                fan_in = layer.in_features
                bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
    return module


# Set while a fit builds its module: layers then skip torch's global-RNG
# initialisation. A context variable, so each thread has its own.
_DEFERRED = contextvars.ContextVar("sklearn_ae_deferred_initialisation", default=False)


def initialisation_deferred():
    """Whether modules built now are initialised later, by :func:`initialise`."""
    return _DEFERRED.get()


@contextlib.contextmanager
def deferred_initialisation():
    """Build modules in this block, then :func:`initialise` them.

    Their ``nn.Linear`` layers skip torch's initialisation (they hold zeros),
    so building draws nothing from torch's global generator.
    """
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


@contextlib.contextmanager
def seeded(seed, device):
    """Seed torch's global generator inside the block, restore it after.

    Kept for code that must draw from the global generator (third-party
    modules); the estimators' fits use :func:`fit_generators` instead, which
    is safe in threads, while this is not.
    """
    accelerated = device.type in ("cuda", "mps")
    with torch.random.fork_rng(
        devices=[device] if accelerated else [],
        device_type=device.type if accelerated else "cuda",
    ):
        torch.manual_seed(seed)
        yield
