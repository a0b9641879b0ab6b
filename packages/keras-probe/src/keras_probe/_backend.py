"""The little that differs per backend: the JAX host callback and JAX metric-state sync."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from keras_probe import _keras_compat


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
    return _keras_compat.variable_has_value(variable)


def in_traced_step() -> bool:
    """True inside a stateless scope: a JAX train/test/predict step being traced or run."""
    return _keras_compat.in_stateless_scope()


def sync_in_compute_loss(layer: Any, sync: Callable[[Any], None]) -> None:
    """Make each `keras.Model` on the call stack that contains `layer` run `sync(model)` at
    the end of its `compute_loss`.

    Why: Keras' JAX step runs the forward pass with the layers' variables, computes its
    per-batch logs with the metric variables only, and has both only inside `compute_loss`
    (`Trainer.stateless_compute_loss` maps every variable). The model running the step is
    not reachable from a layer's `call` otherwise, hence the stack walk; it happens only
    while JAX traces the step (once per compiled function), not on every step.
    """
    frame: types.FrameType | None = sys._getframe(1)
    while frame is not None:
        model = frame.f_locals.get("self")
        frame = frame.f_back
        if not isinstance(model, keras.Model) or _keras_compat.compute_loss_wrapped(model):
            continue
        # (a model whose __init__ has not run yet lists no layers)
        if any(sub is layer for sub in _keras_compat.flatten_layers(model)):
            _keras_compat.run_after_compute_loss(model, sync)
