"""The counter-based generator against its numpy (uint32) reference."""

import itertools

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


def test_consecutive_keys_give_independent_looking_streams():
    # a seed generator's keys differ by one in the counter; their streams must not overlap
    # or correlate, and each must be uniform (chi-square over 256 cells of the top byte)
    streams = [_rng.numpy_bits((5, counter), 20000).view(np.uint32) for counter in range(4)]
    for a, b in itertools.pairwise(streams):
        assert np.mean(a == b) < 1e-3
        assert abs(np.corrcoef(a >> 8, b >> 8)[0, 1]) < 0.03
    for stream in streams:
        counts = np.bincount(stream >> 24, minlength=256)
        chi2 = np.sum((counts - 20000 / 256) ** 2 / (20000 / 256))
        assert chi2 < 340  # 255 degrees of freedom: p < 3e-4 above this
