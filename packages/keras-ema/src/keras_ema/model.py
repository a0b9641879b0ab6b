"""`EMAModel`: a model wrapper whose config names its EMA state, so `load_model` restores it.

``keras.saving.load_model`` rebuilds a model from its config and then reads the weights file
into the objects that config created. A callback's state attached to an arbitrary model is not
in that config, so a bare ``load_model`` cannot recreate it. ``EMAModel(model)`` closes the
gap: it calls the wrapped model, adds no weights, and records in its own config which EMA
states it carries (name, target, variable set, zero-debias). ``from_config`` recreates them,
and Keras' loader then fills them from the file: averages, step counter and decay product.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from keras_ema.state import EMAState, attached_state, create_state

#: Keys of one entry of ``EMAModel(states=...)``.
STATE_KEYS = ("name", "target", "include_non_trainable", "zero_debias")


def shadowed_variables(model: Any, target: str | None, include_non_trainable: bool) -> list[Any]:
    """The variables an EMA of ``model`` averages (``target`` is looked up in an `EMAModel`'s
    wrapped model); raises a ValueError naming `target` if there are none."""
    layer = model.inner if isinstance(model, EMAModel) else model
    if target is not None:
        try:
            layer = layer.get_layer(target)
        except ValueError as error:
            raise ValueError(
                f"`target` names no sub-layer of the model. Received: target={target!r}"
            ) from error
    variables = list(layer.trainable_variables)
    if include_non_trainable:
        variables += list(layer.non_trainable_variables)
    if not variables:
        raise ValueError(f"`target` has no variables to average. Received: target={target!r}")
    return variables


def _check_spec(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or set(spec) != set(STATE_KEYS):
        raise ValueError(
            f"`states` entries must be dicts with keys {list(STATE_KEYS)}. Received: "
            f"states=[..., {spec!r}, ...]"
        )
    return {key: spec[key] for key in STATE_KEYS}


@keras.saving.register_keras_serializable(package="keras_ema")
class EMAModel(keras.Model):
    """Wrap a model so its EMA state is part of the model: ``load_model`` alone restores it.

    Compile and fit the wrapper as you would the model. Every
    :class:`keras_ema.ExponentialMovingAverage` attached to it records its state here, so
    ``model.save(...)`` followed by ``keras.saving.load_model(...)`` (with ``keras_ema``
    imported or its objects in ``custom_objects``) gives back the averages and the step
    counter, and a new callback with the same ``name`` continues from them. The wrapper adds no
    weights: ``weights``, ``get_weights`` and predictions are those of the wrapped model. The
    train step is Keras' default one; a model with its own ``train_step`` (e.g. a GAN) keeps
    the plain callback and restores with ``ema.attach(model); model.load_weights(path)``.

    Args:
        model: the Keras model (or layer) to wrap.
        states: EMA states to create, as dicts with keys ``name``, ``target``,
            ``include_non_trainable``, ``zero_debias``. Default ``None`` (none yet; the
            callback adds its own on attach). Filled in by ``get_config``.
        **kwargs: ``name``, ``trainable``, ``dtype`` of ``keras.Model``.

    >>> import keras, numpy as np
    >>> from keras_ema import ExponentialMovingAverage
    >>> model = EMAModel(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]))
    >>> model.compile("sgd", "mse")
    >>> ema = ExponentialMovingAverage(decay=0.9)
    >>> _ = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, verbose=0, callbacks=[ema])
    >>> model.get_config()["states"]
    [{'name': 'ema', 'target': None, 'include_non_trainable': True, 'zero_debias': False}]
    """

    def __init__(self, model: Any, states: Sequence[dict[str, Any]] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(model, keras.layers.Layer):
            raise TypeError(f"`model` must be a Keras model or layer. Received: model={model!r}")
        if states is None:
            states = []
        if not isinstance(states, list | tuple):
            raise TypeError(f"`states` must be a list of dicts. Received: states={states!r}")
        self.inner = model
        self._state_specs = [_check_spec(spec) for spec in states]
        names = [spec["name"] for spec in self._state_specs]
        if len(set(names)) != len(names):
            raise ValueError(f"`states` names must be distinct. Received: states={states!r}")
        if model.built and model.weights:
            self._create_states()
            self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        return self.inner(inputs, training=training)

    def build(self, input_shape: Any = None) -> None:
        if not self.inner.built:
            self.inner.build(input_shape)
        self._create_states()

    def ema_state(
        self, name: str, target: str | None, include_non_trainable: bool, zero_debias: bool
    ) -> EMAState:
        """The state of the EMA ``name``, created (and recorded in the config) if missing."""
        spec = {
            "name": name,
            "target": target,
            "include_non_trainable": include_non_trainable,
            "zero_debias": zero_debias,
        }
        if all(s["name"] != name for s in self._state_specs):
            self._state_specs.append(spec)
        self._create_states()
        state = attached_state(self, name)
        assert state is not None
        return state

    def _create_states(self) -> None:
        for spec in self._state_specs:
            if attached_state(self, spec["name"]) is None:
                variables = shadowed_variables(self, spec["target"], spec["include_non_trainable"])
                create_state(self, spec["name"], variables, spec["zero_debias"])

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "model": keras.saving.serialize_keras_object(self.inner),
            "states": [dict(spec) for spec in self._state_specs],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> EMAModel:
        config = dict(config)
        model = keras.saving.deserialize_keras_object(
            config.pop("model"), custom_objects=custom_objects
        )
        return cls(model, **config)
