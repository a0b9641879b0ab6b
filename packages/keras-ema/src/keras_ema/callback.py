"""`ExponentialMovingAverage`: weight EMA for any model and optimizer, as a callback.

One update reads top to bottom here: the recurrence (:func:`ema_update`, values in, values
out), the callback that owns its options, and the train step that runs it.

During ``fit`` the callback replaces ``model.train_step`` on the model *instance* with a function
that calls the original step and then :func:`ema_update`, so the update is traced into the same
``tf.function`` / ``jax.jit`` graph as the optimizer's (PyTorch runs it eagerly right after the
step): no per-batch host round trip. TensorFlow and PyTorch train steps are stateful: read the
variables after the step, assign the new averages. JAX's train step is stateless:
``(logs, state) = train_step(state, data)`` with ``state = (trainable, non_trainable,
optimizer, metrics)`` values; the averages are metrics variables of the model (see
:mod:`keras_ema.state`), so they come in with ``state`` and the new ones go out in it. Nothing
is assigned there, and every output is a freshly computed array, so no buffer is shared between
two variables. (Keras 3.15's ``use_ema`` shares one: after ``fit`` it runs
``var.assign(average)``, the next ``fit`` donates that buffer twice and JAX raises "Attempt to
donate the same buffer twice".)
"""

from __future__ import annotations

import contextlib
import json
import keyword
from collections.abc import Iterator, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_ema import _keras_compat
from keras_ema.model import EMAModel, shadowed_variables
from keras_ema.state import EMAState, attached_state, create_state, is_float

WARMUPS = (None, "ratio", "power")

# --------------------------------------------------------------------------------------------
# The recurrence: values in, values out, so the same code runs eagerly, in a `tf.function`
# and inside `jax.jit` (stateless).
# --------------------------------------------------------------------------------------------


def scheduled_decay(
    step: Any,
    *,
    decay: float,
    start_step: int = 0,
    warmup: str | None = None,
    warmup_gamma: float = 1.0,
    warmup_power: float = 2.0 / 3.0,
) -> Any:
    """Decay used for the update at training step ``step`` (1-based), as a float32 scalar.

    With ``t = step - start_step``: 0 for ``t <= 0`` (the average copies the weights), else
    ``decay``, or with warm-up ``min(decay, (1 + t) / (10 + t))`` (``"ratio"``) or
    ``min(decay, 1 - (1 + t / warmup_gamma) ** -warmup_power)`` (``"power"``).

    >>> import keras
    >>> step = keras.ops.convert_to_tensor(1)
    >>> round(float(scheduled_decay(step, decay=0.999, warmup="ratio")), 6)
    0.181818
    """
    t = ops.cast(step, "float32") - float(start_step)
    if warmup is None:
        return ops.where(t > 0.0, decay, 0.0)
    t = ops.maximum(t, 0.0)  # the warm-up formulas are only defined (and used) for t > 0
    if warmup == "ratio":
        d = ops.minimum(decay, (1.0 + t) / (10.0 + t))
    else:
        d = ops.minimum(decay, 1.0 - (1.0 + t / warmup_gamma) ** -warmup_power)
    return ops.where(t > 0.0, d, 0.0)


def ema_update(
    averages: Sequence[Any],
    weights: Sequence[Any],
    step: Any,
    decay_product: Any,
    *,
    decay: float,
    start_step: int = 0,
    every_n_steps: int = 1,
    warmup: str | None = None,
    warmup_gamma: float = 1.0,
    warmup_power: float = 2.0 / 3.0,
) -> tuple[list[Any], Any, Any]:
    """One training step of the recurrence: ``(new_averages, new_step, new_decay_product)``.

    ``step`` counts the steps seen *before* this one; ``t = step + 1 - start_step``. If ``t <=
    0`` or ``t % every_n_steps == 0``, float averages become ``d * average + (1 - d) *
    weight`` with ``d`` from :func:`scheduled_decay`, non-float ones (counters, seeds) copy
    the weight, and ``decay_product`` is multiplied by ``d`` (for the zero-debiased read-out,
    :func:`debiased`); otherwise nothing changes but the step.

    >>> from keras import ops
    >>> avg, step, prod = ema_update([ops.zeros((2,))], [ops.ones((2,))],
    ...                              ops.convert_to_tensor(5), ops.convert_to_tensor(1.0),
    ...                              decay=0.9)
    >>> [round(float(v), 6) for v in ops.convert_to_numpy(avg[0])], int(step), round(float(prod), 6)
    ([0.1, 0.1], 6, 0.9)
    """
    step = step + 1
    d = scheduled_decay(
        step,
        decay=decay,
        start_step=start_step,
        warmup=warmup,
        warmup_gamma=warmup_gamma,
        warmup_power=warmup_power,
    )

    def blend() -> list[Any]:
        # One `1 - d` per dtype, not per variable: every small op costs a few microseconds
        # on CPU (TensorFlow, eager PyTorch), and a CNN has dozens of variables.
        rates: dict[Any, Any] = {}
        new = []
        for average, weight in zip(averages, weights, strict=True):
            if weight.dtype != average.dtype:
                weight = ops.cast(weight, average.dtype)
            if not is_float(average.dtype):
                new.append(weight)
                continue
            if average.dtype not in rates:
                rates[average.dtype] = ops.cast(1.0 - d, average.dtype)
            new.append(average - rates[average.dtype] * (average - weight))
        return new

    if every_n_steps == 1:  # every step is an update step
        return blend(), step, decay_product * d
    t = step - start_step
    due = ops.logical_or(t <= 0, ops.equal(ops.mod(t, every_n_steps), 0))
    product = ops.where(due, decay_product * d, decay_product)
    if _branch_on_device(due):
        # Off steps skip the blend: `tf.cond` / `lax.cond` run one branch only.
        return list(ops.cond(due, blend, lambda: [ops.copy(a) for a in averages])), step, product
    return [ops.where(due, b, a) for b, a in zip(blend(), averages, strict=True)], step, product


def _branch_on_device(flag: Any) -> bool:
    """Whether to branch with ``ops.cond`` (compute only the taken branch) on ``flag``.

    TensorFlow: yes (``tf.cond``; eagerly a plain ``if``). JAX: inside ``jit`` only, where it
    is ``lax.cond``; eagerly, ``lax.cond`` retraces both branches at every call, slower than
    computing both. PyTorch: no; its ``ops.cond`` is a Python ``if`` that reads the flag back
    to the host at every step (a device sync on GPU), so both values are computed and
    ``ops.where`` selects.
    """
    if keras.backend.backend() == "tensorflow":
        return True
    if keras.backend.backend() == "jax":
        import jax

        return isinstance(flag, jax.core.Tracer)
    return False


def debiased(average: Any, weight: Any, decay_product: Any) -> Any:
    """Zero-debiased read-out (Kingma & Ba, 2015, section 3): ``average / (1 -
    decay_product)``, numpy in and out; ``weight`` itself before any update."""
    average = np.asarray(average)
    if not is_float(average.dtype):
        return average
    product = float(np.asarray(decay_product))
    if product >= 1.0:
        return np.asarray(weight).astype(average.dtype)
    return average / np.asarray(1.0 - product, average.dtype)


def _no_grad() -> Any:
    """PyTorch: no autograd graph for the update (the weights it reads require grad)."""
    if keras.backend.backend() == "torch":
        import torch

        return torch.no_grad()
    return contextlib.nullcontext()


# --------------------------------------------------------------------------------------------
# The callback
# --------------------------------------------------------------------------------------------


def _check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be a bool. Received: {name}={value!r}")


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`{name}` must be an int. Received: {name}={value!r}")
    if value < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}. Received: {name}={value}")


def _check_positive(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"`{name}` must be a number. Received: {name}={value!r}")
    if not value > 0:
        raise ValueError(f"`{name}` must be > 0. Received: {name}={value}")


def _builds_in_first_step(model: Any) -> bool:
    """Whether ``fit`` builds ``model`` inside its first train step (TensorFlow, no strategy:
    JAX and PyTorch build every model symbolically before ``on_train_begin``)."""
    if keras.backend.backend() != "tensorflow":
        return False
    if model.steps_per_execution != 1:
        raise ValueError(
            "`model` must be built before `fit` when `steps_per_execution` > 1 (its first "
            "execution runs several steps before the EMA could see the weights): call it on a "
            "batch or use `keras.Input`. Received: "
            f"model={model.name!r}, steps_per_execution={model.steps_per_execution}"
        )
    return True


@keras.saving.register_keras_serializable(package="keras_ema")
class ExponentialMovingAverage(keras.callbacks.Callback):
    """Keep an exponential moving average of a model's weights during training.

    Works with any optimizer and any model (including a custom ``train_step``), on TensorFlow,
    JAX and PyTorch. During ``fit`` the update runs inside the compiled train step. The
    averages, a step counter and the product of decays live in a small state object attached
    to the model: it is saved by ``model.save``, ``save_weights``, ``ModelCheckpoint`` and
    ``BackupAndRestore``, and a new callback with the same ``name`` continues from it. A model
    without an ``Input`` that TensorFlow builds inside the first step of ``fit`` is averaged from
    the weights after that step (they did not exist before it). On a
    :class:`keras_ema.EMAModel` the state is also recorded in the model's config, so
    ``keras.saving.load_model`` alone restores it; on another model, ``attach`` the callback
    and ``load_weights`` after ``load_model``.

    With ``step`` counting training steps (1 for the first) and ``t = step - start_step``:
    for ``t <= 0`` the average copies the weights; afterwards, every ``every_n_steps`` steps,
    ``average = d * average + (1 - d) * weight``, where ``d = decay``, or with warm-up
    ``min(decay, (1 + t) / (10 + t))`` (``"ratio"``) or
    ``min(decay, 1 - (1 + t / warmup_gamma) ** -warmup_power)`` (``"power"``). Float weights
    are averaged in float32; integer state is copied.

    Args:
        decay: target decay, in [0, 1). Default 0.999.
        warmup: ``None`` (default), ``"ratio"`` or ``"power"``.
        warmup_gamma: > 0, time scale of the ``"power"`` warm-up. Default 1.0.
        warmup_power: > 0, exponent of the ``"power"`` warm-up. Default 2/3 (use 3/4 for
            short runs, as in timm).
        start_step: >= 0; up to this step the average copies the weights. Default 0.
        every_n_steps: >= 1; update the average every N steps. Default 1.
        include_non_trainable: also average non-trainable state such as BatchNormalization
            moving statistics (default True; Keras' ``use_ema`` averages trainable only).
        zero_debias: start averages at zero and correct the bias (Adam-style) when reading.
        evaluate_with_ema: run validation/evaluation with the averaged weights swapped in.
        save_averages: swap the averages in at the end of every epoch, so callbacks after
            this one (``ModelCheckpoint``) save averaged weights; they are swapped out at the
            next epoch and at the end of training.
        target: ``None`` (the whole model) or the name of a sub-layer/sub-model to average,
            e.g. ``"generator"`` for a GAN.
        name: identifier of this EMA on the model (default ``"ema"``); use distinct names to
            keep several averages of one model.

    References:
        Polyak & Juditsky, 1992, "Acceleration of stochastic approximation by averaging".
        Kingma & Ba, 2015, "Adam" (zero-debias). timm ``ModelEmaV3`` (warm-up).

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> ema = ExponentialMovingAverage(decay=0.9, warmup="ratio")
    >>> _ = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0, callbacks=[ema])
    >>> ema.step
    2
    >>> with ema.swapped():
    ...     averaged = model.predict(np.ones((1, 3)), verbose=0)
    """

    def __init__(
        self,
        decay: float = 0.999,
        warmup: str | None = None,
        warmup_gamma: float = 1.0,
        warmup_power: float = 2.0 / 3.0,
        start_step: int = 0,
        every_n_steps: int = 1,
        include_non_trainable: bool = True,
        zero_debias: bool = False,
        evaluate_with_ema: bool = False,
        save_averages: bool = False,
        target: str | None = None,
        name: str = "ema",
    ):
        super().__init__()
        if isinstance(decay, bool) or not isinstance(decay, int | float):
            raise TypeError(f"`decay` must be a float. Received: decay={decay!r}")
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"`decay` must be in [0, 1). Received: decay={decay}")
        if warmup not in WARMUPS:
            raise ValueError(f"`warmup` must be one of {WARMUPS}. Received: warmup={warmup!r}")
        _check_positive("warmup_gamma", warmup_gamma)
        _check_positive("warmup_power", warmup_power)
        _check_int("start_step", start_step, 0)
        _check_int("every_n_steps", every_n_steps, 1)
        for flag in ("include_non_trainable", "zero_debias", "evaluate_with_ema", "save_averages"):
            _check_bool(flag, locals()[flag])
        if target is not None and not isinstance(target, str):
            raise TypeError(
                f"`target` must be None or the name of a sub-layer. Received: target={target!r}"
            )
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"`name` must be a Python identifier. Received: name={name!r}")
        self.decay = float(decay)
        self.warmup = warmup
        self.warmup_gamma = float(warmup_gamma)
        self.warmup_power = float(warmup_power)
        self.start_step = start_step
        self.every_n_steps = every_n_steps
        self.include_non_trainable = include_non_trainable
        self.zero_debias = zero_debias
        self.evaluate_with_ema = evaluate_with_ema
        self.save_averages = save_averages
        self.target = target
        self.name = name
        self._variables: list[Any] = []
        self._state: EMAState | None = None
        self._installed: dict[str, Any] | None = None
        self._backup: list[np.ndarray] | None = None
        self._deferred = False

    # ----------------------------------------------------------------------------------------
    # Plain API (also for custom training loops)
    # ----------------------------------------------------------------------------------------

    def attach(self, model: Any) -> ExponentialMovingAverage:
        """Create (or reuse) the EMA state on a built ``model``; returns ``self``."""
        if not isinstance(model, keras.layers.Layer):
            raise TypeError(f"`model` must be a Keras model. Received: model={model!r}")
        if not model.built or not model.weights:
            raise ValueError(
                "`model` must be built (have weights) before the EMA is attached: call it on "
                f"data or build it first. Received: model={model.name!r} (built={model.built})"
            )
        self._model = model
        self._variables = shadowed_variables(model, self.target, self.include_non_trainable)
        state = attached_state(model, self.name)
        if state is None and isinstance(model, EMAModel):
            state = model.ema_state(
                self.name, self.target, self.include_non_trainable, self.zero_debias
            )
        elif state is None:
            state = create_state(model, self.name, self._variables, self.zero_debias)
        state.check_matches(self._variables)
        self._state = state
        return self

    def update(self) -> None:
        """Advance the average by one step from the model's current weights (eager)."""
        state = self._require_state()
        with _no_grad():
            weights = [v.value for v in self._variables]
            state.assign_values(*self._advance(*state.values(), weights))

    def average_weights(self) -> list[np.ndarray]:
        """The averaged values (debiased if ``zero_debias``), one per ``variables`` entry."""
        state = self._require_state()
        product = ops.convert_to_numpy(state.decay_product.value)
        result = []
        for variable, average in zip(self._variables, state.averages, strict=True):
            value = ops.convert_to_numpy(average.value)
            if self.zero_debias:
                value = debiased(value, ops.convert_to_numpy(variable.value), product)
            result.append(value.astype(keras.backend.standardize_dtype(variable.dtype)))
        return result

    @contextlib.contextmanager
    def swapped(self) -> Iterator[ExponentialMovingAverage]:
        """Context manager: averaged weights in the model inside, the raw ones restored after.

        >>> # with ema.swapped(): model.evaluate(x_val, y_val)
        """
        self.swap_in()
        try:
            yield self
        finally:
            self.swap_out()

    def swap_in(self) -> None:
        """Put the averaged weights in the model (keeping a copy of the raw ones)."""
        if self._backup is not None:
            return
        averages = self.average_weights()
        self._backup = [ops.convert_to_numpy(v.value) for v in self._variables]
        for variable, value in zip(self._variables, averages, strict=True):
            variable.assign(value)

    def swap_out(self) -> None:
        """Restore the raw weights saved by :meth:`swap_in` (no-op if not swapped)."""
        if self._backup is None:
            return
        for variable, value in zip(self._variables, self._backup, strict=True):
            variable.assign(value)
        self._backup = None

    def apply_averages(self) -> None:
        """Overwrite the model's weights with the averages for good (e.g. before export)."""
        self.swap_out()
        for variable, value in zip(self._variables, self.average_weights(), strict=True):
            variable.assign(value)

    @property
    def variables(self) -> list[Any]:
        """The model variables being averaged."""
        return list(self._variables)

    @property
    def step(self) -> int:
        """Training steps seen by this EMA (saved with the model)."""
        return int(ops.convert_to_numpy(self._require_state().step.value))

    # ----------------------------------------------------------------------------------------
    # Callback hooks
    # ----------------------------------------------------------------------------------------

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        # Attach as early as possible so BackupAndRestore / load_weights find the state.
        if model.built and model.weights:
            self.attach(model)

    def on_train_begin(self, logs: Any = None) -> None:
        self._deferred = False
        if not (self.model.built and self.model.weights) and _builds_in_first_step(self.model):
            # TensorFlow builds a model without an `Input` inside the first traced step, so
            # there is nothing to average yet: attach after that step (see _catch_up).
            self._deferred = True
            return
        self._install()

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._catch_up()

    def on_train_end(self, logs: Any = None) -> None:
        self._catch_up()
        self._deferred = False
        self.swap_out()
        self._uninstall()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.swap_out()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self._catch_up()
        if self.save_averages:
            self.swap_in()

    def on_test_begin(self, logs: Any = None) -> None:
        self._catch_up()
        if self.evaluate_with_ema and self._state is not None:
            self.swap_in()

    def on_test_end(self, logs: Any = None) -> None:
        if self.evaluate_with_ema:
            self.swap_out()

    def _catch_up(self) -> None:
        """The deferred start (see ``on_train_begin``), as soon as the first step has built the
        model: at the next batch's begin, validation, epoch end or training end.

        Not in ``on_train_batch_end``: a callback that overrides it makes Keras convert the logs
        to Python numbers after every batch (a host sync per step, and no asynchronous batch
        callbacks on JAX and PyTorch).
        """
        if not (self._deferred and self.model.built and self.model.weights):
            return
        self._deferred = False
        # The weights before step 1 never existed outside the traced step, so the average
        # starts from those after it; the step count stays exact.
        self.attach(self.model)
        self.update()
        self._install()  # later steps update inside the (re)compiled train step

    # ----------------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        return {
            "decay": self.decay,
            "warmup": self.warmup,
            "warmup_gamma": self.warmup_gamma,
            "warmup_power": self.warmup_power,
            "start_step": self.start_step,
            "every_n_steps": self.every_n_steps,
            "include_non_trainable": self.include_non_trainable,
            "zero_debias": self.zero_debias,
            "evaluate_with_ema": self.evaluate_with_ema,
            "save_averages": self.save_averages,
            "target": self.target,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ExponentialMovingAverage:
        return cls(**config)

    def _require_state(self) -> EMAState:
        if self._state is None:
            raise ValueError(
                "`model` is not set: pass the callback to `fit` or call `ema.attach(model)` on "
                "a built model before using the EMA."
            )
        return self._state

    def _advance(
        self, averages: Sequence[Any], step: Any, product: Any, weights: Sequence[Any]
    ) -> tuple[list[Any], Any, Any]:
        """:func:`ema_update` with this callback's options (values in, values out)."""
        return ema_update(
            averages,
            weights,
            step,
            product,
            decay=self.decay,
            start_step=self.start_step,
            every_n_steps=self.every_n_steps,
            warmup=self.warmup,
            warmup_gamma=self.warmup_gamma,
            warmup_power=self.warmup_power,
        )

    # ----------------------------------------------------------------------------------------
    # The update inside the compiled train step
    # ----------------------------------------------------------------------------------------

    def _install(self) -> None:
        """Wrap ``model.train_step`` so it also runs the update, and compile it once.

        The compiled function is kept on the state by this callback's config (a new callback
        per ``fit`` reuses it), so a loop of ``fit(epochs=1)`` compiles once, as it does
        without the EMA.
        """
        self.attach(self.model)
        model, state = self.model, self._require_state()
        cache = state.compiled.setdefault(json.dumps(self.get_config()), {})
        installed = {
            "previous_step": _keras_compat.instance_train_step(model),
            "previous_function": model.train_function,
        }
        key = _cache_key(model, self._variables)
        if cache.get("key") != key:
            original = model.train_step
            if keras.backend.backend() == "jax":
                wrapper = self._jax_train_step(original)
            else:
                wrapper = self._stateful_train_step(original)
            _keras_compat.override_train_step(model, wrapper)
            model.make_train_function(force=True)
            cache.update(key=key, wrapper=wrapper, function=model.train_function)
        else:
            _keras_compat.override_train_step(model, cache["wrapper"])
            _keras_compat.set_compiled_train_function(model, cache["function"])
        self._installed = {**installed, "wrapper": cache["wrapper"]}

    def _uninstall(self) -> None:
        """Undo :meth:`_install`: the model's own train step (and compiled function) are back."""
        installed, self._installed = self._installed, None
        if installed is None:
            return
        if _keras_compat.instance_train_step(self.model) is installed["wrapper"]:
            _keras_compat.restore_train_step(
                self.model, installed["previous_step"], installed["previous_function"]
            )

    def _stateful_train_step(self, original: Any) -> Any:
        """TensorFlow, PyTorch: the original step, then the update on the variables."""
        state, variables = self._require_state(), self._variables

        def train_step(data: Any) -> Any:
            logs = original(data)
            with _no_grad():
                weights = [v.value for v in variables]
                state.assign_values(*self._advance(*state.values(), weights))
            return logs

        return train_step

    def _jax_train_step(self, original: Any) -> Any:
        """JAX: the original stateless step, then the update on the values it returns."""
        model, state = self.model, self._require_state()
        trainable = {id(v): i for i, v in enumerate(model.trainable_variables)}
        non_trainable = {id(v): i for i, v in enumerate(model.non_trainable_variables)}
        sources = [
            (0, trainable[id(v)]) if id(v) in trainable else (1, non_trainable[id(v)])
            for v in self._variables
        ]
        metrics = {id(v): i for i, v in enumerate(model.metrics_variables)}
        slots = [metrics[id(v)] for v in (state.step, state.decay_product, *state.averages)]

        def train_step(jax_state: Any, data: Any) -> Any:
            logs, (trainable_values, non_trainable_values, optimizer_values, metrics_values) = (
                original(jax_state, data)
            )
            groups = (trainable_values, non_trainable_values)
            step, product, *averages = [metrics_values[slot] for slot in slots]
            averages, step, product = self._advance(
                averages, step, product, [groups[g][i] for g, i in sources]
            )
            metrics_values = list(metrics_values)
            for slot, value in zip(slots, (step, product, *averages), strict=True):
                metrics_values[slot] = value
            new_state = (trainable_values, non_trainable_values, optimizer_values, metrics_values)
            return logs, new_state

        return train_step


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
