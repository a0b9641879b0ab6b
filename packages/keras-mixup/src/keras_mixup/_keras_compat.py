"""Every use keras-mixup makes of Keras' private API, each with why the public API won't do.

The rest of the package reaches ``keras.src`` and Keras' underscore names only through this
module, so a Keras release that moves one of them breaks here, in one place. Tested with Keras
3.15; each private name used also exists in 3.8 (read in its source). Besides these,
``_backend_ops`` reads how Keras' TensorFlow cross-entropies recognise a softmax output (its
``Softmax`` op, a public TensorFlow attribute).
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

# Keras' switchable backend namespace (what its tf.data preprocessing layers use): the mixers'
# ops can run as TensorFlow ops inside `tf.data` on any backend; `keras.ops` cannot switch.
from keras.src.utils.backend_utils import DynamicBackend

# Whether the caller is being traced by `tf.data`/`tf.function`: Keras exports no such test.
from keras.src.utils.backend_utils import in_tf_graph as _in_tf_graph

try:  # Keras keeps masks in a side table where a tensor takes no attributes (JAX)
    # A tensor's Keras mask, which a loss reads to skip masked steps: Keras exports no accessor.
    from keras.src.backend import get_keras_mask, set_keras_mask
except ImportError:  # pragma: no cover - older Keras keeps them as an attribute

    def get_keras_mask(x: Any) -> Any:
        return getattr(x, "_keras_mask", None)

    def set_keras_mask(x: Any, mask: Any) -> None:
        x._keras_mask = mask


__all__ = [
    "DynamicBackend",
    "add_in_place",
    "backend_module",
    "compiled_loss",
    "get_keras_mask",
    "in_tf_graph",
    "keras_logits",
    "nested_layers",
    "set_keras_logits",
    "set_keras_mask",
    "set_untracked",
]


def in_tf_graph() -> bool:
    """Whether ops are being traced into a TensorFlow graph (``tf.data``, ``tf.function``)."""
    return bool(_in_tf_graph())


@functools.cache
def backend_module(name: str) -> Any:
    """Keras' implementation of backend ``name`` (``keras.src.backend.<name>``: ``numpy``,
    ``core``, ``cast``...): the functions ``keras.ops`` dispatches to, callable without its
    per-call argument conversion, and TensorFlow's while another backend is active."""
    return importlib.import_module(f"keras.src.backend.{name}")


def nested_layers(layer: Any) -> list[Any]:
    """Every layer nested in ``layer`` (not itself), in Keras' own tracking order.

    ``Model.layers`` is one level deep and a plain ``Layer`` has no public list of its
    sublayers; the order decides which ``ManifoldMixup`` layer a draw's place index names.
    """
    return list(layer._flatten_layers(include_self=False))


def compiled_loss(model: Any) -> Any:
    """The loss ``model.compile`` built, callable as ``loss(y, y_pred, sample_weight)``.

    Public ``Model.compute_loss`` also adds the layers' losses (``model.losses``); a second
    term of the same loss must not add them twice.
    """
    return model._compile_loss


def keras_logits(y_pred: Any) -> Any:
    """The logits Keras' TensorFlow ``sigmoid`` attaches to its output (or None): Keras'
    cross-entropies read them instead of the probabilities; there is no public accessor."""
    return getattr(y_pred, "_keras_logits", None)


def set_keras_logits(y_pred: Any, logits: Any) -> None:
    """Attach ``logits`` to ``y_pred`` as Keras' TensorFlow ``sigmoid`` does (see above)."""
    y_pred._keras_logits = logits


def set_untracked(layer: Any, name: str, value: Any) -> None:
    """``layer.<name> = value`` without Keras' attribute tracking.

    ``Layer.__setattr__`` adopts variables and seed generators (inside dicts too) as the
    layer's state, which is then saved and restored; per-backend twins and caches must not be.
    """
    object.__setattr__(layer, name, value)


def add_in_place(variable: Any, delta: Any) -> None:
    """``variable += delta`` on PyTorch, in the tensor that stores the variable.

    ``Variable.assign_add`` converts its argument and copies on every call, which costs more
    than the addition in a train step; Keras' torch ``Variable.value`` is its storage.
    """
    import torch

    with torch.no_grad():
        variable.value.add_(delta)
