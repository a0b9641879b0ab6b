"""`ExponentialMovingAverage`: weight EMA for any model and optimizer, as a callback."""

from __future__ import annotations

import contextlib
import json
import keyword
from collections.abc import Iterator
from functools import partial
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_ema import recurrence, train_step
from keras_ema.model import EMAModel, shadowed_variables
from keras_ema.state import EMAState, attached_state, create_state


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
        if warmup not in recurrence.WARMUPS:
            raise ValueError(
                f"`warmup` must be one of {recurrence.WARMUPS}. Received: warmup={warmup!r}"
            )
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
        self._wrapper: Any = None
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
        averages, step, product = self._recurrence(
            [a.value for a in state.averages],
            [v.value for v in self._variables],
            state.step.value,
            state.decay_product.value,
        )
        train_step.assign_state(state, averages, step, product)

    def average_weights(self) -> list[np.ndarray]:
        """The averaged values (debiased if ``zero_debias``), one per ``variables`` entry."""
        state = self._require_state()
        product = ops.convert_to_numpy(state.decay_product.value)
        result = []
        for variable, average in zip(self._variables, state.averages, strict=True):
            value = ops.convert_to_numpy(average.value)
            if self.zero_debias:
                value = recurrence.debiased(value, ops.convert_to_numpy(variable.value), product)
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
            # there is nothing to average yet: attach after that step (see on_train_batch_end).
            self._deferred = True
            return
        self._install()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        if self._deferred:
            self._deferred = False
            # The weights before step 1 never existed outside the traced step, so the
            # average starts from those after it; the step count stays exact.
            self.attach(self.model)
            self.update()
            self._install()  # later steps update inside the (re)compiled train step

    def _install(self) -> None:
        self.attach(self.model)
        self._wrapper = train_step.install(
            self.model,
            self._require_state(),
            self._variables,
            self._recurrence,
            # Compiled steps live on the state, so a new callback per `fit` reuses them.
            self._require_state().compiled.setdefault(json.dumps(self.get_config()), {}),
        )

    def on_train_end(self, logs: Any = None) -> None:
        self._deferred = False
        self.swap_out()
        if self._wrapper is not None:
            train_step.uninstall(self.model, self._wrapper)
            self._wrapper = None

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.swap_out()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if self.save_averages:
            self.swap_in()

    def on_test_begin(self, logs: Any = None) -> None:
        if self.evaluate_with_ema and self._state is not None:
            self.swap_in()

    def on_test_end(self, logs: Any = None) -> None:
        if self.evaluate_with_ema:
            self.swap_out()

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

    @property
    def _recurrence(self) -> Any:
        return partial(
            recurrence.ema_update,
            decay=self.decay,
            start_step=self.start_step,
            every_n_steps=self.every_n_steps,
            warmup=self.warmup,
            warmup_gamma=self.warmup_gamma,
            warmup_power=self.warmup_power,
        )

    def _require_state(self) -> EMAState:
        if self._state is None:
            raise ValueError(
                "`model` is not set: pass the callback to `fit` or call `ema.attach(model)` on "
                "a built model before using the EMA."
            )
        return self._state
