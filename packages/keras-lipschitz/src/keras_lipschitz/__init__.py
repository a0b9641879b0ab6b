"""keras-lipschitz: spectral normalization done right, spectral-norm regularization, gradient
penalties, and a Lipschitz report, for Keras 3 on TensorFlow, JAX and PyTorch."""

from keras_lipschitz._input_gradient import input_gradient

# The function, not its module: `keras_lipschitz.gradient_penalty` is the function (the
# submodule stays importable as `from keras_lipschitz.gradient_penalty import ...`).
from keras_lipschitz.gradient_penalty import KINDS, gradient_norms, gradient_penalty, interpolate
from keras_lipschitz.regularizer import SpectralNormRegularizer
from keras_lipschitz.report import LipschitzReport, lipschitz_report
from keras_lipschitz.spectral_normalization import SpectralNormalization

__version__ = "0.1.0"

__all__ = [
    "KINDS",
    "LipschitzReport",
    "SpectralNormRegularizer",
    "SpectralNormalization",
    "gradient_norms",
    "gradient_penalty",
    "input_gradient",
    "interpolate",
    "lipschitz_report",
]
