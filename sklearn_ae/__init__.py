"""sklearn-ae: scikit-learn compatible dimensionality reduction with autoencoders.

Every estimator is a scikit-learn transformer backed by a PyTorch network:
``fit``, ``transform``, ``inverse_transform``, ``score`` and, for generative
models, ``sample``. :func:`save` and :func:`load` store a fitted estimator,
or a pipeline holding one, without pickle; :func:`export_onnx` writes one
as ONNX; :func:`set_config` bounds torch's CPU threads (one by default) in
the running thread, and :func:`delayed` carries that bound into joblib's
workers.
"""

from ._adversarial import AdversarialAutoEncoder
from ._autoencoder import AutoEncoder, LinearAutoEncoder
from ._bundle import load, save
from ._config import config_context, delayed, get_config, set_config
from ._contractive import ContractiveAutoEncoder
from ._cvae import ConditionalVariationalAutoEncoder
from ._denoising import DenoisingAutoEncoder
from ._manifold import ManifoldAutoEncoder
from ._onnx import export_onnx
from ._sparse import SparseAutoEncoder
from ._stacked import StackedAutoEncoder
from ._vae import VariationalAutoEncoder

__version__ = "0.1.0.dev0"

__all__ = [
    "AdversarialAutoEncoder",
    "AutoEncoder",
    "ConditionalVariationalAutoEncoder",
    "ContractiveAutoEncoder",
    "DenoisingAutoEncoder",
    "LinearAutoEncoder",
    "ManifoldAutoEncoder",
    "SparseAutoEncoder",
    "StackedAutoEncoder",
    "VariationalAutoEncoder",
    "__version__",
    "config_context",
    "delayed",
    "export_onnx",
    "get_config",
    "load",
    "save",
    "set_config",
]
