"""Small, fast configurations of every public estimator, for the tests."""

import sklearn_ae

# Tiny networks and few epochs: the checks test the API, not the fit quality.
SMALL = {"max_iter": 5, "batch_size": 32, "random_state": 0, "device": "cpu"}
SMALL_NETWORK = {**SMALL, "hidden_layer_sizes": (8,)}


def small_estimators():
    """One instance of each public estimator, configured to train fast."""
    return [
        sklearn_ae.AutoEncoder(**SMALL_NETWORK),
        sklearn_ae.LinearAutoEncoder(**SMALL),
        sklearn_ae.DenoisingAutoEncoder(noise="salt_and_pepper", **SMALL_NETWORK),
        sklearn_ae.ContractiveAutoEncoder(**SMALL_NETWORK),
        sklearn_ae.ContractiveAutoEncoder(
            jacobian="random_projection", code_activation="identity", **SMALL_NETWORK
        ),
        sklearn_ae.SparseAutoEncoder(n_components=4, **SMALL_NETWORK),
        sklearn_ae.VariationalAutoEncoder(**SMALL_NETWORK),
        sklearn_ae.AdversarialAutoEncoder(
            **SMALL_NETWORK, discriminator_layer_sizes=(8,)
        ),
        sklearn_ae.ConditionalVariationalAutoEncoder(**SMALL_NETWORK),
        sklearn_ae.StackedAutoEncoder(**SMALL_NETWORK, pretraining_iter=2),
        # With components, y (when a check passes one) places the classes.
        sklearn_ae.AdversarialAutoEncoder(
            **SMALL_NETWORK,
            prior="gaussian_mixture",
            discriminator_layer_sizes=(8,),
        ),
    ]
