"""The counter-based generator against its numpy (uint32) reference."""

import keras
import numpy as np

from keras_mixup import _rng, _sampling


def test_bits_match_numpy_reference():
    backend = _sampling.ops_backend()
    key = keras.ops.convert_to_tensor([123456789, 42], dtype="int32")
    got = keras.ops.convert_to_numpy(_rng.bits(backend, key, 1000))
    np.testing.assert_array_equal(got, _rng.numpy_bits((123456789, 42), 1000))


def test_uniform_moments():
    backend = _sampling.ops_backend()
    key = _rng.seed_pair(backend, 7)
    u = keras.ops.convert_to_numpy(_rng.uniform(backend, key, (20000,)))
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.005


def test_seed_generator_keys_advance():
    backend = _sampling.ops_backend()
    generator = keras.random.SeedGenerator(5)
    first = keras.ops.convert_to_numpy(_rng.seed_pair(backend, generator))
    second = keras.ops.convert_to_numpy(_rng.seed_pair(backend, generator))
    np.testing.assert_array_equal(first, [5, 0])
    np.testing.assert_array_equal(second, [5, 1])
