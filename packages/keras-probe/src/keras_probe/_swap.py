"""Swap a model's compiled step for one that also returns the probed tensors.

Keras compiles `predict_step` / `train_step` into `predict_function` / `train_function` on
every backend (`keras/src/backend/*/trainer.py`). While a capture is active we replace the step
by one that pushes a `Collector`, runs the original step and returns `(outputs, probes)`, let
Keras compile it with its own `make_*_function(force=True)` (so `jit_compile`, distribution
strategies and `steps_per_execution` behave as usual), and wrap the compiled function so the
training/prediction loop still sees the original outputs while `sink` receives the probes. On
exit the original step and the original compiled function are restored untouched: models that
are not being captured never trace a probe. Keras has no public hook for this; the replacements
on the model instance go through `_keras_compat`, which also notes the step signatures relied on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras_probe import _backend, _keras_compat
from keras_probe._probe import Collector, collecting

_ATTRS = {
    "predict": ("predict_step", "predict_function", "make_predict_function"),
    "train": ("train_step", "train_function", "make_train_function"),
}

Sink = Callable[[dict[str, Any]], None]


class StepSwap:
    """One listener (`names`, `sink`) on a model's `kind` step; see the module docstring.

    Several swaps may be installed on one model (two recorders, a recorder and a capture): they
    share one swapped step that records the union of their names, and each sink receives only
    the names it asked for. The original step and function come back when the last is removed.
    """

    def __init__(self, model: Any, kind: str, names: frozenset[str] | None, sink: Sink) -> None:
        self.model = model
        self.kind = kind
        self.names = names
        self.sink = sink
        self.installed = False

    def _dispatch(self, probes: dict[str, Any]) -> None:
        if self.names is not None:
            probes = {k: v for k, v in probes.items() if k in self.names}
        if probes:
            self.sink(probes)

    def install(self) -> None:
        if self.installed:
            raise RuntimeError("this swap is already installed")
        step_attr, fn_attr, _ = _ATTRS[self.kind]
        swaps = _keras_compat.swap_registry(self.model)
        if self.kind not in swaps:
            swaps[self.kind] = (
                _keras_compat.instance_override(self.model, step_attr),
                getattr(self.model, fn_attr),
                [],
            )
        swaps[self.kind][2].append(self)
        self.installed = True
        _compile(self.model, self.kind)

    def restore(self) -> None:
        if not self.installed:
            return
        self.installed = False
        step_attr, fn_attr, _ = _ATTRS[self.kind]
        swaps = _keras_compat.swap_registry(self.model)
        step, function, listeners = swaps[self.kind]
        listeners.remove(self)
        if listeners:
            _compile(self.model, self.kind)
            return
        del swaps[self.kind]
        if step is None:
            _keras_compat.remove_from_instance(self.model, step_attr)
        else:
            _keras_compat.set_on_instance(self.model, step_attr, step)
        _keras_compat.set_on_instance(self.model, fn_attr, function)


def _compile(model: Any, kind: str) -> None:
    """(Re)build the swapped step and function for every listener on `model`'s `kind`."""
    step_attr, fn_attr, make_attr = _ATTRS[kind]
    saved_step, _, listeners = _keras_compat.swap_registry(model)[kind]
    if saved_step is None:
        _keras_compat.remove_from_instance(model, step_attr)
    else:
        _keras_compat.set_on_instance(model, step_attr, saved_step)
    original_step = getattr(model, step_attr)
    names: frozenset[str] | None = frozenset()
    for listener in listeners:
        names = None if names is None or listener.names is None else names | listener.names

    def sink(probes: dict[str, Any]) -> None:
        for listener in list(listeners):
            listener._dispatch(probes)

    jax = _backend.name() == "jax"
    # JAX's train step runs the model inside `jax.value_and_grad`: its probes cannot be
    # returned as outputs, they are sent to the host by a debug callback instead.
    emit_on_host = jax and kind == "train"

    def probed_step(*args: Any) -> Any:
        collector = Collector(names, emit=_backend.jax_emitter(sink) if emit_on_host else None)
        with collecting(collector):
            result = original_step(*args)
        if emit_on_host:
            return result
        if jax:  # (outputs, state)
            return (result[0], collector.values), result[1]
        return result, collector.values

    _keras_compat.set_on_instance(model, step_attr, probed_step)
    getattr(model, make_attr)(force=True)
    compiled = getattr(model, fn_attr)

    if emit_on_host:
        function = compiled
    elif jax:

        def function(state: Any, iterator: Any) -> Any:
            (outputs, probes), state = compiled(state, iterator)
            sink(probes)
            return outputs, state

    else:

        def function(data: Any) -> Any:
            outputs, probes = compiled(data)
            sink(probes)
            return outputs

    _keras_compat.set_on_instance(model, fn_attr, function)


def check_model(model: Any, argument: str = "model") -> None:
    """Raise a clear error unless `model` is a built `keras.Model`."""
    import keras

    if not isinstance(model, keras.Model):
        raise TypeError(
            f"`{argument}` must be a `keras.Model`. Received: {argument}={type(model).__name__}"
        )
    if not model.built:
        raise ValueError(
            f"`{argument}` must be built before probes can be captured: call it on a batch, "
            f"`build()` it, or give it an `Input`. Received: {argument}={model.name!r} (unbuilt)"
        )


def check_names(names: Any) -> frozenset[str] | None:
    """Validate a `names` argument: `None` (every probe) or a non-empty list of strings."""
    if names is None:
        return None
    if isinstance(names, str):
        names = [names]
    names = list(names)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise TypeError(
            f"`names` must be None or a non-empty list of non-empty strings. Received: "
            f"names={names!r}"
        )
    return frozenset(names)
