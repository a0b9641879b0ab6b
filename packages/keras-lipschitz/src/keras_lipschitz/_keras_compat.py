"""Every use of private Keras in keras-lipschitz, each with why the public API does not do it.

Tested with Keras 3.15; each private name used also exists in 3.8 (read in its source):
stateless scopes (`keras.StatelessScope` is public, finding the active one is not), the
object-sharing maps of `.keras` (de)serialization, and the variable a built-in layer keeps its
kernel in (behind a property that may compute a tensor).
"""

import contextlib
from collections.abc import Iterator
from typing import Any

import keras
from keras.src.backend import get_stateless_scope
from keras.src.backend import in_stateless_scope as _in_stateless_scope
from keras.src.backend.common import global_state

# Layer attributes holding the weight matrix, in the order they are tried: Dense and Conv keep
# the variable in `_kernel` behind a `kernel` property, Embedding in `_embeddings`; transposed
# and depthwise convolutions and user layers assign `kernel` itself.
KERNEL_ATTRIBUTES = ("_kernel", "kernel", "_embeddings", "embeddings")


def kernel_attribute(layer: keras.layers.Layer) -> str | None:
    """The name under which ``layer`` stores its kernel variable, or None."""
    # Public `layer.kernel` is a property that returns a computed tensor under LoRA or
    # quantization; the wrapper must read and swap the variable itself.
    for name in KERNEL_ATTRIBUTES:
        if isinstance(vars(layer).get(name), keras.Variable):
            return name
    return None


def stored_attribute(layer: keras.layers.Layer, name: str) -> Any:
    """What ``layer`` stores under ``name`` in its own attributes (no property involved)."""
    # Reads the instance attribute, not a property of the same name (see `kernel_attribute`).
    return vars(layer)[name]


def stored_kernel(layer: keras.layers.Layer) -> Any:
    """``_kernel`` if the layer has that attribute, else ``kernel``, else ``_embeddings``
    (``lipschitz_report``'s reading, which also sees the kernel of layers inside Keras' own
    wrappers); None when there is none. May be something other than a variable."""
    # Same reason as `kernel_attribute`: the variable, not what the `kernel` property computes.
    own = vars(layer)
    variable = own.get("_kernel", own.get("kernel"))
    return variable if variable is not None else own.get("_embeddings")


@contextlib.contextmanager
def attribute_replaced(layer: keras.layers.Layer, name: str, value: Any) -> Iterator[None]:
    """Within the block ``layer.<name>`` is ``value``; the stored object comes back after."""
    # Keras has no hook to run a layer on another kernel; `Layer.__setattr__` would track the
    # tensor (and refuses new state on a built layer), so the attribute is set around it.
    stored = vars(layer)[name]
    object.__setattr__(layer, name, value)
    try:
        yield
    finally:
        object.__setattr__(layer, name, stored)


def current_stateless_scope() -> keras.StatelessScope | None:
    """The innermost active `keras.StatelessScope` (JAX's train step opens one), or None."""
    # `keras.StatelessScope` is public; which one is active is not.
    return get_stateless_scope()


def in_stateless_scope() -> bool:
    """Whether a `keras.StatelessScope` is active (variables are not assigned in place)."""
    # As `current_stateless_scope`: no public accessor.
    return bool(_in_stateless_scope())


class RecordingScope(keras.StatelessScope):
    """A child stateless scope that starts from ``parent``'s values and records assignments:
    ``updated`` maps ``id(variable)`` to each variable assigned inside it."""

    # Keras has no public way to see which variables a stateless scope assigned: this
    # overrides `add_update` and reads `state_mapping` (keyed by `id(variable)`).
    def __init__(self, parent: keras.StatelessScope | None) -> None:
        super().__init__()
        if parent is not None:
            self.state_mapping = dict(parent.state_mapping)
        self.updated: dict[int, keras.Variable] = {}

    def add_update(self, update: tuple[keras.Variable, Any]) -> None:
        variable, _value = update
        self.updated[id(variable)] = variable
        super().add_update(update)

    def value_of(self, key: int) -> Any:
        """The value this scope holds for the variable whose ``id`` is ``key``."""
        return self.state_mapping[key]


def saving_shared_objects() -> bool:
    """Whether a `.keras` save is running (Keras' object-sharing scope is open)."""
    # Keras re-shares objects on load only through its private SharedObjectSavingScope maps;
    # there is no public way to mark a config as belonging to a shared instance.
    return global_state.get_global_attribute("shared_objects/id_to_config_map") is not None


def loaded_shared_objects() -> dict[Any, Any] | None:
    """Keras' map of the objects already made while a `.keras` file loads, or None."""
    # As `saving_shared_objects`: the private SharedObjectLoadingScope map.
    return global_state.get_global_attribute("shared_objects/id_to_obj_map")
