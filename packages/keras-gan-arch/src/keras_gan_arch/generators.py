"""Generators from DCGAN to SELF-MOD, built as functional Keras models.

Every factory maps ``z`` (``(batch, latent_dim)``; ``[z, labels]`` for class-conditional ones)
to images in ``[-1, 1]`` (tanh) of ``output_shape``. The stack starts from a dense projection to
``initial_size x initial_size`` and doubles the resolution ``k`` times, so ``output_shape``'s
height and width must both equal ``initial_size * 2**k`` (k >= 1); anything else raises a
``ValueError`` naming ``output_shape``.

References:
    Radford et al., "Unsupervised Representation Learning with DCGANs", ICLR 2016.
    Odena et al., "Deconvolution and Checkerboard Artifacts", Distill 2016.
    Miyato et al., "Spectral Normalization for GANs", ICLR 2018.
    Chen et al., "On Self Modulation for Generative Adversarial Networks", ICLR 2019.
"""

from __future__ import annotations

import keras

from .blocks import GeneratorResBlock, apply_normalization, check_normalization, make_normalization
from .normalization import _check_positive_int, batch_normalization


def upsampling_steps(output_shape, initial_size):
    """Number of 2x upsamplings from ``initial_size`` to ``output_shape`` (validated).

    >>> upsampling_steps((32, 32, 3), 4)
    3
    """
    _check_positive_int("initial_size", initial_size)
    if (
        not isinstance(output_shape, (tuple, list))
        or len(output_shape) != 3
        or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in output_shape)
    ):
        raise ValueError(
            "`output_shape` must be (height, width, channels) of positive integers. "
            f"Received: output_shape={output_shape!r}"
        )
    height, width, _ = output_shape
    steps, size = 0, initial_size
    while size < height:
        size, steps = size * 2, steps + 1
    if size != height or width != height or steps < 1:
        reachable = [initial_size * 2**k for k in range(1, 6)]
        raise ValueError(
            f"`output_shape` is not reachable by the upsampling stack: height and width must "
            f"both equal initial_size * 2**k for some k >= 1 (initial_size={initial_size} "
            f"reaches {reachable}...). Received: output_shape={tuple(output_shape)}"
        )
    return steps


def _check_common(latent_dim, base_filters):
    _check_positive_int("latent_dim", latent_dim)
    _check_positive_int("base_filters", base_filters)


def _project(z, size, filters, dtype):
    h = keras.layers.Dense(size * size * filters, dtype=dtype)(z)
    return keras.layers.Reshape((size, size, filters), dtype=dtype)(h)


def _to_images_model(inputs, h, name):
    # tanh in float32 even under a mixed policy: images are compared and saved in float32.
    images = keras.layers.Activation("tanh", dtype="float32")(h)
    return keras.Model(inputs, images, name=name)


UPSAMPLINGS = ("transposed", "nearest")


def _upsample_layers(upsampling, filters, kernel_size, dtype):
    if upsampling == "transposed":
        return [
            keras.layers.Conv2DTranspose(
                filters, kernel_size, strides=2, padding="same", dtype=dtype
            )
        ]
    return [
        keras.layers.UpSampling2D(2, dtype=dtype),
        keras.layers.Conv2D(filters, kernel_size, padding="same", dtype=dtype),
    ]


def dcgan_generator(
    output_shape=(32, 32, 3),
    latent_dim=128,
    base_filters=64,
    initial_size=4,
    kernel_size=5,
    upsampling="transposed",
    name="dcgan_generator",
    dtype=None,
):
    """DCGAN generator: dense projection, then stride-2 transposed convolutions.

    Args:
        output_shape: ``(height, width, channels)``; height == width == initial_size * 2**k.
        latent_dim: size of z (>= 1). Default 128.
        base_filters: channels of the last hidden layer; doubled per step back (>= 1).
        initial_size: spatial size of the dense projection (>= 1). Default 4.
        kernel_size: convolution kernel (>= 1). Default 5 as in the paper; a transposed kernel
            not divisible by the stride overlaps unevenly and shows checkerboard artifacts.
        upsampling: ``"transposed"`` (DCGAN, default) or ``"nearest"`` (nearest-neighbour
            ``UpSampling2D`` + ``Conv2D``, see :func:`upsample_generator`).
        name: model name.
        dtype: dtype policy of the layers (the tanh output is float32).

    Returns:
        A ``keras.Model`` mapping ``(batch, latent_dim)`` to images in ``[-1, 1]``.

    References:
        Radford, Metz, Chintala, ICLR 2016.

    >>> g = dcgan_generator((8, 8, 1), latent_dim=4, base_filters=8, initial_size=2)
    >>> g.output_shape
    (None, 8, 8, 1)
    """
    _check_common(latent_dim, base_filters)
    _check_positive_int("kernel_size", kernel_size)
    if upsampling not in UPSAMPLINGS:
        raise ValueError(
            f"`upsampling` must be one of {UPSAMPLINGS}. Received: upsampling={upsampling!r}"
        )
    steps = upsampling_steps(output_shape, initial_size)
    z = keras.Input((latent_dim,), name="z")
    h = _project(z, initial_size, base_filters * 2 ** (steps - 1), dtype)
    h = keras.layers.ReLU(dtype=dtype)(batch_normalization(dtype)(h))
    for step in range(steps):
        last = step == steps - 1
        filters = output_shape[-1] if last else base_filters * 2 ** (steps - 2 - step)
        for layer in _upsample_layers(upsampling, filters, kernel_size, dtype):
            h = layer(h)
        if not last:
            h = keras.layers.ReLU(dtype=dtype)(batch_normalization(dtype)(h))
    return _to_images_model(z, h, name)


def upsample_generator(
    output_shape=(32, 32, 3),
    latent_dim=128,
    base_filters=64,
    initial_size=4,
    kernel_size=3,
    name="upsample_generator",
    dtype=None,
):
    """DCGAN layout with nearest-neighbour upsampling + convolution instead of transposed conv:
    :func:`dcgan_generator` with ``upsampling="nearest"`` and ``kernel_size`` 3.

    References:
        Odena, Dumoulin, Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016.

    >>> upsample_generator((8, 8, 1), latent_dim=4, base_filters=8, initial_size=2).output_shape
    (None, 8, 8, 1)
    """
    return dcgan_generator(
        output_shape, latent_dim, base_filters, initial_size, kernel_size, "nearest", name, dtype
    )


def resnet_generator(
    output_shape=(32, 32, 3),
    latent_dim=128,
    base_filters=64,
    initial_size=4,
    normalization="batch",
    num_classes=None,
    hidden_units=32,
    name="resnet_generator",
    dtype=None,
):
    """SNGAN-style ResNet generator; with ``normalization`` it becomes SELF-MOD or conditional.

    Args:
        output_shape: ``(height, width, channels)``; height == width == initial_size * 2**k.
        latent_dim: size of z (>= 1). Default 128.
        base_filters: channels of the last block; doubled per block back (>= 1). Default 64.
        initial_size: spatial size of the dense projection (>= 1). Default 4.
        normalization: ``"batch"`` (SNGAN), ``"self_modulated"`` (SELF-MOD: every BatchNorm is
            affine-free and modulated by an MLP of z) or ``"conditional"`` (class-conditional
            BatchNorm; the model takes ``[z, labels]``).
        num_classes: number of classes, required for ``"conditional"`` only.
        hidden_units: hidden width of each self-modulation MLP (>= 1). Default 32.
        name: model name.
        dtype: dtype policy of the layers (the tanh output is float32).

    Returns:
        A ``keras.Model``: z (or ``[z, labels]``) -> images in ``[-1, 1]``.

    References:
        Miyato et al., ICLR 2018; Chen et al., ICLR 2019.

    >>> g = resnet_generator((8, 8, 1), latent_dim=4, base_filters=4, initial_size=2,
    ...                      normalization="conditional", num_classes=3)
    >>> [tuple(i.shape) for i in g.inputs], g.output_shape
    ([(None, 4), (None,)], (None, 8, 8, 1))
    """
    _check_common(latent_dim, base_filters)
    check_normalization(normalization, num_classes)
    _check_positive_int("hidden_units", hidden_units)
    steps = upsampling_steps(output_shape, initial_size)
    z = keras.Input((latent_dim,), name="z")
    inputs, condition = z, None
    if normalization == "conditional":
        labels = keras.Input((), dtype="int32", name="labels")
        inputs, condition = [z, labels], labels
    elif normalization == "self_modulated":
        condition = z
    h = _project(z, initial_size, base_filters * 2 ** (steps - 1), dtype)
    for step in range(steps):
        block = GeneratorResBlock(
            base_filters * 2 ** (steps - 1 - step),
            normalization=normalization,
            num_classes=num_classes,
            hidden_units=hidden_units,
            dtype=dtype,
        )
        h = block(h if condition is None else [h, condition])
    norm = make_normalization(normalization, num_classes, hidden_units, dtype)
    h = apply_normalization(norm, h, condition, None)
    h = keras.layers.ReLU(dtype=dtype)(h)
    h = keras.layers.Conv2D(output_shape[-1], 3, padding="same", dtype=dtype)(h)
    return _to_images_model(inputs, h, name)


def selfmod_generator(
    output_shape=(32, 32, 3),
    latent_dim=128,
    base_filters=64,
    initial_size=4,
    hidden_units=32,
    name="selfmod_generator",
    dtype=None,
):
    """SELF-MOD generator: :func:`resnet_generator` with ``normalization="self_modulated"``.

    Args: as :func:`resnet_generator`.

    Returns:
        A ``keras.Model`` mapping z to images in ``[-1, 1]``.

    References:
        Chen, Lucic, Houlsby, Gelly, "On Self Modulation for GANs", ICLR 2019.

    >>> selfmod_generator((8, 8, 1), latent_dim=4, base_filters=4, initial_size=4).output_shape
    (None, 8, 8, 1)
    """
    return resnet_generator(
        output_shape,
        latent_dim,
        base_filters,
        initial_size,
        normalization="self_modulated",
        hidden_units=hidden_units,
        name=name,
        dtype=dtype,
    )
