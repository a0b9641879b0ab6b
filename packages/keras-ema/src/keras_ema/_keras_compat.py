"""Every use of private Keras in keras-ema, each with the reason the public API does not do it.

Keras 3 has no public hook that runs code *inside* the compiled train step of an arbitrary
model (callbacks run on the host between steps), no public way to add a tracked object to a
model that is already built, and no cheap way to assign many variables in eager PyTorch. These
are done here, and only here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras


def override_train_step(model: Any, train_step: Callable[..., Any]) -> None:
    """Make ``model`` (this instance only) train with ``train_step`` from its next compiled step.

    Why private: the update must be traced into the same ``tf.function`` / ``jax.jit`` / torch
    step as the optimizer's (no host round trip per batch), and Keras has no hook inside the
    train step; a method set in the instance ``__dict__`` shadows the class's without
    Layer/nn.Module attribute tracking. Call ``make_train_function(force=True)`` after it.
    """
    vars(model)["train_step"] = train_step


def instance_train_step(model: Any) -> Any:
    """The train step set on the ``model`` instance (by :func:`override_train_step`), or None.

    Why private: reads the instance ``__dict__``, to tell our override from the class's method.
    """
    return vars(model).get("train_step")


def restore_train_step(
    model: Any, train_step: Callable[..., Any] | None, train_function: Any
) -> None:
    """Put back the instance ``train_step`` (None: the class's) and the compiled function.

    Why private: undoes :func:`override_train_step`; ``train_function`` is the attribute in
    which Keras caches the compiled step, restored so the next ``fit`` does not recompile.
    """
    if train_step is None:
        vars(model).pop("train_step", None)
    else:
        vars(model)["train_step"] = train_step
    model.train_function = train_function


def set_compiled_train_function(model: Any, train_function: Any) -> None:
    """Reuse a compiled step (``train_function`` is Keras' cache of it; no public setter)."""
    model.train_function = train_function


def track_on_built_model(model: Any, name: str, value: Any) -> None:
    """``setattr(model, name, value)`` on a built model, so Keras tracks (and saves) ``value``.

    Why private: Keras locks a layer's tracker once it is built (``_tracker.lock``) and has no
    public way to add state afterwards; the EMA state is created after the model is built.
    """
    tracker: Any = getattr(model, "_tracker", None)
    locked = bool(tracker is not None and tracker.locked)
    if locked:
        tracker.unlock()
    try:
        setattr(model, name, value)
    finally:
        if locked:
            tracker.lock()


def assign_all(variables: Sequence[Any], values: Sequence[Any]) -> None:
    """``variable.assign(value)`` for each pair; on PyTorch, a copy into the variable's tensor.

    Why private: in eager PyTorch, ``Variable.assign`` re-checks dtype, device, shape and scope
    in Python (~15 us a call on CPU, ~1% of a small CNN's step per dozen variables); Keras
    itself assigns with ``variable.value.copy_(value)``. The values here come from the
    variables' own tensors, so they already have the right dtype, shape and device.
    """
    if keras.backend.backend() == "torch":
        for variable, value in zip(variables, values, strict=True):
            variable.value.copy_(value)
    else:
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
