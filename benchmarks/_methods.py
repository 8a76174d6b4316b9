"""The benchmark's methods: every sklearn_ae estimator and the classical ones.

The autoencoders are discovered from ``sklearn_ae.__all__`` (every class
there with a ``transform``), so an estimator joins the benchmark as soon as
it is exported. Every parameter that differs from a method's default is in
:data:`PARAMS`, the one table the results page reproduces.
"""

import inspect
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

import sklearn_ae

from ._protocol import SEED

# Parameters that differ from each method's defaults, by method name. Every
# entry needs a reason in a comment: the results page prints this table, and
# a number measured with a hidden setting is not a benchmark.
PARAMS = {
    # Without fit_inverse_transform KernelPCA cannot reconstruct.
    "KernelPCA": {"kernel": "rbf", "fit_inverse_transform": True},
    # Barnes-Hut t-SNE, PCA initialisation (scikit-learn's default since 1.2,
    # spelled out so that older versions agree).
    "TSNE": {"init": "pca"},
}

# Tuned variants, run beside the defaults as rows of their own: name ->
# (class name, parameters, largest n_components). The page prints their
# parameters with PARAMS'. Each needs its evidence in a comment.
VARIANTS = {
    # 2-D codes of images: the defaults' weight decay (0.3, chosen on 30-D
    # MNIST reconstruction) shrinks a 2-unit bottleneck that needs no more
    # regularising, and a wider, deeper encoder sees more of 784 pixels. On
    # 2-D MNIST-5k it took held-out 5-NN accuracy from 0.689-0.745 to
    # 0.780-0.795 over seeds 0-2 (`python -m benchmarks.seeds`), at about
    # twice the fit time. Tuned for 2-D codes, so run only there.
    "DenoisingAutoEncoder-wide": (
        "DenoisingAutoEncoder",
        {"hidden_layer_sizes": (512, 256, 128), "weight_decay": 0.0},
        2,
    ),
    # The manifold autoencoder's geometries, declared so that each runs on
    # every 2-D task (the plain ManifoldAutoEncoder row is the default,
    # geometry="auto": Isomap's geodesics on a sheet, UMAP's edges
    # otherwise). `python -m benchmarks.manifold` measures them further.
    "ManifoldAutoEncoder-isomap": ("ManifoldAutoEncoder", {"geometry": "isomap"}, 2),
    "ManifoldAutoEncoder-tsne": ("ManifoldAutoEncoder", {"geometry": "tsne"}, 2),
}

# Extra overrides in --quick mode: a smoke run, not a measurement.
QUICK_PARAMS = {"autoencoder": {"max_iter": 5}}

# Methods whose inverse_transform is not measured: UMAP's is an interpolation
# between training points in the embedding, slow and not a decoder.
NO_RECONSTRUCTION = {"UMAP"}

CLASSICAL = ("PCA", "KernelPCA", "Isomap", "LocallyLinearEmbedding", "TSNE", "UMAP")


@dataclass
class Method:
    """One benchmarked method.

    Attributes
    ----------
    name : str
        The class name, or a tuned variant's name (:data:`VARIANTS`), as
        given to ``--methods``.
    cls : type
        The estimator class.
    params : dict
        Parameters passed to ``cls`` besides ``n_components`` (and, when it
        takes them, ``random_state`` and ``device``).
    transductive : bool
        True for methods with no ``transform`` (t-SNE): they embed train and
        held-out points together.
    autoencoder : bool
        True for the sklearn_ae estimators.
    reconstructs : bool
        Whether the held-out reconstruction error is measured.
    max_components : int or None
        Largest ``n_components`` the method runs with (Barnes-Hut t-SNE: 3;
        a variant tuned for 2-D codes: 2).
    """

    name: str
    cls: type
    params: dict = field(default_factory=dict)
    transductive: bool = False
    autoencoder: bool = False
    reconstructs: bool = False
    max_components: int | None = None

    def make(self, n_components, *, device="auto", random_state=SEED):
        """A fresh estimator with ``n_components`` and the table's parameters."""
        accepted = inspect.signature(self.cls).parameters
        params = {"n_components": n_components, **self.params}
        if "random_state" in accepted:
            params["random_state"] = random_state
        if "device" in accepted:
            params["device"] = device
        return self.cls(**params)

    @property
    def stochastic(self):
        """Whether the method takes a seed (``random_state``): its figures
        may move with it, so a seed spread refits it."""
        return "random_state" in inspect.signature(self.cls).parameters

    def supports(self, n_components, n_features):
        """Whether the method can embed ``n_features`` into ``n_components``."""
        if self.max_components is not None and n_components > self.max_components:
            return False
        return n_components < n_features


def autoencoder_classes():
    """``{name: class}`` of every estimator in ``sklearn_ae.__all__``.

    An estimator is a class with ``fit`` and ``transform``: the estimators
    merged later on other branches join without a change here.
    """
    classes = {}
    for name in sklearn_ae.__all__:
        obj = getattr(sklearn_ae, name, None)
        if inspect.isclass(obj) and hasattr(obj, "fit") and hasattr(obj, "transform"):
            classes[name] = obj
    return classes


def _umap_class():
    # umap-learn is optional and slow to import (numba): only looked up here.
    try:
        from umap import UMAP
    except ImportError:
        return None
    # A seeded UMAP runs on one thread, as it says at every fit; the seed is
    # what the benchmark wants, so the warning is noise in its output.
    warnings.filterwarnings("ignore", message="n_jobs value", module="umap")
    return UMAP


def available_methods(*, quick=False, include_umap=True):
    """``{name: Method}`` of every method that can run here, in table order.

    Parameters
    ----------
    quick : bool, default=False
        Add :data:`QUICK_PARAMS` (few epochs) to the autoencoders.
    include_umap : bool, default=True
        Look up umap-learn; False skips its import (numba) entirely.

    Returns
    -------
    methods : dict of str to Method
    """
    from sklearn.decomposition import PCA, KernelPCA
    from sklearn.manifold import TSNE, Isomap, LocallyLinearEmbedding

    classical = {
        "PCA": PCA,
        "KernelPCA": KernelPCA,
        "Isomap": Isomap,
        "LocallyLinearEmbedding": LocallyLinearEmbedding,
        "TSNE": TSNE,
    }
    if include_umap and (umap_cls := _umap_class()) is not None:
        classical["UMAP"] = umap_cls
    methods = {}
    for name, cls in classical.items():
        transductive = not hasattr(cls, "transform")
        methods[name] = Method(
            name,
            cls,
            params=dict(PARAMS.get(name, {})),
            transductive=transductive,
            reconstructs=(
                hasattr(cls, "inverse_transform")
                and not transductive
                and name not in NO_RECONSTRUCTION
            ),
            max_components=3 if name == "TSNE" else None,
        )
    for name, cls in autoencoder_classes().items():
        params = dict(PARAMS.get(name, {}))
        if quick:
            params.update(QUICK_PARAMS["autoencoder"])
        methods[name] = Method(
            name,
            cls,
            params=params,
            autoencoder=True,
            reconstructs=hasattr(cls, "inverse_transform"),
        )
    for name, (class_name, params, max_components) in VARIANTS.items():
        if (base := methods.get(class_name)) is None:
            continue
        if quick:
            params = {**params, **QUICK_PARAMS["autoencoder"]}
        methods[name] = Method(
            name,
            base.cls,
            params=dict(params),
            autoencoder=True,
            reconstructs=base.reconstructs,
            max_components=max_components,
        )
    return methods


def warm_up(methods, device, *, n_points=300):
    """Pay each library's one-time costs before anything is timed.

    Returns ``{what: seconds}``, to report apart from the figures: torch's
    first optimiser step (about 1.4 s) and UMAP's numba compilation (about
    30 s). UMAP compiles another path (NN-descent) above 4,096 points: pass
    ``n_points`` beyond that when larger data will be timed.
    """
    X = np.random.RandomState(SEED).uniform(size=(n_points, 8))
    costs = {}
    for name, method in methods.items():
        if not method.autoencoder and name != "UMAP":
            continue
        key = "torch" if method.autoencoder else name
        if key in costs:
            continue
        start = time.perf_counter()
        if method.autoencoder:
            sklearn_ae.AutoEncoder(max_iter=1, device=device).fit(X)
        else:
            method.make(2).fit(X).transform(X[:10])
        costs[key] = time.perf_counter() - start
    return costs
