"""
=========================================
Adversarial autoencoder: choose the prior
=========================================

A VAE pulls its codes towards N(0, I) with a KL term, which needs the
prior's density. An adversarial autoencoder instead trains a discriminator
to tell codes from draws of the prior, and trains the encoder to fool it:
any distribution one can sample from will do. Given the labels, each class
is sent to its own component of a mixture (or its own stretch of a swiss
roll). Grey dots are draws from the prior, coloured dots are held-out
digits' codes.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ae import AdversarialAutoEncoder

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, test_size=0.25, random_state=0
)

# A small network suits the 64 pixels of these digits, and keeps the
# three fits within seconds.
common = {
    "n_components": 2,
    "hidden_layer_sizes": (128,),
    "discriminator_layer_sizes": (64, 64),
    "loss": "bce",
    "max_iter": 60,
    "random_state": 0,
}
models = {
    "gaussian prior": AdversarialAutoEncoder(prior="gaussian", **common),
    "mixture of 10 Gaussians, labels given": AdversarialAutoEncoder(
        prior="gaussian_mixture", n_prior_components=10, **common
    ),
    "swiss roll, labels given": AdversarialAutoEncoder(
        prior="swiss_roll", n_prior_components=10, **common
    ),
}

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 4.3), layout="constrained")
for ax, (name, model) in zip(axes, models.items(), strict=True):
    model.fit(X_train, y_train)  # the gaussian prior ignores y
    # Draws from the fitted model's prior, for the picture.
    prior = model.sample_prior(2000, random_state=0)
    Z = model.transform(X_test)
    ax.scatter(prior[:, 0], prior[:, 1], s=2, c="0.8")
    points = ax.scatter(Z[:, 0], Z[:, 1], c=y_test, cmap="tab10", s=6)
    ax.set_title(name, fontsize=10)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    print(
        f"{name:40s} final discriminator loss "
        f"{model.discriminator_loss_curve_[-1]:.3f} (log 2 = 0.693 at equilibrium)"
    )
fig.colorbar(points, ax=axes, ticks=range(10), label="digit", shrink=0.9)
plt.show()

# %%
# With labels, a class's component is known, so the model can write a
# chosen digit: draw codes from component k and decode them.
model = models["mixture of 10 Gaussians, labels given"]
fig, axes = plt.subplots(2, 10, figsize=(8, 1.9))
for digit in range(10):
    for row, image in enumerate(model.sample(2, y=digit, random_state=digit)):
        axes[row, digit].imshow(image.reshape(8, 8), cmap="gray_r")
        axes[row, digit].axis("off")
fig.suptitle("sample(2, y=k): decoded draws from component k")
plt.show()
