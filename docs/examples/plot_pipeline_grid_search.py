"""
==================================================
Pipelines and grid search, with and without labels
==================================================

Every estimator of sklearn-ae is a scikit-learn transformer, so it goes in
a :class:`~sklearn.pipeline.Pipeline` and can be tuned by
:class:`~sklearn.model_selection.GridSearchCV`. Two ways to tune:

* without labels: an autoencoder's ``score`` is the mean log-likelihood of
  the data, so ``GridSearchCV`` can pick the hyper-parameters that explain
  held-out data best, with no scorer and no ``y``;
* with labels: put a classifier after the autoencoder and tune the whole
  pipeline for accuracy.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from sklearn_ae import AutoEncoder

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# Unsupervised: which code size and which width explain held-out digits
# best? The pipeline's ``score`` is the autoencoder's log-likelihood, in
# nats per image (a Bernoulli likelihood on pixels scaled to [0, 1]).
# ``clip=True`` keeps held-out pixels brighter than any training pixel in
# [0, 1] too: a Bernoulli likelihood refuses values outside it.
# 20 epochs per fit keep the 25 fits of this search within seconds.
pipe = make_pipeline(
    MinMaxScaler(clip=True), AutoEncoder(loss="bce", max_iter=20, random_state=0)
)
search = GridSearchCV(
    pipe,
    {
        "autoencoder__n_components": [2, 4, 8, 16],
        "autoencoder__hidden_layer_sizes": [(32,), (128,)],
    },
    cv=3,
)
search.fit(X_train)
print("best:", search.best_params_)
print(f"held-out log-likelihood of the best model: {search.score(X_test):.1f}")

results = search.cv_results_
sizes = np.array(results["param_autoencoder__n_components"], dtype=int)
hiddens = [tuple(h) for h in results["param_autoencoder__hidden_layer_sizes"]]
fig, ax = plt.subplots(figsize=(5.5, 3.8))
for hidden in dict.fromkeys(hiddens):
    rows = [i for i, h in enumerate(hiddens) if h == hidden]
    ax.errorbar(
        sizes[rows],
        results["mean_test_score"][rows],
        yerr=results["std_test_score"][rows],
        marker="o",
        label=f"hidden_layer_sizes={hidden}",
    )
ax.set_xscale("log", base=2)
ax.set_xlabel("n_components")
ax.set_ylabel("log-likelihood (nats per image)")
ax.set_title("GridSearchCV with the autoencoder's own score")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# A bigger code keeps more of each image, so the likelihood favours the
# largest ``n_components`` (here with diminishing returns past 8). For a
# 2-D map, fix the code size and tune the rest.
#
# Supervised: the code as features for a classifier. The grid now searches
# the code size for accuracy.
clf = make_pipeline(
    MinMaxScaler(),
    AutoEncoder(max_iter=20, random_state=0),
    LogisticRegression(max_iter=2000),
)
search = GridSearchCV(clf, {"autoencoder__n_components": [2, 8, 16]}, cv=3)
search.fit(X_train, y_train)
for size, accuracy in zip(
    search.cv_results_["param_autoencoder__n_components"],
    search.cv_results_["mean_test_score"],
    strict=True,
):
    print(f"n_components={size:2d}: cross-validated accuracy {accuracy:.3f}")
print(f"held-out accuracy of the best pipeline: {search.score(X_test, y_test):.3f}")
