"""The little that differs per backend: the JAX host callback and JAX metric-state sync."""

from __future__ import annotations

import functools
import sys
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


def in_traced_step() -> bool:
    """True inside a stateless scope: a JAX train/test/predict step being traced or run."""
    from keras.src.backend.common.stateless_scope import in_stateless_scope

    return in_stateless_scope()


def sync_in_compute_loss(layer: Any, sync: Callable[[Any], None]) -> None:
    """Make each `keras.Model` on the call stack that contains `layer` run `sync(model)` at
    the end of its `compute_loss`.

    Why: Keras' JAX step runs the forward pass with the layers' variables, computes its
    per-batch logs with the metric variables only, and has both only inside `compute_loss`
    (`Trainer.stateless_compute_loss` maps every variable). The model running the step is
    not reachable from a layer's `call` otherwise, hence the stack walk; it happens only
    while JAX traces the step (once per compiled function), not on every step.
    """
    frame = sys._getframe(1)
    while frame is not None:
        model = frame.f_locals.get("self")
        frame = frame.f_back
        if not isinstance(model, keras.Model) or "_keras_probe_sync" in vars(model):
            continue
        if "_layers" not in vars(model):  # a model whose __init__ has not run yet
            continue
        if any(sub is layer for sub in model._flatten_layers()):
            _run_after_compute_loss(model, sync)


def _run_after_compute_loss(model: Any, sync: Callable[[Any], None]) -> None:
    compute_loss = model.compute_loss

    @functools.wraps(compute_loss)  # keeps the signature Keras inspects for `training`
    def compute_loss_then_sync(*args: Any, **kwargs: Any) -> Any:
        loss = compute_loss(*args, **kwargs)
        sync(model)
        return loss

    # object.__setattr__: a function is not state for Keras to track on the model.
    object.__setattr__(model, "compute_loss", compute_loss_then_sync)
    object.__setattr__(model, "_keras_probe_sync", True)
