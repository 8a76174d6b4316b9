"""
======================================================
Stacked autoencoder: when layer-wise pretraining helps
======================================================

Greedy layer-wise pretraining is how deep autoencoders were first made to
train: each layer learns to reconstruct the layer below before the whole
stack is fine-tuned. It was invented for deep networks of saturating units
(sigmoids), where gradients fade on their way down; this example trains
such a network on the 8x8 digits from random weights and after denoising
pretraining.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sklearn_ae import StackedAutoEncoder
from sklearn_ae.metrics import reconstruction_error

X, _ = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X / 16, test_size=0.25, random_state=0)

network = {
    "n_components": 2,
    "hidden_layer_sizes": (48, 32, 24, 16, 8),
    "activation": "logistic",
    "max_iter": 40,
    "n_iter_no_change": None,
    "random_state": 0,
}
models = {
    "random initialisation": StackedAutoEncoder(pretraining=None, **network),
    "denoising pretraining": StackedAutoEncoder(
        pretraining="denoising", pretraining_iter=10, **network
    ),
}
for name, model in models.items():
    model.fit(X_train)
    rebuilt = model.inverse_transform(model.transform(X_test))
    print(f"{name:22s} held-out error {reconstruction_error(X_test, rebuilt):.2f}")
mean_image = X_train.mean(axis=0)
print(
    f"{'predicting the mean':22s} held-out error "
    f"{reconstruction_error(X_test, X_test * 0 + mean_image):.2f}"
)

# %%
# Left: the loss of each layer's pretraining, first layer first. Right: the
# fine-tuning loss of the whole network. From random weights the deep
# sigmoid stack stalls at once on a plateau, the error of predicting the
# mean image; pretrained, it leaves that plateau after some twenty epochs.
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
pretrained = models["denoising pretraining"]
for depth, curve in enumerate(pretrained.pretraining_loss_curves_, start=1):
    axes[0].plot(curve / curve[0], label=f"layer {depth}")
axes[0].set_title("pretraining (loss / first epoch's)")
axes[0].set_xlabel("epoch")
axes[0].legend(fontsize=8)
for name, model in models.items():
    axes[1].plot(model.loss_curve_, label=name)
axes[1].set_title("fine-tuning")
axes[1].set_xlabel("epoch")
axes[1].set_ylabel("training loss")
axes[1].legend()
plt.show()

# %%
# With ReLU units and Adam the same network trains well from random
# weights, and pretraining no longer helps: prefer
# :class:`~sklearn_ae.AutoEncoder` there (see :ref:`stacked`).
