"""sklearn-ae: scikit-learn compatible dimensionality reduction with autoencoders.

Every estimator is a scikit-learn transformer backed by a PyTorch network:
``fit``, ``transform``, ``inverse_transform``, ``score`` and, for generative
models, ``sample``.
"""

from ._adversarial import AdversarialAutoEncoder
from ._autoencoder import AutoEncoder, LinearAutoEncoder
from ._stacked import StackedAutoEncoder

__version__ = "0.1.0.dev0"

__all__ = [
    "AdversarialAutoEncoder",
    "AutoEncoder",
    "LinearAutoEncoder",
    "StackedAutoEncoder",
    "__version__",
]
