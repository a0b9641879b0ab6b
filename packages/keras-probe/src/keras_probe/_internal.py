"""Layers that add a loss or report a metric computed from tensors inside the model."""

from __future__ import annotations

import warnings
from typing import Any

import keras
from keras import ops


def _split(inputs: Any) -> tuple[Any, Any]:
    """`values` or `[passthrough, values]` -> (passthrough, values)."""
    if isinstance(inputs, (list, tuple)):
        if len(inputs) != 2:
            raise ValueError(
                "`inputs` must be a tensor of values or a list `[passthrough, values]`. "
                f"Received: inputs with {len(inputs)} elements"
            )
        return inputs[0], inputs[1]
    return inputs, inputs


@keras.saving.register_keras_serializable(package="keras_probe")
class AddLoss(keras.layers.Layer):
    """Add `weight * mean(values)` to the model's loss and pass a tensor through.

    For models trained with `compile(loss=None)` (a VAE's KL and reconstruction terms) or an
    auxiliary term next to the compiled loss. The layer must sit on the path to an output, so
    it returns its first input: `x = AddLoss(0.1)([x, values])`.

    Args:
        weight: float >= 0 multiplying the mean of `values`; default 1.0.

    Returns:
        `passthrough` (or `values` when called on one tensor), unchanged.

    Example:

    >>> import numpy as np, keras
    >>> from keras_probe import AddLoss
    >>> layer = AddLoss(weight=0.5)
    >>> _ = layer(np.array([1.0, 3.0], "float32"))
    >>> float(layer.losses[0])
    1.0
    """

    def __init__(self, weight: float = 1.0, **kwargs: Any) -> None:
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight < 0:
            raise ValueError(f"`weight` must be a float >= 0. Received: weight={weight!r}")
        super().__init__(**kwargs)
        self.weight = float(weight)

    def call(self, inputs: Any) -> Any:
        passthrough, values = _split(inputs)
        self.add_loss(self.weight * ops.mean(ops.cast(values, "float32")))
        return passthrough

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0] if isinstance(input_shape, list) else input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "weight": self.weight}


@keras.saving.register_keras_serializable(package="keras_probe")
class AddMetric(keras.layers.Layer):
    """Report the mean of an internal tensor as the named metric `metric_name`.

    The value is accumulated in a `keras.metrics.Mean` owned by the layer, so the progress bar,
    `History` and `evaluate` show the mean over every sample of the epoch (not the last batch),
    and distribution strategies aggregate its state across replicas.

    On the JAX backend Keras cannot update metric state inside a layer during `fit`/`evaluate`
    (keras-team/keras#21639); there the layer skips the update with a warning and the metric
    reads 0.

    Args:
        metric_name: name shown in logs and `History`; non-empty string.

    Returns:
        `passthrough` (or `values` when called on one tensor), unchanged.

    Example:

    >>> import numpy as np, keras
    >>> from keras_probe import AddMetric
    >>> layer = AddMetric("activation_mean")
    >>> _ = layer(np.array([[1.0, 3.0]], "float32"))
    >>> float(layer.tracker.result())
    2.0
    """

    def __init__(self, metric_name: str, **kwargs: Any) -> None:
        if not isinstance(metric_name, str) or not metric_name:
            raise ValueError(
                f"`metric_name` must be a non-empty string. Received: metric_name={metric_name!r}"
            )
        super().__init__(**kwargs)
        self.metric_name = metric_name
        self.tracker = keras.metrics.Mean(name=metric_name)

    def call(self, inputs: Any) -> Any:
        passthrough, values = _split(inputs)
        if _metric_state_available(self.tracker):
            self.tracker.update_state(ops.cast(values, "float32"))
        return passthrough

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0] if isinstance(input_shape, list) else input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "metric_name": self.metric_name}


_warned = False


def _metric_state_available(metric: Any) -> bool:
    """False inside a JAX stateless call that does not carry the metric's variables."""
    global _warned
    if keras.backend.backend() != "jax":
        return True
    from keras.src.backend.common.stateless_scope import get_stateless_scope

    scope = get_stateless_scope()
    if scope is None or all(
        scope.get_current_value(v) is not None or v._value is not None for v in metric.variables
    ):
        return True
    if not _warned:
        _warned = True
        warnings.warn(
            "keras_probe.AddMetric: JAX's fit/evaluate do not let a layer update metric state "
            "(keras-team/keras#21639); the metric is not updated on this backend.",
            stacklevel=2,
        )
    return False
