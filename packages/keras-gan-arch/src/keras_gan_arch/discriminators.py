"""Discriminators: DCGAN, SNGAN ResNet with spectral normalization, projection (conditional).

Every factory maps images ``(batch, H, W, C)`` (``[images, labels]`` when ``num_classes`` is
set) to one unbounded logit per image, ``(batch, 1)``, in float32.

References:
    Radford et al., ICLR 2016; Miyato et al., "Spectral Normalization for GANs", ICLR 2018;
    Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
"""

from __future__ import annotations

import math

import keras

from .blocks import ClassProjection, DiscriminatorResBlock, spectral_norm
from .normalization import _check_positive_int


def _check_input_shape(input_shape):
    if (
        not isinstance(input_shape, (tuple, list))
        or len(input_shape) != 3
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in input_shape)
        or min(input_shape[:2]) < 4
    ):
        raise ValueError(
            "`input_shape` must be (height, width, channels) of positive integers with height "
            f"and width >= 4. Received: input_shape={input_shape!r}"
        )


def _downsamples(input_shape, num_downsamples):
    if num_downsamples is None:
        return max(2, int(math.log2(min(input_shape[:2]))) - 2)
    _check_positive_int("num_downsamples", num_downsamples)
    if 2**num_downsamples > min(input_shape[:2]):
        raise ValueError(
            f"`num_downsamples` halves the image {num_downsamples} times, more than "
            f"input_shape={tuple(input_shape)} allows. Received: num_downsamples={num_downsamples}"
        )
    return num_downsamples


def _inputs(input_shape, num_classes):
    images = keras.Input(tuple(input_shape), name="images")
    if num_classes is None:
        return images, images, None
    _check_positive_int("num_classes", num_classes)
    labels = keras.Input((), dtype="int32", name="labels")
    return [images, labels], images, labels


def _head(features, labels, num_classes, sn, dtype):
    dense = keras.layers.Dense(1, dtype=dtype)
    logits = (spectral_norm(dense) if sn else dense)(features)
    if num_classes is not None:
        projection = ClassProjection(num_classes, dtype=dtype)([features, labels])
        logits = keras.layers.Add(dtype=dtype)([logits, projection])
    return keras.layers.Activation("linear", dtype="float32")(logits)


def dcgan_discriminator(
    input_shape=(32, 32, 3),
    base_filters=64,
    kernel_size=4,
    num_downsamples=None,
    spectral_normalization=False,
    num_classes=None,
    name="dcgan_discriminator",
    dtype=None,
):
    """DCGAN discriminator: stride-2 convolutions with LeakyReLU(0.2), then a dense logit.

    No BatchNorm, so it is valid under gradient penalties (WGAN-GP).

    Args:
        input_shape: ``(height, width, channels)``, height and width >= 4.
        base_filters: channels of the first convolution, doubled each step (>= 1). Default 64.
        kernel_size: convolution kernel (>= 1). Default 4.
        num_downsamples: number of stride-2 convolutions; default ``max(2, log2(side) - 2)``.
        spectral_normalization: spectrally normalize every layer. Default False.
        num_classes: if set, a projection discriminator taking ``[images, labels]``.
        name: model name.
        dtype: dtype policy of the layers (the logit is float32).

    Returns:
        A ``keras.Model`` mapping images to ``(batch, 1)`` logits.

    References:
        Radford, Metz, Chintala, ICLR 2016.

    >>> dcgan_discriminator((8, 8, 1), base_filters=4).output_shape
    (None, 1)
    """
    _check_input_shape(input_shape)
    _check_positive_int("base_filters", base_filters)
    _check_positive_int("kernel_size", kernel_size)
    steps = _downsamples(input_shape, num_downsamples)
    inputs, h, labels = _inputs(input_shape, num_classes)
    for step in range(steps):
        conv = keras.layers.Conv2D(
            base_filters * 2**step, kernel_size, strides=2, padding="same", dtype=dtype
        )
        h = (spectral_norm(conv) if spectral_normalization else conv)(h)
        h = keras.layers.LeakyReLU(0.2, dtype=dtype)(h)
    h = keras.layers.Flatten(dtype=dtype)(h)
    return keras.Model(
        inputs, _head(h, labels, num_classes, spectral_normalization, dtype), name=name
    )


def resnet_discriminator(
    input_shape=(32, 32, 3),
    base_filters=64,
    num_downsamples=None,
    spectral_normalization=True,
    num_classes=None,
    name="resnet_discriminator",
    dtype=None,
):
    """SNGAN ResNet discriminator; with ``num_classes`` a projection discriminator.

    Residual blocks (spectrally normalized by default) halve the resolution
    ``num_downsamples`` times, one more block keeps it, then ReLU, global average pooling and a
    dense logit, plus ``<embed(label), features>`` when conditional.

    Args:
        input_shape: ``(height, width, channels)``, height and width >= 4.
        base_filters: channels of the first block, doubled per block (>= 1). Default 64.
        num_downsamples: default ``max(2, log2(side) - 2)``.
        spectral_normalization: wrap every convolution and the dense head. Default True.
        num_classes: if set, the model takes ``[images, labels]`` (projection discriminator).
        name: model name.
        dtype: dtype policy of the layers (the logit is float32).

    Returns:
        A ``keras.Model`` mapping images (and labels) to ``(batch, 1)`` logits.

    References:
        Miyato et al., ICLR 2018; Miyato & Koyama, ICLR 2018.

    >>> d = resnet_discriminator((8, 8, 1), base_filters=4, num_classes=10)
    >>> [tuple(i.shape) for i in d.inputs], d.output_shape
    ([(None, 8, 8, 1), (None,)], (None, 1))
    """
    _check_input_shape(input_shape)
    _check_positive_int("base_filters", base_filters)
    steps = _downsamples(input_shape, num_downsamples)
    inputs, h, labels = _inputs(input_shape, num_classes)
    sn = bool(spectral_normalization)
    for step in range(steps):
        h = DiscriminatorResBlock(
            base_filters * 2**step,
            downsample=True,
            preactivation=step > 0,
            spectral_normalization=sn,
            dtype=dtype,
        )(h)
    h = DiscriminatorResBlock(
        base_filters * 2 ** (steps - 1), downsample=False, spectral_normalization=sn, dtype=dtype
    )(h)
    h = keras.layers.ReLU(dtype=dtype)(h)
    h = keras.layers.GlobalAveragePooling2D(dtype=dtype)(h)
    return keras.Model(inputs, _head(h, labels, num_classes, sn, dtype), name=name)


def projection_discriminator(
    input_shape=(32, 32, 3),
    num_classes=10,
    base_filters=64,
    num_downsamples=None,
    name="projection_discriminator",
    dtype=None,
):
    """Class-conditional SNGAN discriminator with a projection head (takes ``[images, labels]``).

    Args: as :func:`resnet_discriminator`; ``num_classes`` (>= 1) is required.

    Returns:
        A ``keras.Model`` ``[images, labels] -> (batch, 1)`` logits.

    References:
        Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.

    >>> projection_discriminator((8, 8, 1), num_classes=3, base_filters=4).output_shape
    (None, 1)
    """
    _check_positive_int("num_classes", num_classes)
    return resnet_discriminator(
        input_shape, base_filters, num_downsamples, True, num_classes, name, dtype
    )
