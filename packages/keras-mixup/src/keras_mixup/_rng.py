"""A counter-based random number generator written with integer ``keras.ops``.

Why not ``keras.random``: TensorFlow's stateless random ops return other numbers under XLA
(``jit_compile=True``) than without it, and its Beta sampler does not compile with XLA at all.
Hashing ``(seed, counter)`` with 32-bit integer arithmetic gives the same numbers with or without
XLA, and on TensorFlow, JAX and PyTorch alike (int32 products wrap modulo 2**32 on all three).

The hash is Chris Wellons' "lowbias32" integer hash; ``numpy_bits`` is the numpy reference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _backend_ops

_M1 = 0x7FEB352D
_M2 = 0x846CA68B - (1 << 32)  # as int32
_GOLDEN = 0x9E3779B9 - (1 << 32)
_KEY_0 = 0x2C1B3C6D
_KEY_1 = 0x297A2D39


def _shift_right(backend: Any, x: Any, k: int) -> Any:
    """Logical right shift of int32 values (operators: see ``_backend_ops``)."""
    return _backend_ops.shift_right(backend, x, k) & ((1 << (32 - k)) - 1)


def _mix(backend: Any, x: Any) -> Any:
    x = x ^ _shift_right(backend, x, 16)
    x = x * _M1
    x = x ^ _shift_right(backend, x, 15)
    x = x * _M2
    return x ^ _shift_right(backend, x, 16)


def seed_pair(backend: Any, seed: Any) -> Any:
    """A (2,) int32 key from a ``SeedGenerator`` (advancing it), an int, or a (2,) key tensor
    (one of a generator's states: ``keras_mixup._ahead`` draws several steps at once)."""
    if isinstance(seed, int):
        low = seed % (1 << 31)
        return backend.convert_to_tensor([low, (seed >> 31) % (1 << 31)], dtype="int32")
    if hasattr(seed, "next"):
        seed = seed.next()
    return backend.cast(seed, "int32")


@_backend_ops.eager_under_torch_compile
def bits(backend: Any, key: Any, size: Any) -> Any:
    """``size`` pseudo-random int32 values for ``key`` (a (2,) int32 tensor).

    ``lowbias32(base + i * golden)`` for ``i < size``: a Weyl sequence through an integer hash,
    as in SplitMix. The key enters through ``base``, with odd multipliers, so consecutive keys
    (a seed generator's counter) start far apart. One hash round: every op here runs in every
    train step.
    """
    np_ = backend.numpy
    base = key[0] * _KEY_0 + key[1] * _KEY_1
    return _mix(backend, np_.arange(size, dtype="int32") * _GOLDEN + base)


def uniform(backend: Any, key: Any, shape: tuple[Any, ...]) -> Any:
    """Uniform float32 values in [0, 1) on a 2**-24 grid."""
    return backend.numpy.reshape(_unit(backend, bits(backend, key, _size(shape))), shape)


def top_bits(backend: Any, raw: Any, k: int) -> Any:
    """The top ``k`` bits of int32 values, as non-negative int32 values."""
    return _shift_right(backend, raw, 32 - k)


def _unit(backend: Any, raw: Any) -> Any:
    """int32 bits -> float32 in [0, 1): the top 24 bits, exact in float32."""
    return backend.cast(top_bits(backend, raw, 24), "float32") * (1.0 / (1 << 24))


class Rows:
    """All the random numbers of one batch from a single hash pass: ``count`` rows of ``n``.

    Hashing once and slicing rows costs far fewer ops than one hash per use, which keeps the
    in-graph overhead of mixing small. Rows are handed out in order; asking for more than
    ``count`` rows is a programming error.
    """

    def __init__(self, backend: Any, key: Any, n: Any, count: int) -> None:
        self.backend, self.count, self.next_row = backend, count, 0
        self.raw = backend.numpy.reshape(bits(backend, key, count * n), (count, n))
        self._block = None

    @property
    def block(self) -> Any:
        """All rows as uniforms, converted on first use (one set of ops, not one per row)."""
        if self._block is None:
            self._block = _unit(self.backend, self.raw)
        return self._block

    def _take(self, k: int) -> tuple[int, int]:
        start, self.next_row = self.next_row, self.next_row + k
        if self.next_row > self.count:
            raise RuntimeError(f"Rows: {self.next_row} rows requested, {self.count} drawn")
        return start, self.next_row

    def regroup(self, per_group: Any) -> None:
        """Apply ``per_group`` (along the sample axis) to every row at once."""
        self.raw, self._block = per_group(self.raw), None

    def skip(self) -> None:
        """Pass over one row, so that the rows after it do not depend on whether it is used."""
        self._take(1)

    def bits(self) -> Any:
        """(n,) raw int32 values."""
        start, _ = self._take(1)
        return self.raw[start]

    def uniform(self, k: int | None = None) -> Any:
        """(n,) uniforms in [0, 1), or (k, n) when ``k`` is given."""
        start, stop = self._take(1 if k is None else k)
        return self.block[start] if k is None else self.block[start:stop]


def _size(shape: tuple[Any, ...]) -> Any:
    size = 1
    for dim in shape:
        size = size * dim
    return size


def numpy_bits(key: tuple[int, int], size: int) -> np.ndarray:
    """Numpy (uint32) reference of :func:`bits`, for tests."""

    def mix(x: np.ndarray) -> np.ndarray:
        x = x ^ (x >> np.uint32(16))
        x = x * np.uint32(_M1)
        x = x ^ (x >> np.uint32(15))
        x = x * np.uint32(_M2 & 0xFFFFFFFF)
        return x ^ (x >> np.uint32(16))

    with np.errstate(over="ignore"):
        k0, k1 = (np.uint32(k & 0xFFFFFFFF) for k in key)
        base = k0 * np.uint32(_KEY_0) + k1 * np.uint32(_KEY_1)
        counter = np.arange(size, dtype=np.uint32)
        return mix(counter * np.uint32(_GOLDEN & 0xFFFFFFFF) + base).view(np.int32)
