"""Spectral normalization of a layer's kernel, done right (Miyato et al., 2018)."""

import keras
from keras import ops

from keras_lipschitz import _keras_compat, _linear_maps

MODES = ("reshaped", "operator")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`{name}` must be an int. Received: {name}={value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}. Received: {name}={value}")


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class SpectralNormalization(keras.layers.Wrapper):
    """Use ``kernel / sigma(kernel)`` in a layer, ``sigma`` estimated by power iteration.

    Unlike `keras.layers.SpectralNormalization`, the kernel variable is never overwritten: the
    wrapped layer runs on ``W / sigma`` computed in the forward pass, so gradients flow through
    ``sigma`` (Miyato et al.; set ``sigma_gradient=False`` to stop them). The power-iteration
    vectors ``u`` and ``v`` are non-trainable variables, warmed up at build (like torch) and
    updated only when ``training``; at inference the stored estimate is used. Every layer with
    a ``kernel`` works; the output axis is chosen per layer type (Dense, Conv1D/2D/3D,
    Conv*Transpose, DepthwiseConv*, Embedding).

    Two bounds:

    * ``mode="reshaped"``: the spectral norm of the kernel reshaped to ``(out, in * k)``,
      Miyato's standard; matches `torch.nn.utils.parametrizations.spectral_norm` given the same
      ``u``/``v``. For a convolution this does *not* bound the conv (it can exceed 1).
    * ``mode="operator"``: power iteration on the convolution as a linear map on the layer's
      input shape (conv forward, transposed conv back), so the normalized layer's operator norm
      is 1. Needs a fully known input shape. Non-conv layers use their matrix (exact anyway).

    Args:
        layer: a `keras.layers.Layer` with a ``kernel`` (or ``embeddings``) of rank >= 2.
        power_iterations: power-iteration steps per training call (int >= 1, default 1).
        mode: ``"reshaped"`` (default) or ``"operator"``.
        eps: floor for vector norms and ``sigma`` (> 0, default 1e-12, as torch).
        warmup_iterations: power-iteration steps at build from random ``u``, ``v``
            (int >= 0). Default ``None``: 15 for ``"reshaped"`` (as torch), 100 for
            ``"operator"`` (conv operators have closer top singular values).
        sigma_gradient: let gradients flow through ``sigma`` (default True).
        **kwargs: base layer arguments (``name``, ...).

    Returns:
        The wrapped layer's output computed with the normalized kernel.

    References:
        Miyato et al., "Spectral Normalization for Generative Adversarial Networks", 2018.
        Sedghi et al., "The Singular Values of Convolutional Layers", 2019.

    Example:

    >>> import numpy as np, keras
    >>> layer = SpectralNormalization(keras.layers.Dense(4, use_bias=False), warmup_iterations=50)
    >>> y = layer(np.ones((1, 3), "float32"))
    >>> w = keras.ops.convert_to_numpy(layer.normalized_kernel())
    >>> round(float(np.linalg.norm(w, 2)), 4)
    1.0
    """

    def __init__(
        self,
        layer,
        power_iterations=1,
        mode="reshaped",
        eps=1e-12,
        warmup_iterations=None,
        sigma_gradient=True,
        **kwargs,
    ):
        if not isinstance(layer, keras.layers.Layer):
            raise TypeError(
                f"`layer` must be a keras.layers.Layer instance. Received: layer={layer!r}"
            )
        _check_int("power_iterations", power_iterations, 1)
        if warmup_iterations is not None:
            _check_int("warmup_iterations", warmup_iterations, 0)
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
        if not isinstance(eps, (int, float)) or not eps > 0:
            raise ValueError(f"`eps` must be a number > 0. Received: eps={eps!r}")
        if not isinstance(sigma_gradient, bool):
            raise TypeError(
                f"`sigma_gradient` must be a bool. Received: sigma_gradient={sigma_gradient!r}"
            )
        super().__init__(layer, **kwargs)
        self.power_iterations = power_iterations
        self.mode = mode
        self.eps = float(eps)
        self.warmup_iterations = warmup_iterations
        self.sigma_gradient = sigma_gradient

    # ------------------------------------------------------------------ build
    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
        self._kernel_attribute = self._find_kernel_attribute()
        kernel = self.kernel_variable
        if len(kernel.shape) < 2:
            raise ValueError(
                f"`layer`'s kernel must have rank >= 2. Received: kernel shape {kernel.shape}"
            )
        self._operator = None
        if self.mode == "operator" and _linear_maps.is_conv(self.layer):
            if input_shape is None or any(d is None for d in tuple(input_shape)[1:]):
                raise ValueError(
                    "`mode`='operator' needs the full input shape (all but the batch "
                    f"dimension known). Received: input_shape={input_shape}"
                )
            forward, adjoint, out_shape = _linear_maps.conv_operator(self.layer, input_shape)
            self._operator = (forward, adjoint)
            u_shape, v_shape = out_shape, (1,) + tuple(input_shape[1:])
        else:
            self._layout = _linear_maps.matrix_layout(self.layer, tuple(kernel.shape))
            rows = self._layout[1]
            u_shape, v_shape = (rows,), (_linear_maps.numel(kernel.shape) // rows,)
        self.u = self.add_weight(
            name="u",
            shape=u_shape,
            initializer="random_normal",
            trainable=False,
            dtype=self.layer.variable_dtype,
            autocast=False,
            aggregation="only_first_replica",
        )
        self.v = self.add_weight(
            name="v",
            shape=v_shape,
            initializer="random_normal",
            trainable=False,
            dtype=self.layer.variable_dtype,
            autocast=False,
            aggregation="only_first_replica",
        )
        warmup = self.warmup_iterations
        if warmup is None:
            warmup = 100 if self._operator is not None else 15
        if warmup and not _keras_compat.in_stateless_scope():
            u = _linear_maps.normalize(self.u.value, self.eps)
            v = _linear_maps.normalize(self.v.value, self.eps)
            u, v = self._power_iterate(self._read_kernel(), u, v, warmup)
            self.u.assign(u)
            self.v.assign(v)
        self.built = True

    def _find_kernel_attribute(self):
        name = _keras_compat.kernel_attribute(self.layer)
        if name is not None:
            return name
        raise ValueError(
            f"`layer` must have a `kernel` (or `embeddings`) variable; "
            f"{type(self.layer).__name__} has none. Received: layer={self.layer.name}"
        )

    @property
    def kernel_variable(self):
        """The wrapped layer's kernel variable (never modified by this wrapper)."""
        return _keras_compat.stored_attribute(self.layer, self._kernel_attribute)

    # ------------------------------------------------------------------ math
    def _read_kernel(self):
        # Under a mixed policy the value is autocast; compute sigma in the variable's dtype.
        return ops.cast(self.kernel_variable.value, self.u.dtype)

    def _apply(self, kernel, v):
        if self._operator is not None:
            return self._operator[0](v, kernel)
        return ops.matmul(_linear_maps.to_matrix(kernel, self._layout), v)

    def _apply_transpose(self, kernel, u):
        if self._operator is not None:
            return self._operator[1](u, kernel)
        return ops.matmul(u, _linear_maps.to_matrix(kernel, self._layout))

    def _power_iterate(self, kernel, u, v, iterations):
        kernel = ops.stop_gradient(kernel)
        for _ in range(iterations):
            u = _linear_maps.normalize(self._apply(kernel, v), self.eps)
            v = _linear_maps.normalize(self._apply_transpose(kernel, u), self.eps)
        return u, v

    def _sigma(self, kernel, u, v):
        # Re-normalise: stored vectors need not be unit length when something else wrote them
        # (an EMA of the weights averages u and v too, shrinking them and so sigma).
        u = _linear_maps.normalize(ops.stop_gradient(u), self.eps)
        v = _linear_maps.normalize(ops.stop_gradient(v), self.eps)
        sigma = ops.sum(u * self._apply(kernel, v))
        sigma = ops.maximum(sigma, self.eps)
        return sigma if self.sigma_gradient else ops.stop_gradient(sigma)

    def sigma(self):
        """The current estimate ``u^T W v`` of the kernel's spectral (or operator) norm."""
        return self._sigma(self._read_kernel(), self.u.value, self.v.value)

    def normalized_kernel(self):
        """``kernel / sigma`` with the stored ``u``, ``v`` (what inference uses)."""
        kernel = self._read_kernel()
        return kernel / self._sigma(kernel, self.u.value, self.v.value)

    # ------------------------------------------------------------------ call
    def call(self, inputs, training=None):
        kernel = self._read_kernel()
        u, v = self.u.value, self.v.value
        if training:
            u, v = self._power_iterate(kernel, u, v, self.power_iterations)
            self.u.assign(u)
            self.v.assign(v)
        normalized = ops.cast(kernel / self._sigma(kernel, u, v), self.layer.compute_dtype)
        # Run the wrapped layer on the normalized tensor without touching the variable.
        with _keras_compat.attribute_replaced(self.layer, self._kernel_attribute, normalized):
            return self.layer(inputs, training=training)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        config = {
            "power_iterations": self.power_iterations,
            "mode": self.mode,
            "eps": self.eps,
            "warmup_iterations": self.warmup_iterations,
            "sigma_gradient": self.sigma_gradient,
        }
        return {**super().get_config(), **config}
