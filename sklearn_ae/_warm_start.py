"""What a warm start continues: the fitted network's description, and its check.

A warm start (``warm_start=True``, and every ``partial_fit`` call after the
first) trains the fitted network further, so the parameters that shape it
must be those it was built with. The description is recorded at fit as
``_fitted_network``; saved models and pickles are checked against it too.
"""

from ._networks import own_networks


def fitted_network(estimator):
    """What ``estimator``'s parameters make of the network: widths and layers."""
    hidden, activation, loss = estimator._architecture()
    # A network of the user's own is recorded as the object given (not a
    # copy): a warm start must continue the same one, and a pickled model
    # rebuilds its network from it.
    return {
        "n_components": estimator.n_components,
        "hidden_layer_sizes": tuple(hidden),
        "activation": activation,
        "loss": loss,
        **estimator._module_options(),
        **own_networks(estimator),
    }


def check_same_network(
    estimator, continued_by="warm_start=True", afresh="warm_start=False"
):
    """Refuse to continue a network whose shaping parameters changed.

    ``continued_by`` names what continues training (``partial_fit`` does
    too), ``afresh`` how to fit a new network instead.
    """
    fitted = getattr(estimator, "_fitted_network", None)
    if fitted is None:  # fitted by code that does not record it
        return
    now = fitted_network(estimator)
    changed = [name for name in {**fitted, **now} if now.get(name) != fitted.get(name)]
    if changed:
        was = ", ".join(f"{name}={fitted.get(name)!r}" for name in changed)
        raise ValueError(
            f"{continued_by} continues the fitted network, built with {was}; "
            f"set the parameters back, or {afresh} to fit a new network."
        )
