"""
======================
Choosing the code size
======================

An autoencoder's ``score`` is the held-out log-likelihood of the data, and
it is tempting to let :class:`~sklearn.model_selection.GridSearchCV` pick
``n_components`` with it. It cannot: a larger code keeps more of each
sample, so the likelihood of a sample given its own code rises with the code
size, and the search picks the largest code it is offered. Two ways that do
choose, on digits:

* a downstream scorer: the autoencoder in a
  :class:`~sklearn.pipeline.Pipeline` before a classifier, searched for the
  classifier's accuracy;
* the elbow of the held-out reconstruction error, read against PCA's at the
  same sizes: past the elbow, more code units buy little.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_ae import AutoEncoder

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, random_state=0, stratify=y
)
sizes = [1, 2, 4, 8, 16, 32]
# 30 epochs per fit keep the example's fits within seconds.
settings = {"max_iter": 30, "random_state": 0}


def held_out_error(model, X):
    """Mean squared reconstruction error per image, summed over pixels."""
    return float(((X - model.inverse_transform(model.transform(X))) ** 2).sum(1).mean())


# %%
# The likelihood and the reconstruction error, code size by code size
# -------------------------------------------------------------------
# One fit per size. The score is in nats per image; with the default
# ``loss="mse"`` it is :math:`-\frac{1}{2}` times the squared error minus a
# constant, :math:`\frac{64}{2} \log 2\pi \approx 58.8`, the same for every
# model, so it moves exactly as the error does.
scores, errors, pca_errors = [], [], []
for size in sizes:
    ae = AutoEncoder(n_components=size, **settings).fit(X_train)
    scores.append(ae.score(X_test))
    errors.append(held_out_error(ae, X_test))
    pca_errors.append(held_out_error(PCA(size).fit(X_train), X_test))
    print(
        f"n_components={size:2d}: held-out score {scores[-1]:7.2f}, "
        f"error {errors[-1]:.3f} (PCA {pca_errors[-1]:.3f})"
    )
print(f"the score's choice: n_components={sizes[int(np.argmax(scores))]}")

# %%
# The score rises with every code unit, so a search on it picks the largest
# size. The error shows why, and where it stops paying: the autoencoder's
# error falls steeply up to 8 units (3.1 at 1 unit, 0.85 at 8) and
# flattens past them (0.59 at 16, 0.51 at 32). PCA's curve is the
# yardstick: the autoencoder's error is a half to three quarters of PCA's
# up to 16 units, where the nonlinearity packs more into each unit, and at
# 32 PCA keeps more (0.20): there a linear code does the job, and the
# network's extra units buy nothing. The elbow says 8 to 16.
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
left.plot(sizes, errors, "o-", label="AutoEncoder")
left.plot(sizes, pca_errors, "s--", label="PCA")
left.set_xscale("log", base=2)
left.set_xlabel("n_components")
left.set_ylabel("held-out squared error per image")
left.set_title("The elbow of the reconstruction error")
left.legend()
right.plot(sizes, np.array(errors) / np.array(pca_errors), "o-")
right.axhline(1, color="grey", lw=0.8)
right.set_xscale("log", base=2)
right.set_xlabel("n_components")
right.set_ylabel("error / PCA's error")
right.set_title("What the nonlinearity buys")
fig.tight_layout()
plt.show()

# %%
# A downstream scorer
# -------------------
# When the codes feed a task, let the task choose: the autoencoder in a
# pipeline before a 5-nearest-neighbour classifier, searched for
# cross-validated accuracy. Accuracy too may creep up with the code size
# long after it stops mattering, so ``refit`` takes the smallest code whose
# accuracy is within one point of the best (scikit-learn's callable
# ``refit``), not the best alone.


def smallest_within_a_point(cv_results):
    """Index of the smallest code within 0.01 of the best mean accuracy."""
    accuracy = cv_results["mean_test_score"]
    sizes = np.asarray(cv_results["param_autoencoder__n_components"], dtype=int)
    good = np.flatnonzero(accuracy >= accuracy.max() - 0.01)
    return int(good[np.argmin(sizes[good])])


pipe = make_pipeline(AutoEncoder(**settings), KNeighborsClassifier(5))
search = GridSearchCV(
    pipe,
    {"autoencoder__n_components": [2, 4, 8, 16, 32]},
    cv=3,
    refit=smallest_within_a_point,
)
search.fit(X_train, y_train)
for size, accuracy in zip(
    search.cv_results_["param_autoencoder__n_components"],
    search.cv_results_["mean_test_score"],
    strict=True,
):
    print(f"n_components={size:2d}: cross-validated 5-NN accuracy {accuracy:.3f}")
print(
    f"the classifier's choice: {search.best_params_}, "
    f"held-out accuracy {search.score(X_test, y_test):.3f}"
)

# %%
# Accuracy rises fast to 8 units and then by less than a point; the
# smallest code within a point of the best agrees with the elbow. Either
# way the choice comes from what the codes are for, which the likelihood
# cannot know.
