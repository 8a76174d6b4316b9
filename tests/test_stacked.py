"""Tests of the stacked autoencoder (sklearn_ae/_stacked.py)."""

import numpy as np
import pytest

from sklearn_ae import AutoEncoder, StackedAutoEncoder

FAST = {"batch_size": 64, "device": "cpu", "random_state": 0}


def reconstruction_error(model, X):
    """Mean over samples of the squared reconstruction error."""
    return np.mean(np.sum((model.inverse_transform(model.transform(X)) - X) ** 2, 1))


@pytest.mark.slow
def test_pretraining_helps_a_deep_sigmoid_network(digits):
    # The setting where greedy pretraining was introduced: a deep, narrow
    # network of saturating units. From random initialisation it stays near
    # the mean image; ReLU networks trained with Adam do not need the help.
    X_train, X_test = digits[:2]
    hidden = (48, 32, 24, 16, 8)
    layers, per_layer, fine_tuning = len(hidden) + 1, 10, 20
    settings = {
        "n_components": 2,
        "hidden_layer_sizes": hidden,
        "activation": "logistic",
        "n_iter_no_change": None,
        **FAST,
    }
    pretrained = StackedAutoEncoder(
        **settings, pretraining_iter=per_layer, max_iter=fine_tuning
    ).fit(X_train)
    # The same total number of epochs, all of them end to end.
    scratch = StackedAutoEncoder(
        **settings, pretraining=None, max_iter=fine_tuning + layers * per_layer
    ).fit(X_train)
    error_pretrained = reconstruction_error(pretrained, X_test)
    error_scratch = reconstruction_error(scratch, X_test)
    assert error_pretrained < 0.95 * error_scratch, (
        f"held-out squared error: pretrained {error_pretrained:.3f}, "
        f"random initialisation {error_scratch:.3f}"
    )


@pytest.mark.parametrize("pretraining", ["denoising", "plain"])
def test_pretraining_loss_curves(digits, pretraining):
    X_train = digits[0]
    model = StackedAutoEncoder(
        hidden_layer_sizes=(32, 16),
        pretraining=pretraining,
        pretraining_iter=5,
        max_iter=2,
        **FAST,
    ).fit(X_train)
    curves = model.pretraining_loss_curves_
    assert [curve.shape for curve in curves] == [(5,), (5,), (5,)]
    for depth, curve in enumerate(curves):
        assert curve[-1] < curve[0], f"layer {depth + 1} loss did not fall: {curve}"


def test_fine_tuning_starts_from_the_pretrained_layer(digits):
    # With no hidden layer the network is its single pretrained layer, so
    # fine-tuning starts where plain pretraining ended, not from scratch.
    X_train = digits[0]
    model = StackedAutoEncoder(
        n_components=8,
        hidden_layer_sizes=(),
        pretraining="plain",
        pretraining_iter=20,
        max_iter=1,
        **FAST,
    ).fit(X_train)
    pretrained, first_epoch = model.pretraining_loss_curves_[0], model.loss_curve_[0]
    assert first_epoch < 1.05 * pretrained[-1], (
        f"first fine-tuning epoch {first_epoch:.3f}, pretraining "
        f"{pretrained[0]:.3f} -> {pretrained[-1]:.3f}"
    )


def test_without_pretraining_it_is_an_autoencoder(digits):
    X_train = digits[0]
    settings = {"hidden_layer_sizes": (16, 8), "max_iter": 3, **FAST}
    stacked = StackedAutoEncoder(**settings, pretraining=None).fit(X_train)
    assert stacked.pretraining_loss_curves_ == []
    plain = AutoEncoder(**settings).fit(X_train)
    np.testing.assert_allclose(stacked.transform(X_train), plain.transform(X_train))


def test_warm_start_does_not_pretrain_again(digits):
    X_train = digits[0]
    model = StackedAutoEncoder(
        hidden_layer_sizes=(16,),
        pretraining_iter=2,
        max_iter=2,
        warm_start=True,
        **FAST,
    ).fit(X_train)
    curves = model.pretraining_loss_curves_
    model.fit(X_train)
    assert model.pretraining_loss_curves_ is curves
    assert model.n_iter_ == 4


def test_bad_settings_are_refused(digits):
    X_train = digits[0]
    with pytest.raises(ValueError, match="'pretraining' parameter"):
        StackedAutoEncoder(pretraining="greedy").fit(X_train)
    with pytest.raises(ValueError, match="'pretraining_noise' parameter"):
        StackedAutoEncoder(pretraining_noise=1.0).fit(X_train)
