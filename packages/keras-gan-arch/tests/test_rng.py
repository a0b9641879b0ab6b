"""The counter-based draws of the GAN step, the gradient penalty on them, cross-replica BN."""

import keras
import numpy as np
import pytest

from keras_gan_arch import GAN, _rng, dcgan_generator
from keras_gan_arch.normalization import CrossReplicaBatchNormalization

KEY = np.array([12345, 7], "int32")


def _numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_uniform_matches_the_numpy_reference():
    expected = _rng.numpy_uniform(KEY, (50, 3))
    np.testing.assert_array_equal(_numpy(_rng.uniform(KEY, (50, 3))), expected)
    assert expected.min() >= 0.0 and expected.max() < 1.0
    assert len(np.unique(expected)) == expected.size  # 150 distinct values


def test_replica_draws_its_rows_of_the_global_draw():
    whole = _numpy(_rng.normal(KEY, (6, 5)))
    uniform = _numpy(_rng.uniform(KEY, (6, 5)))
    for replica in range(3):
        rows = slice(2 * replica, 2 * replica + 2)
        part = _numpy(_rng.uniform(KEY, (2, 5), replica=replica))
        np.testing.assert_array_equal(part, uniform[rows])  # the same integers
        # log/cos may take another vectorized path for another length: 1-ulp differences
        part = _numpy(_rng.normal(KEY, (2, 5), replica=replica))
        np.testing.assert_allclose(part, whole[rows], rtol=1e-6, atol=1e-6)


def test_normal_moments_and_key_dependence():
    z = _numpy(_rng.normal(KEY, (20000,)))
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1.0) < 0.03
    assert abs(np.mean(z > 1.0) - 0.1587) < 0.01  # upper tail of N(0, 1)
    other = _numpy(_rng.normal(KEY + np.array([0, 1], "int32"), (20000,)))
    assert abs(np.corrcoef(z, other)[0, 1]) < 0.03


def test_compiled_draws_equal_eager_draws():
    backend = keras.backend.backend()
    eager = _numpy(_rng.normal(KEY, (4, 8)))
    if backend == "tensorflow":
        import tensorflow as tf

        compiled = tf.function(lambda k: _rng.normal(k, (4, 8)), jit_compile=True)(KEY)
    elif backend == "jax":
        import jax

        compiled = jax.jit(lambda k: _rng.normal(k, (4, 8)))(KEY)
    else:
        pytest.skip("torch.compile costs ~20 s on CPU; its draws are checked by conformance jit")
    np.testing.assert_allclose(_numpy(compiled), eager, rtol=1e-6, atol=1e-6)


def test_seed_generator_key_advances():
    seed_generator = keras.random.SeedGenerator(3)
    first, second = _rng.next_key(seed_generator), _rng.next_key(seed_generator)
    assert _numpy(first).dtype == np.int32
    assert not np.array_equal(_numpy(first), _numpy(second))


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
    penalty = float(_numpy(gan._gradient_penalty(real, fake, None)))
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
