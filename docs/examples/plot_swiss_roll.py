"""
========================================
Unrolling a swiss roll, method by method
========================================

The swiss roll is a flat sheet rolled up in 3-D: a 2-D manifold. A good
2-D embedding unrolls it, so that the colour (the position along the roll)
changes smoothly along one axis. PCA can only project it; Isomap and LLE
follow the sheet through a neighbourhood graph of the training points, and
place a new point from its neighbours among them; autoencoders learn an
encoder and a decoder. Every panel shows held-out points, embedded by
``transform``.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.decomposition import PCA
from sklearn.manifold import Isomap, LocallyLinearEmbedding
from sklearn.model_selection import train_test_split

from sklearn_ae import (
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    VariationalAutoEncoder,
)
from sklearn_ae.datasets import load_dataset
from sklearn_ae.metrics import coordinate_correlation, trustworthiness
from sklearn_ae.plotting import plot_embeddings

roll = load_dataset("swiss_roll", n_samples=2000, random_state=0)
X_train, X_test, t_train, t_test = train_test_split(
    roll.data, roll.coordinate, test_size=0.25, random_state=0
)

# %%
# The same small network for every autoencoder; ``max_iter`` is an upper
# bound, training stops when the loss stops improving.
network = {"hidden_layer_sizes": (64, 64), "max_iter": 100, "random_state": 0}
methods = {
    "PCA": PCA(n_components=2),
    "Isomap": Isomap(n_components=2, n_neighbors=10),
    "LLE": LocallyLinearEmbedding(n_components=2, n_neighbors=12, random_state=0),
    "AutoEncoder": AutoEncoder(2, **network),
    "DenoisingAutoEncoder": DenoisingAutoEncoder(2, noise_level=0.1, **network),
    "ContractiveAutoEncoder": ContractiveAutoEncoder(2, contraction=0.01, **network),
    "VariationalAutoEncoder": VariationalAutoEncoder(2, beta=0.1, **network),
}

embeddings, titles = [], []
for name, method in methods.items():
    method.fit(X_train)
    Z = method.transform(X_test)
    embeddings.append(Z)
    corr = coordinate_correlation(Z, t_test)
    trust = trustworthiness(X_test, Z, n_neighbors=10)
    titles.append(f"{name}\n|rho| = {corr:.2f}, trust. = {trust:.2f}")
    print(f"{name:24s} coordinate correlation {corr:.3f}  trustworthiness {trust:.3f}")

# %%
# ``|rho|`` is the largest Spearman correlation of an embedding axis with the
# position along the roll (1: unrolled); trustworthiness measures whether
# embedded neighbours are true neighbours (1: no false neighbours).
plot_embeddings(
    [X_test[:, [0, 2]], *embeddings],
    colors=[t_test] * (len(embeddings) + 1),
    titles=["the roll, seen from above", *titles],
    n_cols=4,
    color_labels="position along the roll",
)
plt.show()

# %%
# What to read from it: a 2-D code does not by itself make an autoencoder
# unroll the sheet. The reconstruction loss only asks that codes be
# decodable, and a code that folds the roll flat decodes as well as one
# that unrolls it; the autoencoders keep neighbourhoods (high
# trustworthiness) without finding the roll's coordinate. On a clean,
# densely sampled 3-D manifold the neighbourhood graphs of Isomap and LLE
# are reliable and they win. Their graph rests on Euclidean distances in the
# input space, which stop being reliable in high dimension (images), where
# autoencoders do better; they also have no decoder. :ref:`choosing`
# discusses the trade-offs and :doc:`/benchmarks` measures them.
