"""`capture(model)`: read probed tensors out of `model.predict`, concatenated over batches."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from keras_probe import _backend
from keras_probe._swap import StepSwap, check_model, check_names


class Captured(Mapping[str, np.ndarray]):
    """The probes seen by one `capture`, as `{name: array}` concatenated over batches.

    Values are numpy arrays whose first axis runs over every sample predicted while the
    capture was active, in order (several `predict` calls are appended). `capture` creates and
    fills it; read it like a read-only dict. An unknown name raises `KeyError` listing the
    captured ones.

    Example:

    >>> import numpy as np, keras
    >>> from keras_probe import capture, probe
    >>> class Square(keras.layers.Layer):
    ...     def call(self, x):
    ...         return probe("squared", x * x)
    >>> model = keras.Sequential([keras.Input((2,)), Square()])
    >>> x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "float32")
    >>> with capture(model) as captured:
    ...     _ = model.predict(x, batch_size=2, verbose=0)  # two batches: 2 + 1 samples
    ...     _ = model.predict(x[:1], verbose=0)  # appended
    >>> captured
    Captured({'squared': (4, 2)})
    >>> captured["squared"][:, 0].tolist()
    [1.0, 9.0, 25.0, 1.0]
    >>> captured.clear(); len(captured)
    0
    """

    def __init__(self) -> None:
        self._batches: dict[str, list[Any]] = {}
        self._cache: dict[str, np.ndarray] = {}

    def _append(self, probes: Mapping[str, Any]) -> None:
        # Keep the backend tensors and convert on read, as Keras does with predict's outputs:
        # a per-batch host copy would block on each batch and stall JAX's async dispatch.
        for key, value in probes.items():
            batches = self._batches.setdefault(key, [])
            shape, first = tuple(value.shape), tuple(batches[0].shape) if batches else None
            if first is not None and (len(shape) != len(first) or shape[1:] != first[1:]):
                raise ValueError(
                    f"Probe `{key}` changed shape between batches: {first} then {shape}; only "
                    f"the batch axis may vary. Give tensors of other shapes another `name`. "
                    f"Received: name={key!r}"
                )
            batches.append(value)
            self._cache.pop(key, None)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._batches:
            raise KeyError(
                f"No probe named {key!r} was captured; captured probes: {sorted(self._batches)}"
            )
        if key not in self._cache:
            batches = [_backend.to_numpy(b) for b in self._batches[key]]
            self._batches[key] = batches  # converted once; later batches are appended
            self._cache[key] = (
                np.concatenate(batches, axis=0) if batches[0].ndim else np.stack(batches)
            )
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._batches)

    def __len__(self) -> int:
        return len(self._batches)

    def clear(self) -> None:
        """Forget everything captured so far (the capture stays active)."""
        self._batches.clear()
        self._cache.clear()

    def __repr__(self) -> str:
        shapes = {k: tuple(self[k].shape) for k in self}
        return f"Captured({shapes})"


@contextlib.contextmanager
def capture(model: Any, names: Iterable[str] | str | None = None) -> Iterator[Captured]:
    """Capture probed tensors during `model.predict` (and `predict_on_batch`).

    While the block is active, `model.predict` runs a predict function that also returns the
    probed tensors (compiled once per capture, with the model's `jit_compile`); afterwards the
    model's original, probe-free predict function is restored.

    Args:
        model: a built `keras.Model` (Functional, Sequential or subclassed).
        names: probe names to keep (a string or a list of strings); `None` (default) keeps all.

    Returns:
        A context manager yielding a `Captured` mapping `{name: numpy array}`, filled as
        `predict` runs; arrays are concatenated over batches along axis 0.

    Raises:
        TypeError: `model` is not a `keras.Model`, or `names` is not a list of strings.
        ValueError: `model` is not built; a probe changes shape between batches.

    Example:

    >>> import numpy as np, keras
    >>> from keras_probe import capture, probe
    >>> class Double(keras.layers.Layer):
    ...     def call(self, x):
    ...         return probe("doubled", 2.0 * x)
    >>> model = keras.Sequential([keras.Input((3,)), Double()])
    >>> with capture(model) as captured:
    ...     _ = model.predict(np.ones((5, 3), "float32"), batch_size=2, verbose=0)
    >>> captured["doubled"].shape
    (5, 3)
    """
    check_model(model)
    captured = Captured()
    swap = StepSwap(model, "predict", check_names(names), captured._append)
    swap.install()
    try:
        yield captured
    finally:
        swap.restore()
