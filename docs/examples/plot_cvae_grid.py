"""
============================================
Conditional VAE: the same style, every digit
============================================

A conditional VAE is told the class of each image, in its encoder and in its
decoder. The code ``z`` therefore no longer needs to say which digit it is,
and keeps the rest: slant, thickness, size, the style. Decoding one code
with each of the ten labels writes the same style as ten different digits.
The model also trains a classifier ``q(y | x)``, so it can label new images
(:meth:`~sklearn_ae.ConditionalVariationalAutoEncoder.predict`) and learn
from unlabelled ones (``y == -1``).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split

from sklearn_ae import ConditionalVariationalAutoEncoder
from sklearn_ae.datasets import load_mnist

mnist = load_mnist()
X_train, X_test, y_train, y_test = train_test_split(
    mnist.data, mnist.target, test_size=0.2, random_state=0, stratify=mnist.target
)
# One hidden layer and 30 epochs keep the example within seconds on a CPU.
# Two code units leave no room to store the class in the code, so the
# decoder must take it from the label (with 4 units and these few epochs,
# some labels were ignored).
cvae = ConditionalVariationalAutoEncoder(
    n_components=2,
    hidden_layer_sizes=(256,),
    loss="bce",
    max_iter=30,
    random_state=0,
).fit(X_train, y_train)
accuracy = np.mean(cvae.predict(X_test) == y_test)
print(f"classifier head, held-out accuracy: {accuracy:.3f}")

# %%
# Styles taken from real held-out digits: encode each with its own label,
# then decode its code with every label. Column 0 is the original image.
styles = X_test[:6]
codes = cvae.transform(styles, y=y_test[:6])
classes = cvae.classes_

fig, axes = plt.subplots(len(styles), len(classes) + 1, figsize=(8.8, 5.6))
for row, (image, z) in enumerate(zip(styles, codes, strict=True)):
    axes[row, 0].imshow(image.reshape(28, 28), cmap="Blues")
    decoded = cvae.inverse_transform(np.repeat(z[None], len(classes), 0), y=classes)
    for col, digit in enumerate(decoded, start=1):
        axes[row, col].imshow(digit.reshape(28, 28), cmap="gray_r")
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_title("input", fontsize=9)
for col, label in enumerate(classes, start=1):
    axes[0, col].set_title(f"y={label}", fontsize=9)
fig.suptitle("Each row: one code z (the blue digit's style), decoded with y = 0..9")
plt.show()

# %%
# Generation works the same way with codes drawn from the prior:
# ``sample(n, y=k)`` writes the digit k in random styles.
fig, axes = plt.subplots(3, 10, figsize=(8.8, 2.8))
for col, label in enumerate(classes):
    images = cvae.sample(3, y=label, random_state=col)
    for row in range(3):
        axes[row, col].imshow(images[row].reshape(28, 28), cmap="gray_r")
        axes[row, col].axis("off")
fig.suptitle("sample(3, y=k) for k = 0..9")
plt.show()
