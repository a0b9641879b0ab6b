"""Every use of private Keras in keras-probe, each with why the public API does not do it.

Tested with Keras 3.15; each private name used also exists in 3.8 (read in its source).
Besides the accesses below, `_swap.py` relies on the calling convention of the steps Keras
compiles (`keras/src/backend/*/trainer.py`): on JAX ``step(state, data) -> (outputs, state)``
and ``function(state, iterator) -> (outputs, state)``; on TensorFlow and PyTorch
``step(data) -> outputs`` and ``function(data) -> outputs``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import keras
from keras.src.backend.common.stateless_scope import get_stateless_scope
from keras.src.backend.common.stateless_scope import in_stateless_scope as _in_stateless_scope

_COMPUTE_LOSS_WRAPPED = "_keras_probe_sync"
_SWAPS = "_keras_probe_swaps"


def in_stateless_scope() -> bool:
    """True inside a `keras.StatelessScope` (a JAX train/test/predict step being traced)."""
    # `keras.StatelessScope` is public; whether one is active is not.
    return bool(_in_stateless_scope())


def variable_has_value(variable: keras.Variable) -> bool:
    """False while Keras' JAX trainer holds ``variable``'s value elsewhere (inside a step that
    was not handed it): no value in the active stateless scope and none stored."""
    # `variable.value` never says so: it returns a placeholder from the initializer instead.
    scope = get_stateless_scope()
    in_scope = scope is not None and scope.get_current_value(variable) is not None
    return in_scope or variable._value is not None


def flatten_layers(model: keras.Model) -> list[Any]:
    """``model`` and every layer nested in it, also inside plain (non-model) layers; empty for
    a model whose ``__init__`` has not run yet."""
    # `Model.layers` lists one level, and plain layers have no public list of their sublayers.
    if "_layers" not in vars(model):
        return []
    return list(model._flatten_layers())


def compute_loss_wrapped(model: keras.Model) -> bool:
    """Whether `run_after_compute_loss` already wrapped ``model``'s ``compute_loss``."""
    # The mark lives on the instance, beside the wrapper (see `run_after_compute_loss`).
    return _COMPUTE_LOSS_WRAPPED in vars(model)


def run_after_compute_loss(model: keras.Model, after: Callable[[Any], None]) -> None:
    """Make ``model.compute_loss`` (this instance only) call ``after(model)`` once it returns."""
    # Keras' JAX step has no hook between the forward pass and its logs; `compute_loss` is the
    # one place that sees both layer and metric variables. A callback runs outside the step.
    compute_loss = model.compute_loss

    @functools.wraps(compute_loss)  # keeps the signature Keras inspects for `training`
    def compute_loss_then_sync(*args: Any, **kwargs: Any) -> Any:
        loss = compute_loss(*args, **kwargs)
        after(model)
        return loss

    # object.__setattr__: a function is not state for Keras to track on the model.
    object.__setattr__(model, "compute_loss", compute_loss_then_sync)
    object.__setattr__(model, _COMPUTE_LOSS_WRAPPED, True)


# The step swap (`_swap.py`): Keras has no public hook that adds outputs to the step it
# compiles, so a model's `predict_step`/`train_step` and compiled function are replaced on the
# instance and restored afterwards, and `make_*_function(force=True)` recompiles.


def swap_registry(model: keras.Model) -> dict[str, Any]:
    """The per-model record of installed step swaps (created empty on first use)."""
    # Kept on the model instance, outside Keras' attribute tracking, so it dies with the model.
    registry: dict[str, Any] = vars(model).setdefault(_SWAPS, {})
    return registry


def instance_override(model: keras.Model, name: str) -> Any:
    """What ``model`` holds under ``name`` on the instance itself (not its class), or None."""
    # Tells a step the user set on the instance from the class's method, to restore it as found.
    return vars(model).get(name)


def set_on_instance(model: keras.Model, name: str, value: Any) -> None:
    """Set ``model.<name>`` on the instance, bypassing Keras' attribute tracking."""
    # `Layer.__setattr__` would track the function as model state.
    object.__setattr__(model, name, value)


def remove_from_instance(model: keras.Model, name: str) -> None:
    """Remove an instance attribute, so the class's method shows through again."""
    # The counterpart of `set_on_instance`.
    vars(model).pop(name, None)
