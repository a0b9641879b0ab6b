"""keras-lipschitz: spectral normalization done right, spectral-norm regularization, gradient
penalties, and a Lipschitz report, for Keras 3 on TensorFlow, JAX and PyTorch.

Keras is imported on first access to a public name (``keras_plugin_harness.lazy_exports``),
so discovering plugins stays cheap.
"""

from keras_plugin_harness import lazy_exports

__version__ = "0.1.0"

# public name -> the submodule that defines it
_WHERE = {
    "SpectralNormalization": "spectral_normalization",
    "SpectralNormRegularizer": "regularizer",
    "gradient_penalty": "gradient_penalty",
    "gradient_norms": "gradient_penalty",
    "interpolate": "gradient_penalty",
    "KINDS": "gradient_penalty",
    "input_gradient": "_input_gradient",
    "lipschitz_report": "report",
    "LipschitzReport": "report",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
