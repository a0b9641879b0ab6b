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


def concat_rows(backend: Any, a: Any, b: Any) -> Any:
    """``concatenate([a, b], axis=0)``."""
    if backend.name == "torch":
        import torch

        if torch.is_tensor(a) and torch.is_tensor(b):
            return torch.cat([a, b])
    return backend.numpy.concatenate([a, b], axis=0)


def invert_permutation(backend: Any, order: Any) -> Any:
    """The inverse of an int32 permutation (one op on TensorFlow instead of a sort)."""
    if backend.name == "tensorflow":
        import tensorflow as tf

        return tf.math.invert_permutation(order)
    return backend.cast(backend.numpy.argsort(order), "int32")


def stack_twice(y_pred: Any, stack: Callable[[Any, Any], Any]) -> Any:
    """``stack(y_pred, y_pred)``, as a softmax/sigmoid output again where ``y_pred`` was one.

    On TensorFlow, Keras' cross-entropies use a ``Softmax`` op's input, or the logits a sigmoid
    output carries as ``_keras_logits``, instead of the probabilities (exact, and fewer ops than
    clipping and taking logs). A concatenation hides both, so they are rebuilt here.
    """
    logits = getattr(y_pred, "_keras_logits", None)
    if logits is not None:  # Keras' TF sigmoid
        stacked = stack(y_pred, y_pred)
        stacked._keras_logits = stack(logits, logits)
        return stacked
    op = getattr(y_pred, "op", None)
    if getattr(op, "type", None) == "Softmax" and len(op.inputs) == 1:
        import tensorflow as tf

        logits = op.inputs[0]
        return tf.nn.softmax(stack(logits, logits))
    return stack(y_pred, y_pred)
