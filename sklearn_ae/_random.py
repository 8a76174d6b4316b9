"""Random streams: seeds from ``random_state``, and fits that own their draws.

Everything random in a fit draws from streams seeded here, and the caller's
global random state is put back afterwards.
"""

import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state


def torch_seed(random_state):
    """A 31-bit torch seed drawn from a scikit-learn ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def numpy_generator(random_state):
    """A numpy Generator from a ``random_state``, leaving global RNGs alone.

    A Generator is returned as it is, so a caller can pass its own stream on.
    """
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    return np.random.default_rng(random_state)


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
