"""
=========================================================
VAE: sampling new digits, and interpolating in code space
=========================================================

A variational autoencoder is a generative model: its codes are trained to
follow the prior N(0, I), so decoding draws from the prior makes new
images. Its latent space also gives a better way to morph one image into
another than blending pixels: the manifold hypothesis says digits lie on a
thin, curved surface in pixel space, and a straight line between two
digits in pixel space leaves it, while a straight line in code space
stays on it.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from sklearn_ae import VariationalAutoEncoder
from sklearn_ae.datasets import load_mnist

mnist = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    mnist.data, mnist.target, test_size=0.2, random_state=0
)
# One hidden layer and 30 epochs keep the example within seconds on a CPU.
vae = VariationalAutoEncoder(
    n_components=8,
    hidden_layer_sizes=(256,),
    loss="bce",
    max_iter=30,
    random_state=0,
).fit(X_train)

# %%
# The ELBO (:meth:`~sklearn_ae.VariationalAutoEncoder.score_samples`) bounds
# ``log p(x)`` from below; the importance-weighted estimate
# (:meth:`~sklearn_ae.VariationalAutoEncoder.log_likelihood`) is tighter.
print(f"held-out ELBO:                    {vae.score(X_test):.1f} nats per image")
print(
    f"held-out log p(x), 50 importance samples: "
    f"{vae.log_likelihood(X_test[:200], n_importance=50).mean():.1f}"
)

# %%
# Thirty-two new digits: decoded draws ``z ~ N(0, I)``. They are blurry, the
# price of a pixel-wise likelihood: the decoder outputs the mean of every
# image that could have the code.
samples = vae.sample(32, random_state=0)
fig, axes = plt.subplots(4, 8, figsize=(8, 4.2))
for ax, image in zip(axes.ravel(), samples, strict=True):
    ax.imshow(image.reshape(28, 28), cmap="gray_r")
    ax.axis("off")
fig.suptitle("VariationalAutoEncoder.sample(32)")
plt.show()

# %%
# From a held-out 0 to a held-out 1 (and a 2 to a 6): the top row blends the
# codes and decodes them, the bottom row blends the pixels. Each end is the
# held-out image of its class with the highest ELBO, a typical one, which
# the model reconstructs well.
elbo = vae.score_samples(X_test)


def typical(digit):
    return X_test[y_test == digit][np.argmax(elbo[y_test == digit])]


steps = np.linspace(0, 1, 9)[:, None]
fig, axes = plt.subplots(4, len(steps), figsize=(9, 4.6))
for pair, (a, b) in enumerate([(0, 1), (2, 6)]):
    x_a, x_b = typical(a), typical(b)
    z_a, z_b = vae.transform(np.stack([x_a, x_b]))
    in_code_space = vae.inverse_transform((1 - steps) * z_a + steps * z_b)
    in_pixel_space = (1 - steps) * x_a + steps * x_b
    for row, images in enumerate([in_code_space, in_pixel_space]):
        for ax, image in zip(axes[2 * pair + row], images, strict=True):
            ax.imshow(image.reshape(28, 28), cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
        label = "code space" if row == 0 else "pixel space"
        axes[2 * pair + row, 0].set_ylabel(label, fontsize=8)
fig.suptitle("Interpolation: decoded codes (rows 1, 3) against blended pixels")
plt.show()

# %%
# Blended pixels are two faint digits on top of each other at midway, not a
# digit; decoded codes stay digit-like all the way, the strokes bending from
# one shape into the other (the path from 0 to 1 even passes through
# something like a 5: straight lines in code space cross other classes).
