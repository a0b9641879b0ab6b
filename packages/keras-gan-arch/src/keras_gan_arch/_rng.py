"""Counter-based random numbers written with integer ``keras.ops``, for the draws of a GAN step.

Why not ``keras.random``: TensorFlow's random ops return other numbers under XLA
(``jit_compile=True``) than eagerly, and under ``tf.distribute.MirroredStrategy`` every replica
draws the same numbers from the mirrored seed state. Hashing ``(seed, counter)`` with 32-bit
integer arithmetic gives the same numbers with or without XLA, on TensorFlow, JAX and PyTorch
alike (int32 products wrap modulo 2**32 on all three), and a replica can draw exactly its rows
of the global batch by starting its counter at ``replica * size``.

The idea and the hash (Chris Wellons' "lowbias32") come from keras-mixup's ``_rng`` module; this
is the small part a GAN needs (uniform and normal draws keyed by a ``SeedGenerator``).
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

_M1 = 0x7FEB352D
_M2 = 0x846CA68B - (1 << 32)  # as int32
_GOLDEN = 0x9E3779B9 - (1 << 32)
_SECOND_STREAM = 1_000_003  # key offset of Box-Muller's second uniform stream


def _shift_right(x, k):
    """Logical right shift of int32 values (ops.right_shift is arithmetic on negatives)."""
    return ops.bitwise_and(ops.right_shift(x, k), (1 << (32 - k)) - 1)


def _mix(x):
    x = ops.bitwise_xor(x, _shift_right(x, 16))
    x = x * _M1
    x = ops.bitwise_xor(x, _shift_right(x, 15))
    x = x * _M2
    return ops.bitwise_xor(x, _shift_right(x, 16))


def next_key(seed_generator):
    """A (2,) int32 key from a ``keras.random.SeedGenerator``, advancing it by one draw."""
    return ops.cast(seed_generator.next(), "int32")


def _size(shape):
    size = 1
    for dim in shape:
        size = size * dim
    return size


def _bits(key, size, replica):
    counter = ops.arange(size, dtype="int32") + ops.cast(replica * size, "int32")
    h = _mix(counter * _GOLDEN + key[0])
    return _mix(ops.bitwise_xor(h, key[1]) + _GOLDEN)


def uniform(key, shape, replica=0):
    """Float32 values in [0, 1) on a 2**-24 grid.

    ``replica`` (default 0) selects the ``replica``-th block of ``size(shape)`` values, so that
    replica ``r`` of a data-parallel step draws rows ``r * batch ... (r + 1) * batch - 1`` of
    the draw a single device would make for the global batch.

    >>> import numpy as np
    >>> key = np.array([3, 4], "int32")
    >>> whole = np.asarray(uniform(key, (4, 2)))
    >>> bool(np.array_equal(np.asarray(uniform(key, (2, 2), replica=1)), whole[2:]))
    True
    """
    size = _size(shape)
    top = ops.cast(_shift_right(_bits(key, size, replica), 8), "float32")
    return ops.reshape(top * (1.0 / (1 << 24)), shape)


def normal(key, shape, replica=0):
    """Standard normal float32 values (Box-Muller on two uniform streams); ``replica`` as in
    :func:`uniform`."""
    u1 = uniform(key, shape, replica)
    u2 = uniform(key + _SECOND_STREAM, shape, replica)
    radius = ops.sqrt(-2.0 * ops.log(1.0 - u1))
    return radius * ops.cos((2.0 * math.pi) * u2)


def numpy_uniform(key, shape):
    """Numpy (uint32) reference of :func:`uniform` with ``replica=0``, for tests."""

    def mix(x):
        x = x ^ (x >> np.uint32(16))
        x = x * np.uint32(_M1)
        x = x ^ (x >> np.uint32(15))
        x = x * np.uint32(_M2 & 0xFFFFFFFF)
        return x ^ (x >> np.uint32(16))

    key = np.asarray(key).astype(np.int64) & 0xFFFFFFFF
    with np.errstate(over="ignore"):
        counter = np.arange(int(np.prod(shape)), dtype=np.uint32)
        h = mix(counter * np.uint32(_GOLDEN & 0xFFFFFFFF) + np.uint32(key[0]))
        bits = mix((h ^ np.uint32(key[1])) + np.uint32(_GOLDEN & 0xFFFFFFFF))
    return ((bits >> np.uint32(8)).astype(np.float32) / (1 << 24)).reshape(shape)
