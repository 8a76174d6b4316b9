"""
============================================
Denoising MNIST with a denoising autoencoder
============================================

A denoising autoencoder is trained to rebuild clean images from corrupted
ones. Here 35% of each training image's pixels are blanked at random
(masking noise); on held-out images corrupted the same way, it fills the
holes in from what it learned about digits. A plain autoencoder and PCA,
with codes of the same size, are shown for comparison.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoEncoder, DenoisingAutoEncoder
from sklearn_ae.datasets import load_mnist
from sklearn_ae.metrics import reconstruction_error

mnist = load_mnist()
X_train, X_test = train_test_split(mnist.data, test_size=0.2, random_state=0)

# Held-out images with 35% of their pixels set to 0.
rng = np.random.default_rng(0)
X_noisy = np.where(rng.random(X_test.shape) < 0.35, 0.0, X_test).astype(np.float32)

# %%
# The same network, trained on clean images (AE) or on masked ones (DAE).
# One hidden layer and 20 epochs keep the example within seconds on a CPU.
settings = {
    "n_components": 32,
    "hidden_layer_sizes": (256,),
    "loss": "bce",
    "max_iter": 20,
    "random_state": 0,
}
dae = DenoisingAutoEncoder(noise="masking", noise_level=0.35, **settings)
ae = AutoEncoder(**settings)
pca = PCA(n_components=32, random_state=0)
models = {"PCA": pca, "AutoEncoder": ae, "DenoisingAutoEncoder": dae}
for model in models.values():
    model.fit(X_train)

# %%
# Rebuild the noisy images and compare with the clean originals.
rebuilt = {
    name: model.inverse_transform(model.transform(X_noisy))
    for name, model in models.items()
}
for name, images in rebuilt.items():
    error = reconstruction_error(X_test, np.clip(images, 0, 1))
    print(f"{name:22s} squared error to the clean image: {error:.1f}")

# %%
short = {"PCA": "PCA", "AutoEncoder": "AE", "DenoisingAutoEncoder": "DAE"}
rows = {"clean": X_test, "corrupted": X_noisy}
rows.update({short[name]: images for name, images in rebuilt.items()})
n = 8
fig, axes = plt.subplots(
    len(rows), n, figsize=(n * 1.1, len(rows) * 1.25), layout="constrained"
)
for r, (name, images) in enumerate(rows.items()):
    for c in range(n):
        ax = axes[r, c]
        ax.imshow(images[c].reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
fig.suptitle("Held-out digits with 35% of pixels masked, and their reconstructions")
plt.show()

# %%
# The plain autoencoder has only seen clean digits: holes are new to it and
# it keeps part of them. The denoising one learned that strokes continue,
# and closes them. PCA, linear, can only blur the holes.
