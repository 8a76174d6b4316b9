"""Tests of DenoisingAutoEncoder."""

import numpy as np
import pytest
import torch

from sklearn_ae import AutoEncoder, DenoisingAutoEncoder
from sklearn_ae._scaling import standardisation

FAST = {
    "n_components": 8,
    "hidden_layer_sizes": (64,),
    "max_iter": 30,
    "n_iter_no_change": None,
    "random_state": 0,
    "device": "cpu",
}


def corrupt(estimator, X_train, X, seed=1):
    """X corrupted by the estimator's training noise, with a fixed seed."""
    offset, scale = standardisation(X_train)
    module = estimator._build_module(X_train.shape[1], offset, scale)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return estimator._corruption(module, X_train)(torch.as_tensor(X)).numpy()


def squared_error(estimator, X_input, X_clean):
    reconstruction = estimator.inverse_transform(estimator.transform(X_input))
    return float(((reconstruction - X_clean) ** 2).sum(axis=1).mean())


@pytest.fixture(scope="module")
def autoencoder(digits):
    return AutoEncoder(**{**FAST, "max_iter": 60}).fit(digits[0])


@pytest.mark.parametrize(
    "noise, noise_level, threshold",
    # Measured ratios: 0.716, 0.649, 0.823.
    [("gaussian", 1.0, 0.85), ("masking", 0.5, 0.8), ("salt_and_pepper", 0.25, 0.9)],
)
def test_denoises_held_out_data_better_than_an_autoencoder(
    digits, autoencoder, noise, noise_level, threshold
):
    X_train, X_test, _, _ = digits
    dae = DenoisingAutoEncoder(
        noise=noise, noise_level=noise_level, **{**FAST, "max_iter": 60}
    )
    dae.fit(X_train)
    X_noisy = corrupt(dae, X_train, X_test)
    ratio = squared_error(dae, X_noisy, X_test) / squared_error(
        autoencoder, X_noisy, X_test
    )
    assert ratio < threshold, (
        f"{noise}: the denoising AE's error on clean held-out data, from "
        f"corrupted input, is {ratio:.3f} x the plain AE's"
    )


def test_masking_zeroes_the_requested_fraction():
    X = np.ones((2000, 50), dtype=np.float32)
    X_noisy = corrupt(DenoisingAutoEncoder(noise="masking", noise_level=0.3), X, X)
    assert set(np.unique(X_noisy)) == {0.0, 1.0}
    assert abs((X_noisy == 0).mean() - 0.3) < 0.01


def test_salt_and_pepper_sets_feature_minimum_or_maximum():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(2000, 5)) * np.arange(1, 6)
    X_noisy = corrupt(
        DenoisingAutoEncoder(noise="salt_and_pepper", noise_level=0.2), X, X
    )
    changed = X_noisy != X
    assert abs(changed.mean() - 0.2) < 0.01
    is_min = np.isclose(X_noisy, X.min(axis=0))
    is_max = np.isclose(X_noisy, X.max(axis=0))
    assert (is_min | is_max)[changed].all()
    assert abs(is_max[changed].mean() - 0.5) < 0.03


def test_gaussian_noise_is_in_units_of_the_input_scale():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(5000, 3)) * [1.0, 1.0, 2.0]
    _, scale = standardisation(X)
    X_noisy = corrupt(DenoisingAutoEncoder(noise="gaussian", noise_level=0.5), X, X)
    np.testing.assert_allclose((X_noisy - X).std(axis=0), 0.5 * scale, rtol=0.05)


def test_noise_only_on_training_batches(digits):
    X_train, X_test, _, _ = digits
    dae = DenoisingAutoEncoder(noise_level=1.0, **{**FAST, "max_iter": 2})
    dae.fit(X_train)
    np.testing.assert_array_equal(dae.transform(X_test), dae.transform(X_test))
    assert dae.score(X_test) == dae.score(X_test)


def test_fitted_model_pickles_with_its_noise(digits):
    import pickle

    X_train, X_test, _, _ = digits
    dae = DenoisingAutoEncoder(noise="salt_and_pepper", **{**FAST, "max_iter": 2})
    dae.fit(X_train)
    restored = pickle.loads(pickle.dumps(dae))
    np.testing.assert_array_equal(restored.transform(X_test), dae.transform(X_test))
    restored.set_params(warm_start=True, max_iter=1).fit(X_train)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"noise": "masking", "noise_level": 1.5}, "must be in \\[0, 1\\]"),
        ({"noise": "salt_and_pepper", "noise_level": 2}, "must be in \\[0, 1\\]"),
        ({"noise_level": -0.1}, "noise_level"),
        ({"noise": "dropout"}, "noise"),
    ],
)
def test_bad_noise_parameters_raise(params, match):
    X = np.random.RandomState(0).uniform(size=(20, 4))
    with pytest.raises(ValueError, match=match):
        DenoisingAutoEncoder(**params, max_iter=1).fit(X)


def test_gaussian_noise_level_may_exceed_one():
    X = np.random.RandomState(0).uniform(size=(20, 4))
    DenoisingAutoEncoder(noise_level=2.0, max_iter=1, device="cpu").fit(X)
