"""keras-lipschitz: Spectral normalization done right, spectral-norm regularization, gradient penalties."""

__version__ = "0.1.0"
