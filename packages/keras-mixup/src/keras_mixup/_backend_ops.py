"""The few places where one backend needs its own code, all for the cost of a train step.

Mixing adds a constant number of small ops to each step, and on a small model that constant is
what mixing costs. PyTorch runs every op eagerly, where ``keras.ops``' argument handling costs
more than the op itself on these small tensors (``take``: 15 us against 2 us for
``index_select``), so the hot paths use native operators there. TensorFlow lacks ``>>`` on
tensors, and its ``take`` adds ops for negative indices that never occur here. And Keras'
TensorFlow cross-entropies read how ``y_pred`` was made, which stacking it for the
interpolated loss would hide (``stack_twice``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._keras_compat import (
    DynamicBackend,
    backend_module,
    get_keras_mask,
    keras_logits,
    set_keras_logits,
    set_keras_mask,
)


class StepBackend(DynamicBackend):
    """Keras' ``DynamicBackend`` (``set_backend("tensorflow")`` inside ``tf.data``), whose ops
    are PyTorch's own functions on the paths every train step runs when the backend is torch
    (and whose TensorFlow ``argsort`` of the random bits is one ``top_k``).

    The mixing code calls ``backend.numpy.argsort``, ``backend.cast``... as Keras' backend
    modules spell them; with PyTorch those resolve to :class:`_TorchNumpy` (same results,
    without Keras' per-call argument conversion), everything else to Keras' modules.
    """

    def __getattr__(self, name: str) -> Any:
        native = _NATIVE.get(self.name, {}).get(name)
        if native is not None:
            return native
        return getattr(backend_module(self.name), name)


class _NumpyOverrides:
    """A backend's ``numpy`` namespace with a few functions of its own; any other name is
    Keras' (``_keras_compat.backend_module(backend).numpy``)."""

    backend = ""

    def __getattr__(self, name: str) -> Any:
        return getattr(backend_module(self.backend).numpy, name)


class _TorchNumpy(_NumpyOverrides):
    """The few functions of Keras' torch ``numpy`` module the train step uses, called with the
    arguments the mixing code passes (tensors of the right dtypes, Python scalars), as plain
    ``torch`` calls."""

    backend = "torch"

    @staticmethod
    def arange(size: Any, dtype: str) -> Any:
        torch, core = _torch()
        return torch.arange(size, dtype=core.to_torch_dtype(dtype), device=core.get_device())

    @staticmethod
    def ones(shape: Any, dtype: str) -> Any:
        torch, core = _torch()
        return torch.ones(shape, dtype=core.to_torch_dtype(dtype), device=core.get_device())

    @staticmethod
    def argsort(x: Any) -> Any:
        torch, _ = _torch()
        return torch.argsort(x, dim=-1, stable=True).to(torch.int32)  # as Keras: stable, int32

    @staticmethod
    def reshape(x: Any, shape: Any) -> Any:
        return x.reshape(tuple(shape))

    @staticmethod
    def broadcast_to(x: Any, shape: Any) -> Any:
        return x.expand(tuple(shape))

    @staticmethod
    def expand_dims(x: Any, axis: int) -> Any:
        return x.unsqueeze(axis)

    @staticmethod
    def where(condition: Any, x1: Any, x2: Any) -> Any:
        torch, _ = _torch()
        return torch.where(condition, x1, x2)

    @staticmethod
    def mod(x1: Any, x2: int) -> Any:
        return x1 % x2

    @staticmethod
    def floor_divide(x1: Any, x2: int) -> Any:
        return x1 // x2

    @staticmethod
    def mean(x: Any, axis: Any) -> Any:
        return x.mean(dim=axis)

    @staticmethod
    def concatenate(xs: list[Any], axis: int = 0) -> Any:
        torch, _ = _torch()
        if all(torch.is_tensor(x) for x in xs):
            return torch.cat(xs, dim=axis)
        return backend_module("torch").numpy.concatenate(xs, axis=axis)


class _TensorFlowNumpy(_NumpyOverrides):
    """``argsort`` of int32 values as ``top_k`` of their bitwise complement (``~x == -x - 1``
    is what ``tf.argsort`` sorts, descending, for an ascending sort of integers): the same
    permutation, ties included, without ``tf.argsort``'s negation and subtraction (one op
    fewer per train step once Grappler has folded the rest)."""

    backend = "tensorflow"

    @staticmethod
    def argsort(x: Any) -> Any:
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        if x.dtype != tf.int32:
            return backend_module("tensorflow").numpy.argsort(x)
        size = x.shape[-1] if x.shape[-1] is not None else tf.shape(x)[-1]
        return tf.math.top_k(tf.bitwise.invert(x), k=size).indices


def _torch() -> tuple[Any, Any]:
    import torch

    return torch, backend_module("torch").core


def _torch_cast(x: Any, dtype: str) -> Any:
    torch, core = _torch()
    if torch.is_tensor(x):
        target = core.to_torch_dtype(dtype)
        return x if x.dtype == target else x.to(target)
    return core.cast(x, dtype)


def _torch_shape(x: Any) -> tuple[int, ...]:
    return tuple(x.shape)


_NATIVE: dict[str, dict[str, Any]] = {
    "torch": {"numpy": _TorchNumpy(), "cast": _torch_cast, "shape": _torch_shape},
    "tensorflow": {"numpy": _TensorFlowNumpy()},
}


def eager_under_torch_compile(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, run eagerly when ``torch.compile`` traces it (``jit_compile=True``).

    For ``_rng``'s integer hash: inductor (torch 2.13, CPU) miscompiles it when it fuses the
    whole hash into one kernel (45 values: wrong from the 17th on); its wrapping int32
    products are undefined behaviour in the generated C++. Eager PyTorch wraps them as
    TensorFlow and JAX do. The ``jit`` conformance check compares compiled and eager fits.
    """
    state: dict[str, Callable[..., Any]] = {}

    def run(backend: Any, *args: Any) -> Any:
        if backend.name != "torch":
            return function(backend, *args)
        if "eager" not in state:
            import torch

            state["eager"] = torch.compiler.disable(function)
        return state["eager"](backend, *args)

    return run


def shift_right(backend: Any, x: Any, k: int) -> Any:
    """Arithmetic right shift of int32 values by ``k``."""
    return backend.numpy.right_shift(x, k) if backend.name == "tensorflow" else x >> k


def take_rows(backend: Any, x: Any, index: Any, axis: int = 0) -> Any:
    """``take(x, index, axis)`` for valid (non-negative, in range) int32 ``index``.

    ``keras.ops.take`` also maps negative indices, three more ops per gather on TensorFlow and
    its argument handling on PyTorch; these indices are never negative.
    """
    if backend.name == "torch":
        import torch

        if torch.is_tensor(x) and torch.is_tensor(index):
            return torch.index_select(x, axis % x.ndim, index)
    elif backend.name == "tensorflow":
        import tensorflow as tf

        return tf.gather(x, index, axis=axis)
    return backend.numpy.take(x, index, axis=axis)


def blend(backend: Any, a: Any, b: Any, share: Any) -> Any:
    """``share * a + (1 - share) * b`` (``share`` broadcastable; ``torch.lerp`` on PyTorch, one
    op instead of four; the same value up to float rounding)."""
    if backend.name == "torch":
        import torch

        if torch.is_tensor(share):
            return torch.lerp(b, a, share)
    return share * a + (1.0 - share) * b


def invert_permutation(backend: Any, order: Any) -> Any:
    """The inverse of an int32 permutation (one op on TensorFlow instead of a sort)."""
    if backend.name == "tensorflow":
        import tensorflow as tf

        return tf.math.invert_permutation(order)
    return backend.cast(backend.numpy.argsort(order), "int32")


def expand_to_rank(backend: Any, x: Any, rank: int) -> Any:
    """``x`` with trailing axes of size 1 up to ``rank`` (per-sample weights against per-step
    losses); unchanged when it has that rank or more."""
    missing = rank - len(x.shape)
    if missing <= 0:
        return x
    return backend.numpy.reshape(x, list(backend.shape(x)) + [1] * missing)


def loss_value_rank(y_pred: Any) -> int:
    """The rank of a loss' values for ``y_pred``: one per sample, or per time step with
    (N, T, classes) outputs (``y_pred``'s rank without its last axis)."""
    return max(1, len(y_pred.shape) - 1)


def weights_per_value(backend: Any, weights: Any, y_pred: Any) -> Any:
    """Per-sample (N,) or per-step weights in the shape of a loss' values (``y_pred``'s without
    its last axis): Keras multiplies a mask into them in place, which PyTorch only does when
    they already have the mask's shape (and are not a broadcast view)."""
    rank = loss_value_rank(y_pred)
    weights = expand_to_rank(backend, weights, rank)
    if rank == 1:
        return weights
    # a copy: PyTorch's broadcast is a view, which it will not write into in place
    return backend.numpy.copy(
        backend.numpy.broadcast_to(weights, tuple(backend.shape(y_pred))[:-1])
    )


def stack_twice(y_pred: Any, stack: Callable[[Any, Any], Any]) -> Any:
    """``stack(y_pred, y_pred)``, with ``y_pred``'s Keras mask stacked twice too (a loss skips
    masked steps), and as a softmax/sigmoid output again where ``y_pred`` was one.

    On TensorFlow, Keras' cross-entropies use a ``Softmax`` op's input, or the logits a sigmoid
    output carries as ``_keras_logits``, instead of the probabilities (exact, and fewer ops than
    clipping and taking logs). A concatenation hides both, so they are rebuilt here.
    """
    stacked = _stack_outputs(y_pred, stack)
    mask = get_keras_mask(y_pred)
    if mask is not None:
        set_keras_mask(stacked, stack(mask, mask))
    return stacked


def _stack_outputs(y_pred: Any, stack: Callable[[Any, Any], Any]) -> Any:
    logits = keras_logits(y_pred)
    if logits is not None:  # Keras' TF sigmoid
        stacked = stack(y_pred, y_pred)
        set_keras_logits(stacked, stack(logits, logits))
        return stacked
    op: Any = getattr(y_pred, "op", None)
    if getattr(op, "type", None) == "Softmax" and len(op.inputs) == 1:
        import tensorflow as tf

        logits = op.inputs[0]
        return tf.nn.softmax(stack(logits, logits))
    return stack(y_pred, y_pred)
