"""Tests of the decoder's updates on fixed codes after training."""

import copy
import math

import numpy as np
import pytest
import torch

from sklearn_ae import ManifoldAutoEncoder
from sklearn_ae._decoder_fit import DECODER_BATCH_SIZE, fit_decoder
from sklearn_ae._rows import RowDataset
from sklearn_ae._sample_weight import SAMPLE_WEIGHT


@pytest.fixture(scope="module")
def clusters():
    """Two clusters far apart in 6 features, 200 rows each."""
    rng = np.random.RandomState(0)
    A = rng.normal(size=(200, 6)) + 5.0
    B = rng.normal(size=(200, 6)) * 2.0 - 5.0
    return np.vstack([A, B]).astype(np.float32)


@pytest.fixture(scope="module")
def trained(clusters):
    """A fitted net whose decoder was not refitted."""
    model = ManifoldAutoEncoder(
        hidden_layer_sizes=(16,),
        max_iter=3,
        decoder_updates=0,
        n_neighbors=5,
        random_state=0,
        device="cpu",
    )
    return model.fit(clusters).net_


def _error(net, X):
    """Mean squared reconstruction error of each row of X."""
    module = net.module_
    with torch.no_grad():
        inputs = torch.as_tensor(X)
        decoded = module.reconstruct(module.encode(inputs))
    return (decoded - inputs).pow(2).sum(dim=1).numpy()


def _refit(net, X, side=None, **kwargs):
    net = copy.deepcopy(net)
    arguments = {"n_updates": 100, "learning_rate": 3e-3, **kwargs}
    curve = fit_decoder(
        net,
        RowDataset(torch.as_tensor(X), side),
        generator=torch.Generator().manual_seed(0),
        **arguments,
    )
    return net, curve


def test_refit_leaves_the_encoder_and_lowers_the_error(trained, clusters):
    net, curve = _refit(trained, clusters)
    before, after = trained.module_.state_dict(), net.module_.state_dict()
    encoder = [name for name in before if name.startswith("encoder.")]
    assert encoder
    for name in encoder:
        torch.testing.assert_close(after[name], before[name], rtol=0, atol=0)
    assert any(
        not torch.equal(after[name], before[name])
        for name in before
        if name.startswith("decoder.")
    )
    assert _error(net, clusters).mean() < 0.8 * _error(trained, clusters).mean()
    # One entry a pass over the rows: 2 updates a pass of 400 rows.
    assert len(curve) == math.ceil(100 / math.ceil(len(clusters) / DECODER_BATCH_SIZE))
    assert curve[-1] < curve[0]
    assert not net.module_.training


def test_no_updates_leave_the_decoder_as_it_is(trained, clusters):
    net, curve = _refit(trained, clusters, n_updates=0)
    assert curve.shape == (0,)
    for name, value in trained.module_.state_dict().items():
        assert torch.equal(net.module_.state_dict()[name], value)


def test_sample_weights_steer_the_refit(trained, clusters):
    """Rows of weight 0 do not pull the decoder; the others pull it more."""
    weights = torch.cat([torch.full((200,), 2.0), torch.zeros(200)])
    uniform, _ = _refit(trained, clusters)
    weighted, _ = _refit(trained, clusters, {SAMPLE_WEIGHT: weights})
    A, B = clusters[:200], clusters[200:]
    assert _error(weighted, A).mean() < _error(uniform, A).mean()
    assert _error(weighted, B).mean() > _error(uniform, B).mean()


def test_a_diverging_refit_raises(trained, clusters):
    with pytest.raises(FloatingPointError, match="decoder"):
        _refit(trained, clusters, learning_rate=1e30)
