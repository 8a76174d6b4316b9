"""Random streams (sklearn_ae/_random.py): fits own their randomness."""

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from torch import nn

import sklearn_ae
from sklearn_ae._random import fit_generators, initialise

pytestmark = pytest.mark.filterwarnings("ignore:.*posterior collapsed")

rng = np.random.default_rng(0)
X = rng.normal(size=(200, 6))
Y = rng.integers(0, 3, 200)
SMALL = {
    "hidden_layer_sizes": (8,),
    "max_iter": 5,
    "batch_size": 8,
    "n_iter_no_change": None,
    "device": "cpu",
}


def _fit(name, random_state):
    est = getattr(sklearn_ae, name)(**SMALL, random_state=random_state)
    if name == "ConditionalVariationalAutoEncoder":
        est.fit(X, Y)
    else:
        est.fit(X)
    return est.transform(X), est.loss_curve_


@pytest.mark.parametrize(
    "name",
    [
        "AutoEncoder",
        "VariationalAutoEncoder",
        "DenoisingAutoEncoder",
        "ConditionalVariationalAutoEncoder",
    ],
)
def test_seeded_fits_in_threads_give_the_serial_result(name):
    # Two fits of the same seed and one of another run at once: with draws
    # from torch's global generator they would take each other's numbers.
    codes, curve = _fit(name, 0)
    with ThreadPoolExecutor(3) as pool:
        runs = [pool.submit(_fit, name, seed) for seed in (0, 1, 0)]
        results = [run.result() for run in runs]
    for threaded_codes, threaded_curve in (results[0], results[2]):
        np.testing.assert_array_equal(threaded_codes, codes)
        np.testing.assert_array_equal(threaded_curve, curve)
    assert not np.array_equal(results[1][0], codes), "seeds 0 and 1 agree"


def test_a_fit_neither_reads_nor_changes_torch_global_generator():
    state = torch.random.get_rng_state()
    torch.manual_seed(123)
    first = _fit("VariationalAutoEncoder", 0)
    torch.manual_seed(456)
    second = _fit("VariationalAutoEncoder", 0)
    np.testing.assert_array_equal(first[0], second[0])
    torch.random.set_rng_state(state)


def test_fitted_net_keeps_no_generator():
    est = sklearn_ae.AutoEncoder(**SMALL, random_state=0).fit(X)
    assert est.net_.generator is None


def test_initialise_follows_pytorch_default_linear_init():
    layer = nn.Linear(50, 400)
    initialise(layer, torch.Generator().manual_seed(0))
    bound = 1 / math.sqrt(50)
    for values in (layer.weight, layer.bias):
        assert values.abs().max() <= bound
        assert values.abs().max() > 0.95 * bound  # uniform on the whole range
    # The same stream gives the same weights.
    again = nn.Linear(50, 400)
    initialise(again, torch.Generator().manual_seed(0))
    torch.testing.assert_close(again.weight, layer.weight, rtol=0, atol=0)


def test_fit_streams_are_independent():
    init, train = fit_generators(0, torch.device("cpu"))
    a = torch.rand(5, generator=init)
    b = torch.rand(5, generator=train)
    assert not torch.equal(a, b)
