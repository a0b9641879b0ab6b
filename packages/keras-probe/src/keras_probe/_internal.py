"""Layers that add a loss or report a metric computed from tensors inside the model."""

from __future__ import annotations

import weakref
from typing import Any

import keras
from keras import ops

from keras_probe import _backend, _keras_compat


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


class _LayerMean(keras.metrics.Metric):
    """The metric `model.metrics` lists for an `AddMetric`: reads and resets the layer's state.

    The running sum and count live in the layer's non-trainable variables: Keras' JAX trainer
    passes those into the forward pass and returns them, while it does not pass metric
    variables there (keras-team/keras#21639). On JAX the step then computes its per-batch logs
    in a scope that maps metric variables only, so this metric also owns a `mirror` of
    `(sum, count)`, a metric variable the model's `compute_loss` copies the layer's state into
    (`_backend.sync_in_compute_loss`); NaN means "not written since the last reset".
    """

    def __init__(self, layer: AddMetric, name: str) -> None:
        super().__init__(name=name)
        # A weak reference: the layer owns the metric, and Keras' loader walks attributes that
        # are layers without a visited set, so a plain back-reference would recurse forever.
        self._layer = weakref.ref(layer)
        self.mirror = None
        if _backend.name() == "jax":
            self.mirror = self.add_variable(
                shape=(2,), initializer=keras.initializers.Constant(float("nan")), name="mirror"
            )

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("AddMetric updates its state when the layer is called.")

    def copy_layer_state(self) -> None:
        """mirror <- (sum, count) of the layer (JAX only)."""
        layer = self._layer()
        if self.mirror is not None and layer is not None and layer.built:
            self.mirror.assign(ops.stack([layer.total, layer.count]))

    def _owner(self) -> AddMetric:
        layer = self._layer()
        if layer is None:
            raise RuntimeError(f"The `AddMetric` layer of metric {self.name!r} no longer exists.")
        return layer

    def result(self) -> Any:
        layer = self._owner()
        total, count = layer.total, layer.count
        if _backend.has_value(total) and _backend.has_value(count):
            value = ops.divide_no_nan(total, count)
        else:
            value = ops.convert_to_tensor(float("nan"))
        if self.mirror is None:
            return value
        mirror = ops.convert_to_tensor(self.mirror)
        from_mirror = ops.divide_no_nan(mirror[0], mirror[1])
        return ops.where(ops.isnan(mirror[1]), value, from_mirror)

    def reset_state(self) -> None:
        layer = self._owner()
        if layer.built:
            layer.total.assign(0.0)
            layer.count.assign(0.0)
        if self.mirror is not None:
            self.mirror.assign(ops.full((2,), float("nan")))


@keras.saving.register_keras_serializable(package="keras_probe")
class AddMetric(keras.layers.Layer):
    """Report the mean of an internal tensor as the named metric `metric_name`.

    The layer keeps a running sum and sample count in two non-trainable float32 variables
    (`total`, `count`) and lists a metric named `metric_name` in `model.metrics` that reads
    `total / count` and resets them each epoch. So the progress bar, `History` and `evaluate`
    show the mean over every sample of the epoch (not the last batch); each sample counts once,
    with the mean of its values. Under a TF `MirroredStrategy` each replica keeps its own sum
    and count, added up when read (as Keras' metrics do); JAX data parallelism sums over the
    global batch.

    On JAX, Keras computes the per-batch logs inside the compiled step from metric variables
    only; the layer copies its state into one at the end of the model's `compute_loss`, so
    batch-level callbacks and the progress bar see the running mean there too (see the
    README for how, and for custom JAX train steps).

    Args:
        metric_name: name shown in logs and `History`; non-empty string.

    Returns:
        `passthrough` (or `values` when called on one tensor), unchanged.

    Example:

    >>> import numpy as np, keras
    >>> from keras_probe import AddMetric
    >>> layer = AddMetric("activation_mean")
    >>> _ = layer(np.array([[1.0, 3.0], [5.0, 7.0]], "float32"))
    >>> _ = layer(np.array([[0.0, 0.0]], "float32"))
    >>> round(float(layer.tracker.result()), 4)  # sample means 2, 6 and 0
    2.6667
    """

    def __init__(self, metric_name: str, **kwargs: Any) -> None:
        if not isinstance(metric_name, str) or not metric_name:
            raise ValueError(
                f"`metric_name` must be a non-empty string. Received: metric_name={metric_name!r}"
            )
        super().__init__(**kwargs)
        self.metric_name = metric_name
        self.tracker = _LayerMean(self, name=metric_name)

    def build(self, input_shape: Any) -> None:
        # Like a metric's own state: on TF, "on_read" keeps one copy per replica, summed when
        # read across replicas (a mirrored "sum" variable would sum `old + delta` per replica).
        self.total = _state("total")
        self.count = _state("count")

    @property
    def weights(self) -> list[Any]:
        # Metric state, not weights (Keras keeps metric state out of `weights` too): it stays
        # out of `get_weights`, `count_params` and weight comparisons, while `variables` and
        # `non_trainable_variables`, which the JAX trainer threads through its steps, keep it.
        state = {id(self.total), id(self.count)} if self.built else set()
        return [w for w in super().weights if id(w) not in state]

    def call(self, inputs: Any) -> Any:
        passthrough, values = _split(inputs)
        values = ops.stop_gradient(ops.cast(values, "float32"))
        if len(values.shape) == 0:
            values = ops.reshape(values, (1,))
        per_sample = ops.mean(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)
        self.total.assign_add(ops.sum(per_sample))
        self.count.assign_add(ops.cast(ops.shape(per_sample)[0], "float32"))
        if _backend.name() == "jax":
            if _backend.in_traced_step():
                _backend.sync_in_compute_loss(self, _sync_trackers)
            else:
                self.tracker.copy_layer_state()
        return passthrough

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0] if isinstance(input_shape, list) else input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "metric_name": self.metric_name}


def _sync_trackers(model: keras.Model) -> None:
    for layer in _keras_compat.flatten_layers(model):
        if isinstance(layer, AddMetric):
            layer.tracker.copy_layer_state()


def _state(name: str) -> keras.Variable:
    return keras.Variable(
        0.0,
        dtype="float32",
        trainable=False,
        autocast=False,
        aggregation="sum",
        synchronization="on_read",
        name=name,
    )
