"""Spectral norm regularization as a ``kernel_regularizer`` (Yoshida & Miyato, 2017)."""

import keras
import numpy as np
from keras import ops

from keras_lipschitz._linear_maps import normalize


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class SpectralNormRegularizer(keras.regularizers.Regularizer):
    """Penalty ``strength / 2 * sigma(W)^2`` on a kernel's largest singular value.

    The kernel is reshaped to ``(-1, out)`` (the last axis is the output for Dense and Conv
    kernels) and ``sigma`` is estimated by ``power_iterations`` steps of power iteration that
    start from a fixed vector and are *recomputed each call*. Keras calls a regularizer with
    the variable's value inside JAX's stateless train step, where no variable of the
    regularizer's own can be updated or saved, so the start vector cannot persist portably;
    the fixed start keeps the penalty deterministic and saving trivial. Use more iterations for
    a tighter estimate (the estimate never exceeds the true ``sigma``).

    The gradient is ``strength * sigma * u v^T`` with ``u``, ``v`` the estimated singular
    vectors (treated as constants), as in the paper.

    Args:
        strength: lambda, the penalty weight (>= 0).
        power_iterations: power-iteration steps per call (int >= 1, default 5).
        eps: floor for vector norms (> 0, default 1e-12).

    Returns:
        A scalar penalty added to the layer's losses.

    References:
        Yoshida & Miyato, "Spectral Norm Regularization for Improving the Generalizability of
        Deep Learning", 2017.

    Example:

    >>> import numpy as np
    >>> reg = SpectralNormRegularizer(2.0)
    >>> float(reg(np.diag([3.0, 1.0]).astype("float32")))  # 2 / 2 * 3^2
    9.0
    """

    def __init__(self, strength, power_iterations=5, eps=1e-12):
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or strength < 0:
            raise ValueError(f"`strength` must be a number >= 0. Received: strength={strength!r}")
        if isinstance(power_iterations, bool) or not isinstance(power_iterations, int):
            raise TypeError(
                "`power_iterations` must be an int. "
                f"Received: power_iterations={power_iterations!r}"
            )
        if power_iterations < 1:
            raise ValueError(
                f"`power_iterations` must be >= 1. Received: power_iterations={power_iterations}"
            )
        if not isinstance(eps, (int, float)) or not eps > 0:
            raise ValueError(f"`eps` must be a number > 0. Received: eps={eps!r}")
        self.strength = float(strength)
        self.power_iterations = power_iterations
        self.eps = float(eps)

    def sigma(self, x):
        """Power-iteration estimate of the largest singular value of ``x`` as a matrix."""
        x = ops.convert_to_tensor(x)
        matrix = ops.reshape(ops.cast(x, "float32"), (-1, x.shape[-1]))
        frozen = ops.stop_gradient(matrix)
        start = np.random.RandomState(0).standard_normal(matrix.shape[1]).astype("float32")
        v = normalize(ops.convert_to_tensor(start), self.eps)
        for _ in range(self.power_iterations):
            u = normalize(ops.matmul(frozen, v), self.eps)
            v = normalize(ops.matmul(u, frozen), self.eps)
        return ops.sum(ops.stop_gradient(u) * ops.matmul(matrix, ops.stop_gradient(v)))

    def __call__(self, x):
        return 0.5 * self.strength * ops.square(self.sigma(x))

    def get_config(self):
        return {
            "strength": self.strength,
            "power_iterations": self.power_iterations,
            "eps": self.eps,
        }
