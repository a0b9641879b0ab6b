"""keras-lipschitz: spectral normalization done right, spectral-norm regularization, gradient
penalties, and a Lipschitz report, for Keras 3 on TensorFlow, JAX and PyTorch."""

from keras_lipschitz.gradient_penalty import KINDS, gradient_norms, gradient_penalty, interpolate
from keras_lipschitz.spectral_normalization import SpectralNormalization

__version__ = "0.1.0"

__all__ = [
    "KINDS",
    "SpectralNormalization",
    "gradient_norms",
    "gradient_penalty",
    "interpolate",
]
