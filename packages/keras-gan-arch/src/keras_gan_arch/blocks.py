"""Residual blocks of SNGAN-style generators and discriminators, and the projection head.

References:
    Miyato et al., "Spectral Normalization for Generative Adversarial Networks", ICLR 2018.
    Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
"""

from __future__ import annotations

import keras
from keras import ops

from .normalization import (
    ConditionalBatchNormalization,
    SelfModulatedBatchNormalization,
    _check_positive_int,
    batch_normalization,
)

NORMALIZATIONS = ("batch", "conditional", "self_modulated")


def spectral_norm(layer, power_iterations=1):
    """Wrap ``layer`` in spectral normalization (``keras_lipschitz.SpectralNormalization``).

    Falls back to ``keras.layers.SpectralNormalization`` only when keras-lipschitz does not
    provide the wrapper (e.g. an old version).
    """
    try:
        from keras_lipschitz import SpectralNormalization
    except ImportError:
        SpectralNormalization = keras.layers.SpectralNormalization
    return SpectralNormalization(layer, power_iterations=power_iterations)


def check_normalization(normalization, num_classes):
    """Validate the normalization kind of a generator block (shared by the factories)."""
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"`normalization` must be one of {NORMALIZATIONS}. "
            f"Received: normalization={normalization!r}"
        )
    if normalization == "conditional":
        _check_positive_int("num_classes", num_classes)
    elif num_classes is not None:
        raise ValueError(
            "`num_classes` is only used with normalization='conditional'. "
            f"Received: num_classes={num_classes!r}, normalization={normalization!r}"
        )


def make_normalization(normalization, num_classes=None, hidden_units=32, dtype=None):
    """A batch, conditional or self-modulated BatchNorm layer."""
    if normalization == "conditional":
        return ConditionalBatchNormalization(num_classes, dtype=dtype)
    if normalization == "self_modulated":
        return SelfModulatedBatchNormalization(hidden_units, dtype=dtype)
    return batch_normalization(dtype)


def apply_normalization(layer, h, condition, training):
    if condition is None:
        return layer(h, training=training)
    return layer([h, condition], training=training)


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class GeneratorResBlock(keras.layers.Layer):
    """Pre-activation residual block that doubles the spatial size (SNGAN generator block).

    ``norm -> relu -> upsample -> conv3x3 -> norm -> relu -> conv3x3`` plus a shortcut
    ``upsample -> conv1x1``. ``normalization`` picks plain BatchNorm, class-conditional
    BatchNorm (call with ``[h, labels]``) or self-modulated BatchNorm (call with ``[h, z]``).

    Args:
        filters: output channels (>= 1).
        normalization: ``"batch"`` (default), ``"conditional"`` or ``"self_modulated"``.
        num_classes: classes for ``"conditional"``; must be None otherwise.
        hidden_units: MLP width for ``"self_modulated"`` (>= 1). Default 32.
        upsample: double height and width (nearest neighbour). Default True.

    Returns:
        ``(batch, 2H, 2W, filters)`` (or ``(batch, H, W, filters)`` without upsampling).

    References:
        Miyato et al., ICLR 2018; Chen et al., "On Self Modulation for GANs", ICLR 2019.

    >>> import numpy as np
    >>> block = GeneratorResBlock(8)
    >>> tuple(block(np.zeros((2, 4, 4, 16), "float32")).shape)
    (2, 8, 8, 8)
    """

    def __init__(
        self,
        filters,
        normalization="batch",
        num_classes=None,
        hidden_units=32,
        upsample=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_positive_int("filters", filters)
        check_normalization(normalization, num_classes)
        _check_positive_int("hidden_units", hidden_units)
        self.filters = filters
        self.normalization = normalization
        self.num_classes = num_classes
        self.hidden_units = hidden_units
        self.upsample = bool(upsample)
        policy = self.dtype_policy
        self.norm1 = make_normalization(normalization, num_classes, hidden_units, policy)
        self.norm2 = make_normalization(normalization, num_classes, hidden_units, policy)
        self.conv1 = keras.layers.Conv2D(filters, 3, padding="same", dtype=policy)
        self.conv2 = keras.layers.Conv2D(filters, 3, padding="same", dtype=policy)
        self.shortcut = keras.layers.Conv2D(filters, 1, dtype=policy)
        self.up = keras.layers.UpSampling2D(2, dtype=policy) if self.upsample else None

    def _split(self, inputs):
        if self.normalization == "batch":
            return inputs, None
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(
                f"`inputs` must be `[h, condition]` for normalization={self.normalization!r}. "
                f"Received: inputs={inputs!r}"
            )
        return inputs[0], inputs[1]

    def build(self, input_shape):
        if self.normalization == "batch":
            h_shape, c_shape = tuple(input_shape), None
        else:
            h_shape, c_shape = tuple(input_shape[0]), tuple(input_shape[1])
        up_shape = (h_shape[0], None, None, h_shape[-1]) if self.upsample else h_shape
        mid_shape = (*up_shape[:-1], self.filters)
        for norm, shape in ((self.norm1, h_shape), (self.norm2, mid_shape)):
            norm.build(shape if c_shape is None else [shape, c_shape])
        if self.up is not None:
            self.up.build(h_shape)
        self.conv1.build(up_shape)
        self.conv2.build(mid_shape)
        self.shortcut.build(up_shape)

    def call(self, inputs, training=None):
        h, condition = self._split(inputs)
        x = ops.relu(apply_normalization(self.norm1, h, condition, training))
        skip = h
        if self.up is not None:
            x, skip = self.up(x), self.up(skip)
        x = self.conv1(x)
        x = ops.relu(apply_normalization(self.norm2, x, condition, training))
        return self.conv2(x) + self.shortcut(skip)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape if self.normalization == "batch" else input_shape[0])
        scale = 2 if self.upsample else 1
        spatial = tuple(None if s is None else s * scale for s in shape[1:3])
        return (shape[0], *spatial, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "normalization": self.normalization,
            "num_classes": self.num_classes,
            "hidden_units": self.hidden_units,
            "upsample": self.upsample,
        }


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class DiscriminatorResBlock(keras.layers.Layer):
    """Residual block of an SNGAN discriminator, optionally halving the spatial size.

    ``[relu] -> conv3x3 -> relu -> conv3x3 -> [avgpool]`` plus a ``conv1x1 -> [avgpool]``
    shortcut; every convolution is spectrally normalized when ``spectral_normalization``.
    The first block of a discriminator sets ``preactivation=False`` (no ReLU on raw pixels).

    Args:
        filters: output channels (>= 1).
        downsample: halve height and width with 2x2 average pooling. Default True.
        preactivation: apply ReLU to the input first. Default True.
        spectral_normalization: wrap convolutions in spectral normalization. Default True.

    Returns:
        ``(batch, H/2, W/2, filters)`` (or ``(batch, H, W, filters)``).

    References:
        Miyato et al., "Spectral Normalization for GANs", ICLR 2018.

    >>> import numpy as np
    >>> block = DiscriminatorResBlock(8, preactivation=False)
    >>> tuple(block(np.zeros((2, 8, 8, 1), "float32")).shape)
    (2, 4, 4, 8)
    """

    def __init__(
        self, filters, downsample=True, preactivation=True, spectral_normalization=True, **kwargs
    ):
        super().__init__(**kwargs)
        _check_positive_int("filters", filters)
        self.filters = filters
        self.downsample = bool(downsample)
        self.preactivation = bool(preactivation)
        self.spectral_normalization = bool(spectral_normalization)
        policy = self.dtype_policy

        def conv(kernel):
            layer = keras.layers.Conv2D(filters, kernel, padding="same", dtype=policy)
            return spectral_norm(layer) if self.spectral_normalization else layer

        self.conv1, self.conv2, self.shortcut = conv(3), conv(3), conv(1)
        self.pool = keras.layers.AveragePooling2D(2, dtype=policy) if self.downsample else None

    def build(self, input_shape):
        shape = tuple(input_shape)
        mid = (*shape[:-1], self.filters)
        self.conv1.build(shape)
        self.conv2.build(mid)
        self.shortcut.build(shape)
        if self.pool is not None:
            self.pool.build(mid)

    def call(self, inputs, training=None):
        x = ops.relu(inputs) if self.preactivation else inputs
        x = self.conv1(x, training=training)
        x = self.conv2(ops.relu(x), training=training)
        skip = self.shortcut(inputs, training=training)
        if self.pool is not None:
            x, skip = self.pool(x), self.pool(skip)
        return x + skip

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        spatial = shape[1:3]
        if self.downsample:
            spatial = tuple(None if s is None else s // 2 for s in spatial)
        return (shape[0], *spatial, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "downsample": self.downsample,
            "preactivation": self.preactivation,
            "spectral_normalization": self.spectral_normalization,
        }


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class ClassProjection(keras.layers.Layer):
    """The projection term of a projection discriminator: ``<embed(label), features>``.

    Args:
        num_classes: number of classes (>= 1); labels are integers in ``[0, num_classes)``.

    Call arguments:
        inputs: ``[features, labels]`` with features ``(batch, channels)`` and integer labels
            ``(batch,)`` or ``(batch, 1)``.

    Returns:
        ``(batch, 1)`` scores to add to the unconditional logit.

    References:
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.

    >>> import numpy as np
    >>> head = ClassProjection(4)
    >>> tuple(head([np.ones((3, 6), "float32"), np.array([0, 1, 3])]).shape)
    (3, 1)
    """

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        _check_positive_int("num_classes", num_classes)
        self.num_classes = num_classes

    def build(self, input_shape):
        channels = input_shape[0][-1]
        self.embedding = keras.layers.Embedding(
            self.num_classes,
            channels,
            embeddings_initializer="glorot_uniform",
            dtype=self.dtype_policy,
        )
        self.embedding.build((None,))

    def call(self, inputs):
        features, labels = inputs
        labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
        embedded = ops.cast(self.embedding(labels), features.dtype)
        return ops.sum(embedded * features, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}
