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
class CrossReplicaBatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` whose batch statistics span every replica.

    Under ``tf.distribute`` each replica normalizes with the mean and variance of the *global*
    batch (an all-reduce, as in BigGAN's cross-replica BatchNorm), so data-parallel training
    computes what one device would. Keras' ``synchronized=True`` does this but refuses other
    backends, which would make a model saved on TensorFlow unloadable on JAX or PyTorch; here
    the flag is set from the running backend and left out of the config. JAX ``DataParallel``
    already normalizes over the global batch; PyTorch has no data-parallel path in Keras.

    Args: those of ``keras.layers.BatchNormalization`` except ``synchronized``.

    >>> import numpy as np
    >>> layer = CrossReplicaBatchNormalization(center=False, scale=False)
    >>> out = layer(np.array([[0.0], [2.0]], "float32"), training=True)
    >>> np.round(np.asarray(out).ravel(), 3).tolist()
    [-1.0, 1.0]
    """

    def __init__(self, **kwargs):
        kwargs.pop("synchronized", None)
        super().__init__(synchronized=keras.backend.backend() == "tensorflow", **kwargs)

    def get_config(self):
        config = super().get_config()
        config.pop("synchronized", None)
        return config


def batch_normalization(dtype=None, momentum=0.9, epsilon=1e-5, affine=True):
    """The generators' BatchNorm (cross-replica; ``affine=False`` for modulated ones)."""
    return CrossReplicaBatchNormalization(
        momentum=momentum, epsilon=epsilon, center=affine, scale=affine, dtype=dtype
    )


class _ModulatedBatchNormalization(keras.layers.Layer):
    """Affine-free BatchNorm followed by ``h * (1 + gamma) + beta``; subclasses make
    ``gamma, beta`` from the second input (``_scale_shift``) and build its heads."""

    def __init__(self, momentum=0.9, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        _check_momentum_epsilon(momentum, epsilon)
        self.momentum = momentum
        self.epsilon = epsilon
        self.norm = batch_normalization(self.dtype_policy, momentum, epsilon, affine=False)

    def call(self, inputs, training=None):
        features, condition = _split_pair(inputs, self.condition_name)
        rank = len(features.shape)
        normalized = self.norm(features, training=training)
        gamma, beta = self._scale_shift(condition)
        gamma = ops.cast(_broadcast(gamma, rank), normalized.dtype)
        return normalized * (1.0 + gamma) + ops.cast(_broadcast(beta, rank), normalized.dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class ConditionalBatchNormalization(_ModulatedBatchNormalization):
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

    condition_name = "labels"

    def __init__(self, num_classes, momentum=0.9, epsilon=1e-5, **kwargs):
        _check_positive_int("num_classes", num_classes)
        super().__init__(momentum, epsilon, **kwargs)
        self.num_classes = num_classes

    def build(self, input_shape):
        features_shape, _ = input_shape
        self.norm.build(features_shape)
        self.gamma, self.beta = (
            keras.layers.Embedding(
                self.num_classes,
                features_shape[-1],
                embeddings_initializer="zeros",
                dtype=self.dtype_policy,
            )
            for _ in range(2)
        )
        self.gamma.build((None,))
        self.beta.build((None,))

    def _scale_shift(self, labels):
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        return self.gamma(labels), self.beta(labels)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class SelfModulatedBatchNormalization(_ModulatedBatchNormalization):
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

    condition_name = "z"

    def __init__(self, hidden_units=32, momentum=0.9, epsilon=1e-5, **kwargs):
        _check_positive_int("hidden_units", hidden_units)
        super().__init__(momentum, epsilon, **kwargs)
        self.hidden_units = hidden_units
        self.hidden = keras.layers.Dense(hidden_units, activation="relu", dtype=self.dtype_policy)

    def build(self, input_shape):
        features_shape, z_shape = input_shape
        self.norm.build(features_shape)
        self.hidden.build(z_shape)
        # Zero-initialized heads: the layer starts as plain affine-free BatchNorm.
        self.gamma, self.beta = (
            keras.layers.Dense(
                features_shape[-1], kernel_initializer="zeros", dtype=self.dtype_policy
            )
            for _ in range(2)
        )
        self.gamma.build((None, self.hidden_units))
        self.beta.build((None, self.hidden_units))

    def _scale_shift(self, z):
        hidden = self.hidden(z)
        return self.gamma(hidden), self.beta(hidden)

    def get_config(self):
        return {**super().get_config(), "hidden_units": self.hidden_units}
