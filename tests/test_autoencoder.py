"""AutoEncoder and LinearAutoEncoder: they learn what their math says."""

import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

from sklearn_ae import AutoEncoder, LinearAutoEncoder


def held_out_error(model, X):
    return float(((X - model.inverse_transform(model.transform(X))) ** 2).sum(1).mean())


def test_linear_autoencoder_recovers_pca_subspace(digits):
    X_train, X_test = digits[0].astype(np.float64), digits[1].astype(np.float64)
    pca = PCA(10).fit(X_train)
    lae = LinearAutoEncoder(10, random_state=0, device="cpu").fit(X_train)

    ratio = held_out_error(lae, X_test) / held_out_error(pca, X_test)
    assert ratio < 1.02, f"held-out MSE is {ratio:.4f}x PCA's"

    # The decoder's columns (in data units) span the principal subspace.
    module = lae.net_.module_
    decoder = module.decoder[0].weight.detach().double().numpy()
    decoder *= module.scale.double().numpy()[:, None]
    angle = np.degrees(subspace_angles(decoder, pca.components_.T)).max()
    assert angle < 5, f"largest principal angle {angle:.2f} degrees"

    # The codes are PCA's scores up to an invertible linear map.
    scores, codes = pca.transform(X_test), lae.transform(X_test)
    r2 = LinearRegression().fit(scores, codes).score(scores, codes)
    assert r2 > 0.999, f"R^2 of codes on PCA scores {r2:.5f}"


def test_deep_autoencoder_beats_pca_on_held_out_reconstruction(digits):
    X_train, X_test = digits[0], digits[1]
    pca = PCA(5).fit(X_train)
    ae = AutoEncoder(5, max_iter=100, random_state=0, device="cpu").fit(X_train)
    ratio = held_out_error(ae, X_test) / held_out_error(pca, X_test)
    assert ratio < 0.9, f"held-out error {ratio:.3f}x PCA's"


def test_bernoulli_decoder_outputs_probabilities(digits):
    X_train = digits[0]
    ae = AutoEncoder(4, loss="bce", max_iter=10, random_state=0, device="cpu")
    reconstruction = ae.fit(X_train).inverse_transform(ae.transform(X_train))
    assert reconstruction.min() >= 0 and reconstruction.max() <= 1


def test_an_int_hidden_layer_sizes_is_one_hidden_layer(small_data):
    """As in MLPRegressor: hidden_layer_sizes=16 trains the net of (16,)."""
    params = {"max_iter": 2, "random_state": 0, "device": "cpu"}
    as_int = AutoEncoder(hidden_layer_sizes=16, **params).fit(small_data)
    as_tuple = AutoEncoder(hidden_layer_sizes=(16,), **params).fit(small_data)
    assert as_int.net_.module_.encoder[0].out_features == 16
    np.testing.assert_array_equal(
        as_int.transform(small_data), as_tuple.transform(small_data)
    )


@pytest.mark.parametrize("sizes", [0, -3, 2.5, "64", (16, 0), True])
def test_bad_hidden_layer_sizes_are_refused_by_name(sizes, small_data):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        AutoEncoder(hidden_layer_sizes=sizes, max_iter=1).fit(small_data)


def test_linear_autoencoder_components_are_pcas():
    """components_ span PCA's subspace, orthonormal, ordered as PCA's."""
    X, _ = load_digits(return_X_y=True)
    pca = PCA(5).fit(X)
    lae = LinearAutoEncoder(n_components=5, random_state=0, device="cpu").fit(X)

    cosines = np.cos(subspace_angles(lae.components_.T, pca.components_.T))
    assert cosines.min() >= 0.99, f"principal angle cosines {cosines}"
    np.testing.assert_allclose(
        lae.components_ @ lae.components_.T, np.eye(5), atol=1e-9
    )
    assert np.all(np.diff(lae.explained_variance_) <= 0)
    np.testing.assert_allclose(
        lae.explained_variance_ratio_, pca.explained_variance_ratio_, rtol=0.01
    )
    np.testing.assert_allclose(
        lae.explained_variance_ / lae.explained_variance_ratio_,
        pca.explained_variance_.sum() / pca.explained_variance_ratio_.sum(),
        rtol=1e-6,
    )
