"""`probe(name, tensor)`: mark a tensor inside any layer's `call` so it can be read later.

A probe does nothing unless a collector is active. Collectors are pushed by `capture` (predict)
and `ProbeRecorder` (fit) *inside* the step function Keras compiles, so they see the tensors at
trace time and hand them back as extra outputs of the compiled function. When no collector is
active the call returns its argument and the compiled graph contains nothing extra.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

_state = threading.local()


def _stack() -> list[Collector]:
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    return stack


def _static_shape(tensor: Any) -> tuple[Any, ...]:
    shape = getattr(tensor, "shape", None)
    if shape is None:
        return ()
    return tuple(None if d is None else int(d) for d in shape)


def _same_shape(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """Shapes match when ranks agree and every known dimension agrees (batch may differ)."""
    if len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a[1:], b[1:], strict=True))


class Collector:
    """Receives the probes recorded during one forward pass.

    Args:
        names: record only these names (all when `None`).
        emit: optional function `(name, tensor) -> None` called instead of storing the tensor
            (the JAX training path sends values to the host with it).
    """

    def __init__(
        self, names: frozenset[str] | None = None, emit: Callable[[str, Any], None] | None = None
    ) -> None:
        self.names = names
        self.emit = emit
        self.values: dict[str, Any] = {}
        self._shapes: dict[str, tuple[Any, ...]] = {}

    def record(self, name: str, tensor: Any) -> None:
        shape = _static_shape(tensor)
        # One name may be recorded several times in one pass (a shared layer, a stack of
        # blocks): repeats get `_1`, `_2`... like Keras layer names. A repeat with another shape
        # is almost always two different tensors given one name, so it is an error.
        if name in self._shapes and not _same_shape(self._shapes[name], shape):
            raise ValueError(
                f"Probe name `{name}` was reused with a different shape in one forward pass: "
                f"first {self._shapes[name]}, now {shape}. Give each probed tensor its own "
                f"`name`. Received: name={name!r}"
            )
        key, count = name, 0
        while key in self._shapes:
            count += 1
            key = f"{name}_{count}"
        self._shapes.setdefault(name, shape)
        self._shapes[key] = shape
        if self.names is not None and key not in self.names:
            return
        if self.emit is not None:
            self.emit(key, tensor)
        else:
            self.values[key] = tensor


@contextlib.contextmanager
def collecting(collector: Collector) -> Iterator[Collector]:
    """Make `collector` receive every `probe` call made in this thread until exit."""
    stack = _stack()
    stack.append(collector)
    try:
        yield collector
    finally:
        stack.pop()


def is_probing() -> bool:
    """Whether a probe called now would be recorded (a capture or recorder is tracing).

    Layers use it to skip work that only a probe needs, e.g. materializing attention scores.

    >>> is_probing()
    False
    """
    return bool(getattr(_state, "stack", None))


def probe(name: str, tensor: Any) -> Any:
    """Mark `tensor` as the probe `name` and return it unchanged.

    Call it inside any layer's `call` (Functional, Sequential and subclassed models alike). It
    records nothing and adds no operation unless a `keras_probe.capture` (predict) or a
    `keras_probe.ProbeRecorder` (fit) is active, so probes can stay in production models.

    Args:
        name: a non-empty string; the key under which the values are captured. Recording the
            same name again in one forward pass stores `name_1`, `name_2`, ... (same shape
            required).
        tensor: a backend tensor with a leading batch axis (captures concatenate along it).

    Returns:
        `tensor`, unchanged.

    Raises:
        TypeError: `name` is not a non-empty string.
        ValueError: `name` is reused in one pass for a tensor of another shape.

    Example:

    >>> import numpy as np, keras
    >>> from keras_probe import probe
    >>> class Square(keras.layers.Layer):
    ...     def call(self, x):
    ...         return probe("square", x * x) + 1.0
    >>> tuple(Square()(np.ones((2, 3), "float32")).shape)
    (2, 3)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"`name` must be a non-empty string. Received: name={name!r}")
    stack = getattr(_state, "stack", None)
    if stack:
        stack[-1].record(name, tensor)
    return tensor
