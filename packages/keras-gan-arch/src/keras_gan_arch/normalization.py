"""Batch normalization whose scale and shift come from outside: from a class label
(conditional BatchNorm) or from the latent vector z (self-modulation).

Both normalize ``h`` with an affine-free ``BatchNormalization`` and then apply
``h * (1 + gamma) + beta``. The gamma/beta producers start at zero, so a freshly built layer is
exactly plain BatchNorm without affine parameters and learns to modulate.

References:
    de Vries et al., "Modulating early visual processing by language", NeurIPS 2017 (CBN).
    Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
    Chen et al., "On Self Modulation for Generative Adversarial Networks", ICLR 2019.
"""

from __future__ import annotations

import keras
from keras import ops


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def _check_momentum_epsilon(momentum, epsilon):
    if not 0.0 <= momentum < 1.0:
        raise ValueError(f"`momentum` must be in [0, 1). Received: momentum={momentum!r}")
    if not epsilon > 0:
        raise ValueError(f"`epsilon` must be positive. Received: epsilon={epsilon!r}")


def _split_pair(inputs, second):
    if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
        raise ValueError(
            f"`inputs` must be a pair `[features, {second}]`. Received: inputs={inputs!r}"
        )
    return inputs[0], inputs[1]


def _broadcast(gamma_or_beta, rank):
    # (batch, channels) -> (batch, 1, ..., 1, channels) so it broadcasts over space.
    shape = ops.shape(gamma_or_beta)
    return ops.reshape(gamma_or_beta, (shape[0],) + (1,) * (rank - 2) + (shape[-1],))


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class ConditionalBatchNormalization(keras.layers.Layer):
    """BatchNorm with a per-class scale and shift, for class-conditional generators.

    Args:
        num_classes: number of classes (>= 1); labels are integers in ``[0, num_classes)``.
        momentum: moving-average momentum of the batch statistics, in ``[0, 1)``. Default 0.9.
        epsilon: variance epsilon, > 0. Default 1e-5.

    Call arguments:
        inputs: ``[features, labels]``; features ``(batch, ..., channels)``, labels integer
            ``(batch,)`` or ``(batch, 1)``.
        training: use batch statistics (and update the moving ones) when True.

    Returns:
        ``normalized * (1 + gamma[label]) + beta[label]``, shaped like ``features``.

    References:
        de Vries et al., 2017; Miyato & Koyama, "cGANs with Projection Discriminator", 2018.

    >>> import numpy as np
    >>> layer = ConditionalBatchNormalization(num_classes=3)
    >>> h = np.random.default_rng(0).normal(size=(4, 2, 2, 5)).astype("float32")
    >>> tuple(layer([h, np.array([0, 1, 2, 0])]).shape)
    (4, 2, 2, 5)
    """

    def __init__(self, num_classes, momentum=0.9, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("num_classes", num_classes)
        _check_momentum_epsilon(momentum, epsilon)
        self.num_classes = num_classes
        self.momentum = momentum
        self.epsilon = epsilon
        self.norm = keras.layers.BatchNormalization(
            momentum=momentum, epsilon=epsilon, center=False, scale=False, dtype=self.dtype_policy
        )

    def build(self, input_shape):
        features_shape, _ = input_shape
        channels = features_shape[-1]
        self.norm.build(features_shape)
        self.gamma = keras.layers.Embedding(
            self.num_classes, channels, embeddings_initializer="zeros", dtype=self.dtype_policy
        )
        self.beta = keras.layers.Embedding(
            self.num_classes, channels, embeddings_initializer="zeros", dtype=self.dtype_policy
        )
        self.gamma.build((None,))
        self.beta.build((None,))

    def call(self, inputs, training=None):
        features, labels = _split_pair(inputs, "labels")
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        rank = len(features.shape)
        normalized = self.norm(features, training=training)
        gamma = _broadcast(self.gamma(labels), rank)
        beta = _broadcast(self.beta(labels), rank)
        return normalized * (1.0 + ops.cast(gamma, normalized.dtype)) + ops.cast(
            beta, normalized.dtype
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class SelfModulatedBatchNormalization(keras.layers.Layer):
    """Self-modulation: affine-free BatchNorm whose scale and shift are an MLP of z.

    ``gamma, beta = MLP(z)`` with one hidden ReLU layer; output ``h * (1 + gamma) + beta``.

    Args:
        hidden_units: width of the MLP's hidden layer (>= 1). Default 32, as in the paper.
        momentum: moving-average momentum of the batch statistics, in ``[0, 1)``. Default 0.9.
        epsilon: variance epsilon, > 0. Default 1e-5.

    Call arguments:
        inputs: ``[features, z]``; features ``(batch, ..., channels)``, z ``(batch, latent)``.
        training: use batch statistics (and update the moving ones) when True.

    Returns:
        The modulated features, shaped like ``features``.

    References:
        Chen, Lucic, Houlsby, Gelly, "On Self Modulation for Generative Adversarial Networks",
        ICLR 2019.

    >>> import numpy as np
    >>> layer = SelfModulatedBatchNormalization(hidden_units=8)
    >>> h = np.ones((2, 4, 4, 3), "float32")
    >>> tuple(layer([h, np.ones((2, 16), "float32")]).shape)
    (2, 4, 4, 3)
    """

    def __init__(self, hidden_units=32, momentum=0.9, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("hidden_units", hidden_units)
        _check_momentum_epsilon(momentum, epsilon)
        self.hidden_units = hidden_units
        self.momentum = momentum
        self.epsilon = epsilon
        self.norm = keras.layers.BatchNormalization(
            momentum=momentum, epsilon=epsilon, center=False, scale=False, dtype=self.dtype_policy
        )
        self.hidden = keras.layers.Dense(hidden_units, activation="relu", dtype=self.dtype_policy)

    def build(self, input_shape):
        features_shape, z_shape = input_shape
        channels = features_shape[-1]
        self.norm.build(features_shape)
        self.hidden.build(z_shape)
        # Zero-initialized heads: the layer starts as plain affine-free BatchNorm.
        self.gamma = keras.layers.Dense(
            channels, kernel_initializer="zeros", dtype=self.dtype_policy
        )
        self.beta = keras.layers.Dense(
            channels, kernel_initializer="zeros", dtype=self.dtype_policy
        )
        self.gamma.build((None, self.hidden_units))
        self.beta.build((None, self.hidden_units))

    def call(self, inputs, training=None):
        features, z = _split_pair(inputs, "z")
        rank = len(features.shape)
        normalized = self.norm(features, training=training)
        hidden = self.hidden(z)
        gamma = _broadcast(self.gamma(hidden), rank)
        beta = _broadcast(self.beta(hidden), rank)
        return normalized * (1.0 + ops.cast(gamma, normalized.dtype)) + ops.cast(
            beta, normalized.dtype
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_units": self.hidden_units,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }
