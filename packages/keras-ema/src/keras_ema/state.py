"""Where the averages live: a small state object attached to (and saved with) the model.

The state is a ``keras.metrics.Metric`` on purpose. A metric attached to a model is tracked in
``model.metrics``, so its variables are threaded through JAX's stateless train step as
``metrics_variables`` and updated in compiled code on every backend, yet they stay out of
``model.weights``: ``get_weights``/``set_weights``, ``summary`` and parameter counts are
unchanged. Keras' saving walks the model's attributes, so ``model.save``, ``save_weights``,
``ModelCheckpoint`` and ``BackupAndRestore`` write the state next to the weights, and reading
them back restores it whenever the state exists before the weights are read: an
:class:`keras_ema.EMAModel` recreates its states from its config, so ``load_model`` does.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_ema import _keras_compat

#: Attribute of the model that holds the state of the EMA named ``name``.
ATTRIBUTE = "keras_ema_{name}"


@functools.cache
def is_float(dtype: Any) -> bool:
    """True for floating dtypes (any backend's dtype object or name; cached: it runs for every
    average at every eager step)."""
    return "float" in keras.backend.standardize_dtype(dtype)


def _average_dtype(dtype: Any) -> str:
    dtype = keras.backend.standardize_dtype(dtype)
    if not is_float(dtype):
        return dtype
    return "float64" if dtype == "float64" else "float32"


@keras.saving.register_keras_serializable(package="keras_ema")
class EMAState(keras.metrics.Metric):
    """Step counter, decay product and one average per shadowed variable.

    Created by :class:`keras_ema.ExponentialMovingAverage`; you rarely build one yourself.
    Averages of float variables are float32 (float64 stays float64) whatever the variable's
    dtype, so they keep their precision under mixed precision; other variables are copies.

    Args:
        zero_debias: start the averages at zero and divide by ``1 - product of decays`` when
            reading them (default False: start at the weights' values).
        name: name of the state (default ``"ema_state"``).
        dtype: unused; accepted for ``Metric`` compatibility.

    >>> import keras
    >>> state = EMAState(zero_debias=True)
    >>> state.build_for([keras.Variable([1.0, 2.0])])
    >>> [v.name for v in state.variables][:2], state.averages[0].dtype
    (['step', 'decay_product'], 'float32')
    """

    def __init__(self, zero_debias: bool = False, name: str = "ema_state", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        if not isinstance(zero_debias, bool):
            raise TypeError(f"`zero_debias` must be a bool. Received: zero_debias={zero_debias!r}")
        self.zero_debias = zero_debias
        self.step: Any = None
        self.decay_product: Any = None
        self.averages: list[Any] = []
        self.variable_paths: tuple[str, ...] = ()
        #: compiled train functions by callback config (not saved; see the callback's _install)
        self.compiled: dict[str, Any] = {}

    @property
    def built_for_variables(self) -> bool:
        return self.step is not None

    def build_for(self, variables: Sequence[Any]) -> None:
        """Create the state for ``variables`` (read once, copied: no buffer is shared)."""

        def new(value: Any, dtype: str, name: str) -> Any:
            return keras.Variable(
                np.array(value, dtype=dtype),
                dtype=dtype,
                trainable=False,
                autocast=False,
                # Every replica computes the same average; keep the first one's.
                aggregation="only_first_replica",
                name=name,
            )

        self.step = new(0, "int32", "step")
        self.decay_product = new(1.0, "float32", "decay_product")
        averages = []
        for variable in variables:
            dtype = _average_dtype(variable.dtype)
            value = ops.convert_to_numpy(variable.value)
            if self.zero_debias and is_float(dtype):
                value = np.zeros_like(value)
            averages.append(new(value, dtype, "average_" + variable.path.replace("/", "_")))
        self.averages = averages
        self.variable_paths = tuple(v.path for v in variables)

    def check_matches(self, variables: Sequence[Any]) -> None:
        """Raise a ValueError naming `variables` if the state shadows different variables."""
        shapes = [tuple(v.shape) for v in variables]
        stored = [tuple(a.shape) for a in self.averages]
        if shapes != stored:
            raise ValueError(
                "`variables` do not match the EMA state attached to the model: the state holds "
                f"{len(stored)} averages of shapes {stored}, the model has {len(shapes)} "
                f"variables of shapes {shapes}. Use the same `target` and "
                "`include_non_trainable` as the callback that created the state, or another "
                "`name`."
            )

    def values(self) -> tuple[list[Any], Any, Any]:
        """``(averages, step, decay_product)``: the current values (tensors)."""
        return [a.value for a in self.averages], self.step.value, self.decay_product.value

    def assign_values(self, averages: Sequence[Any], step: Any, decay_product: Any) -> None:
        """Write new values (eager or traced; the inverse of :meth:`values`)."""
        _keras_compat.assign_all(
            [self.step, self.decay_product, *self.averages], [step, decay_product, *averages]
        )

    # Metric API: the state is not a per-epoch statistic, so it neither resets nor reports.
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("EMAState is updated by ExponentialMovingAverage.")

    def reset_state(self) -> None:
        return None

    def result(self) -> dict[str, Any]:
        return {}

    # Saving: the state is a child of the model in the weights file.
    def save_own_variables(self, store: Any) -> None:
        if not self.built_for_variables:
            return
        store["step"] = ops.convert_to_numpy(self.step.value)
        store["decay_product"] = ops.convert_to_numpy(self.decay_product.value)
        for i, average in enumerate(self.averages):
            store[str(i)] = ops.convert_to_numpy(average.value)

    def load_own_variables(self, store: Any) -> None:
        keys = set(store.keys())
        if not keys or not self.built_for_variables:
            return
        count = len(keys) - 2
        complete = keys == {"step", "decay_product"} | {str(i) for i in range(count)}
        stored = [tuple(store[str(i)].shape) for i in range(count)] if complete else sorted(keys)
        mine = [tuple(a.shape) for a in self.averages]
        if stored != mine:
            raise ValueError(
                "`variables` do not match the saved EMA state: the file holds averages of "
                f"shapes {stored}, the EMA on this model shadows {len(mine)} variables of "
                f"shapes {mine}."
            )
        self.step.assign(np.array(store["step"]))
        self.decay_product.assign(np.array(store["decay_product"]))
        for i, average in enumerate(self.averages):
            average.assign(np.array(store[str(i)]))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": None, "zero_debias": self.zero_debias}


def attached_state(model: Any, name: str) -> EMAState | None:
    """The state of the EMA called ``name`` on ``model``, or None."""
    return getattr(model, ATTRIBUTE.format(name=name), None)


def create_state(model: Any, name: str, variables: Sequence[Any], zero_debias: bool) -> EMAState:
    """Build a state for ``variables`` and attach it to ``model`` as the EMA called ``name``."""
    state = EMAState(zero_debias=zero_debias, name=f"{name}_state")
    with _creation_scope(model):
        state.build_for(variables)
    attach_state(model, name, state)
    return state


def _creation_scope(model: Any) -> Any:
    """TF: create the state where the model's variables live (e.g. a MirroredStrategy)."""
    if keras.backend.backend() == "tensorflow":
        return model.distribute_strategy.scope()
    return contextlib.nullcontext()


def attach_state(model: Any, name: str, state: EMAState) -> None:
    """Attach ``state`` to ``model`` so it is tracked in ``model.metrics`` and saved."""
    _keras_compat.track_on_built_model(model, ATTRIBUTE.format(name=name), state)
