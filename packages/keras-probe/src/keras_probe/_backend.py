"""The little that differs per backend: step signatures and the JAX host callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np


def name() -> str:
    return str(keras.backend.backend())


def to_numpy(value: Any) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value))


def jax_emitter(sink: Callable[[dict[str, np.ndarray]], None]) -> Callable[[str, Any], None]:
    """An `emit` for `Collector` that sends each probed value to `sink` from inside JAX code.

    JAX's train step records probes inside `jax.value_and_grad`, whose tracers cannot be
    returned from the step; `jax.debug.callback` carries the concrete value to the host instead.
    """
    import jax

    def emit(key: str, tensor: Any) -> None:
        jax.debug.callback(lambda value: sink({key: np.asarray(value)}), tensor)

    return emit


def wait_for_host_callbacks() -> None:
    """Block until every pending JAX host callback ran (no-op on other backends)."""
    if name() == "jax":
        import jax

        jax.effects_barrier()


def has_value(variable: Any) -> bool:
    """False inside a JAX train/test step that was not handed `variable`'s value.

    Keras' JAX trainer moves the model's state into the compiled step and empties the
    variables meanwhile; the step computes its logs in a scope that maps only metric variables.
    """
    if name() != "jax":
        return True
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    scope = get_stateless_scope()
    in_scope = scope is not None and scope.get_current_value(variable) is not None
    return in_scope or variable._value is not None
