"""keras-lipschitz: spectral normalization done right, spectral-norm regularization, gradient
penalties, and a Lipschitz report, for Keras 3 on TensorFlow, JAX and PyTorch.

Public names are imported lazily so that plugin discovery (which imports
``keras_lipschitz._plugin``) does not import Keras.
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "SpectralNormalization": "keras_lipschitz.spectral_normalization",
    "SpectralNormRegularizer": "keras_lipschitz.regularizer",
    "gradient_penalty": "keras_lipschitz.gradient_penalty",
    "gradient_norms": "keras_lipschitz.gradient_penalty",
    "interpolate": "keras_lipschitz.gradient_penalty",
    "KINDS": "keras_lipschitz.gradient_penalty",
    "input_gradient": "keras_lipschitz._input_gradient",
    "lipschitz_report": "keras_lipschitz.report",
    "LipschitzReport": "keras_lipschitz.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'keras_lipschitz' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
