"""Stacking predictions without losing what Keras' TensorFlow cross-entropies read from them.

On TensorFlow, Keras' cross-entropies look at how ``y_pred`` was made: a ``Softmax`` op's input,
or the logits a sigmoid output carries as ``_keras_logits``, is used instead of the
probabilities (exact, and fewer ops than clipping and taking logs). A concatenation hides both.
``stack_twice`` rebuilds the stacked predictions the same way, so the loss sees the same kind
of tensor as without mixing. Other backends have no such shortcut: plain concatenation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def stack_twice(y_pred: Any, stack: Callable[[Any, Any], Any]) -> Any:
    """``stack(y_pred, y_pred)``, as a softmax/sigmoid output again where ``y_pred`` was one."""
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
