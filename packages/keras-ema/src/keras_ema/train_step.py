"""Run the EMA update inside the compiled train step (the only backend-specific module).

``fit`` compiles ``model.train_step``; :func:`install` replaces it on the model *instance* with
a function that calls the original step and then the recurrence, so the update is traced into
the same ``tf.function`` / ``jax.jit`` / ``torch.compile`` graph: no per-batch host round trip.

* TensorFlow and PyTorch train steps are stateful: read the variables after the step, assign
  the new averages.
* JAX's train step is stateless: ``(logs, state) = train_step(state, data)`` with
  ``state = (trainable, non_trainable, optimizer, metrics)`` values. The averages are metrics
  variables of the model (see :mod:`keras_ema.state`), so they come in with ``state`` and the
  new ones go out in it. Nothing is assigned, and every output is a freshly computed array, so
  no buffer is shared between two variables. (Keras 3.15's ``use_ema`` shares one: after
  ``fit`` it runs ``var.assign(average)``, the next ``fit`` donates that buffer twice and JAX
  raises "Attempt to donate the same buffer twice".)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import keras

from keras_ema import _keras_compat, recurrence
from keras_ema.state import EMAState

Update = Callable[[list[Any], list[Any], Any, Any], tuple[list[Any], Any, Any]]


def install(
    model: Any, state: EMAState, variables: Sequence[Any], update: Update, cache: dict[str, Any]
) -> Any:
    """Wrap ``model.train_step`` so it also updates ``state``; returns the wrapper.

    ``cache`` (owned by the callback) keeps the compiled function between ``fit`` calls, so a
    loop of ``fit(epochs=1)`` compiles once, as it does without the EMA.
    """
    key = _cache_key(model, variables)
    previous_function = model.train_function
    if cache.get("key") == key:
        wrapper = cache["wrapper"]
        _keras_compat.override_train_step(model, wrapper)
        _keras_compat.set_compiled_train_function(model, cache["function"])
    else:
        original = model.train_step
        if keras.backend.backend() == "jax":
            wrapper = _jax_step(model, original, state, variables, update)
        elif keras.backend.backend() == "torch" and _foreach_ready(update):
            wrapper = _torch_foreach_step(original, state, variables, update)
        else:
            wrapper = _stateful_step(original, state, variables, update)
        wrapper._keras_ema_original = _keras_compat.instance_train_step(model)
        _keras_compat.override_train_step(model, wrapper)
        model.make_train_function(force=True)
        cache.update(key=key, wrapper=wrapper, function=model.train_function)
    wrapper._keras_ema_previous_function = previous_function
    return wrapper


def uninstall(model: Any, wrapper: Any) -> None:
    """Undo :func:`install`: the model's own train step (and compiled function) are back."""
    if _keras_compat.instance_train_step(model) is not wrapper:
        return
    _keras_compat.restore_train_step(
        model, wrapper._keras_ema_original, wrapper._keras_ema_previous_function
    )


def _cache_key(model: Any, variables: Sequence[Any]) -> tuple[Any, ...]:
    # Anything that makes Keras rebuild its train function, plus the variables we read.
    return (
        id(model),
        id(getattr(model, "optimizer", None)),
        model.jit_compile,
        model.run_eagerly,
        model.steps_per_execution,
        tuple(id(v) for v in model.trainable_variables),
        tuple(id(v) for v in variables),
        keras.distribution.distribution() if keras.backend.backend() == "jax" else None,
    )


def assign_state(state: EMAState, averages: list[Any], step: Any, product: Any) -> None:
    """Write new values into the state variables (eager or traced, TF/PyTorch/JAX)."""
    if keras.backend.backend() == "torch":
        import torch

        with torch.no_grad():
            _assign(state, averages, step, product)
    else:
        _assign(state, averages, step, product)


def _assign(state: EMAState, averages: list[Any], step: Any, product: Any) -> None:
    state.step.assign(step)
    state.decay_product.assign(product)
    for variable, value in zip(state.averages, averages, strict=True):
        variable.assign(value)


def _stateful_step(original: Any, state: EMAState, variables: Sequence[Any], update: Update) -> Any:
    def train_step(data: Any) -> Any:
        logs = original(data)
        averages, step, product = update(
            [a.value for a in state.averages],
            [v.value for v in variables],
            state.step.value,
            state.decay_product.value,
        )
        assign_state(state, averages, step, product)
        return logs

    return train_step


def _jax_step(
    model: Any, original: Any, state: EMAState, variables: Sequence[Any], update: Update
) -> Any:
    trainable = {id(v): i for i, v in enumerate(model.trainable_variables)}
    non_trainable = {id(v): i for i, v in enumerate(model.non_trainable_variables)}
    sources = [
        (0, trainable[id(v)]) if id(v) in trainable else (1, non_trainable[id(v)])
        for v in variables
    ]
    metrics = {id(v): i for i, v in enumerate(model.metrics_variables)}
    slots = [metrics[id(v)] for v in (state.step, state.decay_product, *state.averages)]

    def train_step(jax_state: Any, data: Any) -> Any:
        logs, new_state = original(jax_state, data)
        trainable_values, non_trainable_values, optimizer_values, metrics_values = new_state
        groups = (trainable_values, non_trainable_values)
        current = [metrics_values[slot] for slot in slots]
        averages, step, product = update(
            current[2:], [groups[g][i] for g, i in sources], current[0], current[1]
        )
        metrics_values = list(metrics_values)
        for slot, value in zip(slots, (step, product, *averages), strict=True):
            metrics_values[slot] = value
        return logs, (trainable_values, non_trainable_values, optimizer_values, metrics_values)

    return train_step


def _foreach_ready(update: Any) -> bool:
    return isinstance(update, partial) and update.func is recurrence.ema_update


def _torch_foreach_step(
    original: Any, state: EMAState, variables: Sequence[Any], update: Any
) -> Any:
    """PyTorch: the blend as three fused ``torch._foreach_*`` calls over every average (as
    Keras' own torch optimizers update their slots) instead of a few small ops per variable,
    which on a small model cost more than the 5% step-time budget. Same recurrence: the
    averages move by ``rate * (weight - average)`` with ``rate = 1 - d`` on update steps, 0
    otherwise."""
    import torch

    options = update.keywords
    floats = [i for i, a in enumerate(state.averages) if recurrence.is_float(a.dtype)]
    copies = [i for i in range(len(state.averages)) if i not in floats]

    def train_step(data: Any) -> Any:
        logs = original(data)
        with torch.no_grad():
            step, d, due, product = recurrence.schedule(
                state.step.value, state.decay_product.value, **options
            )
            rate = torch.where(due, 1.0 - d, torch.zeros_like(d))
            averages = [state.averages[i].value for i in floats]
            weights = [variables[i].value.to(averages[k].dtype) for k, i in enumerate(floats)]
            moves = torch._foreach_sub(weights, averages)
            torch._foreach_mul_(moves, rate)
            torch._foreach_add_(averages, moves)
            for i in copies:
                state.averages[i].assign(variables[i].value)
            state.step.assign(step)
            state.decay_product.assign(product)
        return logs

    return train_step
