import numpy as np
import pytest
from keras.ops import convert_to_numpy

from keras_gan_arch import (
    dcgan_discriminator,
    dcgan_generator,
    projection_discriminator,
    resnet_discriminator,
    resnet_generator,
    selfmod_generator,
    upsample_generator,
    upsampling_steps,
)


@pytest.mark.parametrize(
    "factory", [dcgan_generator, upsample_generator, resnet_generator, selfmod_generator]
)
@pytest.mark.parametrize("shape,initial", [((8, 8, 1), 2), ((16, 16, 3), 4)])
def test_generator_output_shape_and_range(factory, shape, initial):
    g = factory(shape, latent_dim=3, base_filters=4, initial_size=initial)
    images = convert_to_numpy(g(np.random.default_rng(0).normal(size=(2, 3)).astype("float32")))
    assert images.shape == (2, *shape)
    assert np.abs(images).max() <= 1.0


def test_conditional_generator_takes_labels():
    g = resnet_generator((8, 8, 1), 3, 4, 2, normalization="conditional", num_classes=5)
    z = np.zeros((3, 3), "float32")
    a = convert_to_numpy(g([z, np.array([0, 1, 2])], training=False))
    b = convert_to_numpy(g([z, np.array([0, 1, 2])], training=False))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (3, 8, 8, 1)


def test_upsampling_steps():
    assert upsampling_steps((32, 32, 3), 4) == 3
    assert upsampling_steps((8, 8, 1), 2) == 2


@pytest.mark.parametrize(
    "shape,initial", [((12, 12, 1), 4), ((8, 16, 1), 2), ((4, 4, 1), 4), ((8, 8), 2)]
)
def test_unreachable_output_shape_is_a_clear_error(shape, initial):
    with pytest.raises(ValueError, match="`output_shape`"):
        dcgan_generator(shape, initial_size=initial)


@pytest.mark.parametrize(
    "factory,kwargs",
    [
        (dcgan_discriminator, {}),
        (dcgan_discriminator, {"spectral_normalization": True}),
        (resnet_discriminator, {}),
        (resnet_discriminator, {"num_classes": 4}),
    ],
)
def test_discriminator_logits_shape(factory, kwargs):
    d = factory((8, 8, 1), base_filters=4, **kwargs)
    images = np.zeros((3, 8, 8, 1), "float32")
    inputs = [images, np.array([0, 1, 3])] if "num_classes" in kwargs else images
    assert tuple(d(inputs).shape) == (3, 1)


def test_projection_discriminator_depends_on_label():
    d = projection_discriminator((8, 8, 1), num_classes=4, base_filters=4)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 1)).astype("float32")
    same = convert_to_numpy(d([images, np.array([0, 0])]))
    other = convert_to_numpy(d([images, np.array([1, 1])]))
    assert not np.allclose(same, other)


@pytest.mark.parametrize(
    "call,argument",
    [
        (lambda: dcgan_discriminator((2, 2, 1)), "input_shape"),
        (lambda: dcgan_discriminator((8, 8, 1), num_downsamples=4), "num_downsamples"),
        (lambda: resnet_generator((8, 8, 1), latent_dim=0), "latent_dim"),
        (lambda: selfmod_generator((8, 8, 1), initial_size=2, hidden_units=0), "hidden_units"),
        (lambda: projection_discriminator((8, 8, 1), num_classes=0), "num_classes"),
    ],
)
def test_factory_misuse(call, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        call()
