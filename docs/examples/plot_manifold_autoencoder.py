"""
==================================================
Unrolling a swiss roll with an encoder and decoder
==================================================

Reconstruction alone lets an autoencoder fold the swiss roll: the decoder
learns the fold, and points far apart along the sheet share codes.
:class:`~sklearn_ae.ManifoldAutoEncoder` adds a geometry term to the loss;
with ``geometry="isomap"``, distances between codes are trained to match
distances along the sheet (shortest paths in a neighbour graph of the
training points). The result is Isomap's unrolled sheet, but with an
encoder for new points and a decoder back to 3-D.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoEncoder, ManifoldAutoEncoder
from sklearn_ae.datasets import load_dataset
from sklearn_ae.metrics import coordinate_correlation, trustworthiness

roll = load_dataset("swiss_roll", n_samples=1500, random_state=0)
X_train, X_test, t_train, t_test = train_test_split(
    roll.data, roll.coordinate, test_size=0.2, random_state=0
)

# %%
# The same network, trained with and without the geometry term. Every code
# shown below is of a held-out point, embedded by ``transform``.
network = {"hidden_layer_sizes": (128, 64), "max_iter": 80, "random_state": 0}
models = {
    "AutoEncoder": AutoEncoder(**network),
    'ManifoldAutoEncoder(geometry="isomap")': ManifoldAutoEncoder(
        geometry="isomap", **network
    ),
}
fig, axes = plt.subplots(1, 2, figsize=(10, 4.4), layout="constrained")
for ax, (name, model) in zip(axes, models.items(), strict=True):
    Z = model.fit(X_train).transform(X_test)
    points = ax.scatter(Z[:, 0], Z[:, 1], c=t_test, cmap="viridis", s=8)
    ax.set_title(
        f"{name}\n|Spearman| {coordinate_correlation(Z, t_test):.3f}, "
        f"trust {trustworthiness(X_test, Z, n_neighbors=10):.3f}",
        fontsize=10,
    )
fig.colorbar(points, ax=axes, label="position along the roll")
plt.show()

# %%
# A path along the roll, decoded
# ------------------------------
# The first code axis follows the roll. Walking along it, from the
# held-out point at one end of the sheet to the one at the other, and
# decoding every step with ``inverse_transform`` traces the spiral in 3-D:
# the decoder has learned the roll, not only the training points.
manifold = models['ManifoldAutoEncoder(geometry="isomap")']
Z = manifold.transform(X_test)
path = np.linspace(Z[:, 0].min(), Z[:, 0].max(), 200)
codes = np.column_stack([path, np.full_like(path, np.median(Z[:, 1]))])
decoded = manifold.inverse_transform(codes)

fig = plt.figure(figsize=(6, 5))
ax = fig.add_subplot(projection="3d")
ax.scatter(*X_test.T, c=t_test, cmap="viridis", s=4, alpha=0.3)
ax.plot(*decoded.T, color="crimson", linewidth=2.5, label="decoded path")
ax.set_title("Decoding a straight line in the code space")
ax.legend()
ax.view_init(elev=12, azim=-70)
plt.show()
