"""The random draws of the GAN step, the gradient penalty on them, cross-replica BN."""

import keras
import numpy as np
import pytest

from keras_gan_arch import GAN, dcgan_generator
from keras_gan_arch._draws import draw
from keras_gan_arch._objectives import gradient_penalty
from keras_gan_arch.normalization import CrossReplicaBatchNormalization

LIKE = np.zeros((6, 2), "float32")  # 6 rows


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def _draw(sample, seed=3, like=LIKE, tail=(5,), **kwargs):
    return _numpy(draw(sample, keras.random.SeedGenerator(seed), like, tail, **kwargs))


@pytest.mark.parametrize("sample", [keras.random.normal, keras.random.uniform])
def test_draws_are_seeded_and_shaped(sample):
    first = _draw(sample)
    assert first.shape == (6, 5) and first.dtype == np.float32
    np.testing.assert_array_equal(first, _draw(sample))  # same seed, same numbers
    assert not np.allclose(first, _draw(sample, seed=4))
    seed_generator = keras.random.SeedGenerator(3)
    one, two = (_numpy(draw(sample, seed_generator, LIKE, (5,))) for _ in range(2))
    np.testing.assert_array_equal(one, first)
    assert not np.allclose(one, two)  # the seed generator advances


def test_draws_are_keras_random_draws():
    if keras.backend.backend() == "tensorflow":
        pytest.skip("TensorFlow draws through XLA: test_compiled_draws_equal_eager_draws")
    expected = keras.random.normal((6, 5), seed=keras.random.SeedGenerator(3))
    np.testing.assert_array_equal(_draw(keras.random.normal), _numpy(expected))


def test_replica_draws_its_rows_of_the_global_draw():
    whole = _draw(keras.random.normal, like=np.zeros((6, 1), "float32"))
    for index in range(3):
        part = _draw(keras.random.normal, like=np.zeros((2, 1), "float32"), replica=(index, 3))
        np.testing.assert_array_equal(part, whole[2 * index : 2 * index + 2])


def test_compiled_draws_equal_eager_draws():
    backend = keras.backend.backend()
    if backend != "tensorflow":
        pytest.skip(f"{backend} draws the same numbers with and without compilation")
    import tensorflow as tf

    eager = _draw(keras.random.normal)
    for jit_compile in (True, False):  # inside an XLA step and inside a plain graph
        seed_generator = keras.random.SeedGenerator(3)
        compiled = tf.function(
            lambda like, s=seed_generator: draw(keras.random.normal, s, like, (5,)),
            jit_compile=jit_compile,
        )(LIKE)
        np.testing.assert_array_equal(_numpy(compiled), eager)


def test_gradient_penalty_of_a_linear_critic():
    # D(x) = <w, x> with ||w|| = 5: the input gradient is w at every interpolate, so the
    # penalty is (5 - 1)^2 = 16 whatever the interpolation weights.
    critic = keras.Sequential(
        [keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(1, use_bias=False)]
    )
    critic.set_weights([np.array([[3.0], [0.0], [4.0], [0.0]], "float32")])
    gan = GAN(dcgan_generator((2, 2, 1), 4, 4, 1), critic, seed=0)
    real = np.ones((3, 2, 2, 1), "float32")
    fake = -np.ones((3, 2, 2, 1), "float32")
    penalty = float(_numpy(gradient_penalty(gan, real, fake, None)))
    assert penalty == pytest.approx(16.0, rel=1e-5)


def test_cross_replica_batchnorm_config_and_values():
    layer = CrossReplicaBatchNormalization(momentum=0.8, center=False, scale=False)
    assert layer.synchronized == (keras.backend.backend() == "tensorflow")
    config = layer.get_config()
    assert "synchronized" not in config  # loadable on every backend
    clone = CrossReplicaBatchNormalization.from_config({**config, "synchronized": True})
    assert clone.get_config() == config
    h = np.random.default_rng(0).normal(2.0, 3.0, (16, 3)).astype("float32")
    out = _numpy(layer(h, training=True))
    expected = (h - h.mean(0)) / np.sqrt(h.var(0) + 1e-3)
    np.testing.assert_allclose(out, expected, atol=1e-4)
