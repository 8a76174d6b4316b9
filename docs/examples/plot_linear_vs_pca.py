"""
=========================================
A linear autoencoder finds PCA's subspace
=========================================

An autoencoder with one linear layer each way, trained on the squared error,
solves the same problem as PCA: the best rank-k linear reconstruction. At
its optimum the decoder spans the same subspace as the first k principal
components (Baldi & Hornik, 1989). Its codes are PCA's scores up to an
invertible linear map, though not orthogonal or ordered by variance, since
nothing in the loss asks for that. This is the baseline that shows what the
nonlinear models add.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

from sklearn_ae import AutoEncoder, LinearAutoEncoder
from sklearn_ae.metrics import reconstruction_error

X, y = load_digits(return_X_y=True)
X = X / 16

# %%
# The decoder's subspace: decoding the unit codes, minus decoding zero, gives
# one direction per code unit. Principal angles of 0 degrees mean the two
# subspaces coincide; gradient descent gets within a few degrees.
k = 5
pca = PCA(n_components=k).fit(X)
lae = LinearAutoEncoder(n_components=k, max_iter=300, random_state=0).fit(X)
directions = lae.inverse_transform(np.eye(k)) - lae.inverse_transform(np.zeros((1, k)))
angles = np.degrees(subspace_angles(directions.T, pca.components_.T))
print("principal angles (degrees):", np.round(angles, 1))

# %%
# The codes match PCA's scores through a linear map: regress one on the other.
Z_lae = lae.transform(X)
Z_pca = pca.transform(X)
fit = LinearRegression().fit(Z_lae, Z_pca)
r2 = fit.score(Z_lae, Z_pca)
print(f"R^2 of PCA scores from the linear autoencoder's codes: {r2:.4f}")

fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), layout="constrained")
axes[0].scatter(Z_pca[:, 0], Z_pca[:, 1], c=y, cmap="tab10", s=4)
axes[0].set_title("PCA scores 1-2")
axes[1].scatter(Z_lae[:, 0], Z_lae[:, 1], c=y, cmap="tab10", s=4)
axes[1].set_title("linear AE codes 1-2 (a linear\nmix of all five PCA scores)")
mapped = fit.predict(Z_lae)
axes[2].scatter(mapped[:, 0], mapped[:, 1], c=y, cmap="tab10", s=4)
axes[2].set_title("linear AE codes, mapped\nlinearly onto PCA scores 1-2")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.show()

# %%
# Reconstruction error against the code size: the linear autoencoder
# follows PCA (the optimum for linear maps), while a nonlinear autoencoder
# needs far fewer components for the same error. (Measured on the training
# data: with few samples, a large network can also memorise.)
sizes = [2, 4, 8, 16]
errors = {"PCA": [], "LinearAutoEncoder": [], "AutoEncoder": []}
for size in sizes:
    for name, model in {
        "PCA": PCA(n_components=size),
        "LinearAutoEncoder": LinearAutoEncoder(size, max_iter=100, random_state=0),
        "AutoEncoder": AutoEncoder(
            size, hidden_layer_sizes=(128,), max_iter=50, random_state=0
        ),
    }.items():
        model.fit(X)
        errors[name].append(
            reconstruction_error(X, model.inverse_transform(model.transform(X)))
        )

fig, ax = plt.subplots(figsize=(5, 3.6))
for name, values in errors.items():
    ax.plot(sizes, values, marker="o", label=name)
ax.set_xlabel("n_components")
ax.set_ylabel("squared reconstruction error")
ax.set_xscale("log", base=2)
ax.legend()
ax.set_title("digits (training data)")
fig.tight_layout()
plt.show()
