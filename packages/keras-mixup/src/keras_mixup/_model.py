"""Mixing inside ``model.fit`` (train steps only), including manifold mixup.

References:
    Verma et al., "Manifold Mixup: Better Representations by Interpolating Hidden States",
    ICML 2019.
"""

from __future__ import annotations

from typing import Any

import keras

from . import _ahead, _backend_ops, _context, _sampling
from ._base import BatchMixer
from ._keras_compat import compiled_loss, nested_layers, set_untracked
from ._sample_pairing import SamplePairing


@keras.saving.register_keras_serializable(package="keras_mixup")
class ManifoldMixup(keras.layers.Layer):
    """Marks a place where :class:`MixupModel` may mix hidden representations.

    The identity, except during a :class:`MixupModel` train step that picked this layer: then
    it returns ``lam * h_i + (1 - lam) * h_j`` with the step's partners and per-sample lambdas
    (the labels are mixed with the same lambdas). Put one or more of them between blocks of
    the model; every step mixes at one place chosen uniformly (the input included unless
    ``MixupModel(mix_input=False)``), as in the paper.

    Returns:
        The input, or its mixed version (same shape and dtype).

    >>> import numpy as np
    >>> layer = ManifoldMixup()
    >>> np.asarray(layer(np.ones((2, 3)), training=True)).tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        context = _context.active()
        if not training or context is None or id(self) not in context["positions"]:
            return inputs
        backend = _sampling.ops_backend()
        mixed = _sampling.mix_hidden(backend, inputs, context["params"])
        chosen = keras.ops.equal(context["choice"], context["positions"][id(self)])
        return keras.ops.where(chosen, mixed, inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


@keras.saving.register_keras_serializable(package="keras_mixup")
class MixupModel(keras.Model):
    """Train ``model`` on mixed batches: mixing runs in-graph in each train step only.

    ``fit`` mixes every batch with ``mixer`` before the forward pass (or at a
    :class:`ManifoldMixup` layer) and mixes the labels in ``compute_loss``; ``evaluate`` and
    ``predict`` see the plain model. Integer labels with a mixer without ``num_classes`` use
    loss interpolation, ``lam * L(y_i) + (1 - lam) * L(y_j)``, with the compiled loss, so a
    ``"sparse_categorical_crossentropy"`` model needs no change. Training metrics are computed
    against the unmixed labels. Compile the wrapper, not the inner model.

    Args:
        model: the Keras model (or layer) to train.
        mixer: a :class:`Mixup`, :class:`CutMix` or :class:`SamplePairing`; its seed generator
            and step counter are saved with the model.
        mix_input: whether the input is one of the places to mix (default True). Needs
            ``ManifoldMixup`` layers in ``model`` when False.

    Returns:
        A ``keras.Model`` whose ``predict``/``evaluate`` equal ``model``'s.

    >>> import numpy as np, keras
    >>> from keras_mixup import Mixup
    >>> inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    >>> model = MixupModel(inner, Mixup(alpha=0.4, seed=0))
    >>> model.compile("sgd", "sparse_categorical_crossentropy")
    >>> x, y = np.ones((8, 4), "float32"), np.arange(8) % 3
    >>> bool(np.isfinite(model.fit(x, y, verbose=0).history["loss"][0]))
    True
    """

    def __init__(self, model: Any, mixer: Any, mix_input: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(model, keras.layers.Layer):
            raise TypeError(f"`model` must be a Keras model or layer. Received: model={model!r}")
        if not isinstance(mixer, BatchMixer):
            raise TypeError(
                "`mixer` must be a keras_mixup mixer (Mixup, CutMix, SamplePairing). "
                f"Received: mixer={mixer!r}"
            )
        if not isinstance(mix_input, bool):
            raise TypeError(f"`mix_input` must be a bool. Received: mix_input={mix_input!r}")
        manifold = [layer for layer in nested_layers(model) if isinstance(layer, ManifoldMixup)]
        if not mix_input and not manifold:
            raise ValueError(
                "`mix_input=False` needs at least one `ManifoldMixup` layer in "
                "`model` (nowhere else to mix). Received: mix_input=False"
            )
        self.wrapped = model
        self.mixer = mixer
        self.mix_input = mix_input
        positions = {id(layer): i + 1 for i, layer in enumerate(manifold)}
        set_untracked(self, "_positions", positions)  # not saved
        # the places to mix: input (0, unless mix_input=False) and each ManifoldMixup layer
        low = 0 if mix_input else 1
        places = (low, len(manifold) + 1 - low) if manifold else None
        set_untracked(self, "_ahead", _ahead.DrawAhead(mixer, places))

    def build(self, input_shape: Any) -> None:
        if not self.wrapped.built:
            self.wrapped.build(input_shape)
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        if not training:
            return self.wrapped(inputs, training=training)
        # One input tensor (the usual case) skips the tree utilities: under PyTorch every
        # line here runs at each step, and they cost more than the mixing ops themselves.
        single = not isinstance(inputs, (list, tuple, dict))
        first = inputs if single else keras.tree.flatten(inputs)[0]
        ahead = self._ahead
        if ahead.usable(first):
            params, choice = ahead.draw(first)
        else:
            params, choice = _ahead.step_draws(self.mixer, first, ahead.places)
        backend = self.mixer.backend
        positions = self._positions
        x = inputs
        if self.mix_input:

            def mix(t: Any) -> Any:
                return _sampling.mix_inputs(backend, t, params)

            x = mix(inputs) if single else keras.tree.map_structure(mix, inputs)
            if positions:
                x = keras.tree.map_structure(
                    lambda m, t: keras.ops.where(choice == 0, m, t), x, inputs
                )
        _context.set_active({"params": params, "choice": choice, "positions": positions})
        try:
            y_pred = self.wrapped(x, training=training)
        finally:
            _context.set_active(None)
        _context.put_pending(self, params)
        return y_pred

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        params = _context.pop_pending(self) if training else None
        backend = self.mixer.backend
        encode = self.mixer.num_classes is not None and y is not None
        if params is None and encode and not _sampling.is_float(y):
            # evaluate (and Keras' symbolic build) must see the labels training sees
            y = backend.nn.one_hot(
                backend.cast(y, "int32"), self.mixer.num_classes, dtype="float32"
            )
        if params is None or y is None or isinstance(self.mixer, SamplePairing):
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        if not _sampling.is_float(y) and self.mixer.num_classes is None:
            return self._interpolated_loss(x, y, y_pred, sample_weight, params)
        y = self.mixer.mix_labels(y, params)
        if sample_weight is not None:
            sample_weight = _sampling.mix_sample_weight(backend, sample_weight, params)
        return super().compute_loss(x, y, y_pred, sample_weight, training=training)

    def _interpolated_loss(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any, params: dict[str, Any]
    ) -> Any:
        if self.mixer.label_smoothing:
            raise ValueError(
                "`label_smoothing` with integer labels needs the mixer's "
                "`num_classes` (labels are one-hot encoded first). Received: "
                f"label_smoothing={self.mixer.label_smoothing}, num_classes=None"
            )
        backend = self.mixer.backend
        y = backend.convert_to_tensor(y)  # PyTorch's train_on_batch passes numpy labels
        # per-sample weights get trailing axes to broadcast over per-step loss values
        rank = _backend_ops.loss_value_rank(y_pred)
        if sample_weight is not None:
            sample_weight = _backend_ops.expand_to_rank(
                backend, backend.cast(sample_weight, "float32"), rank
            )
        scale = _stacked_batch_scale(self.loss)
        if scale is None:  # a reduction one stacked evaluation cannot reproduce: evaluate twice
            lam = _backend_ops.expand_to_rank(backend, params["lam_y"], rank)
            index = params["index"]
            weight_a, weight_b = lam, 1.0 - lam
            if sample_weight is not None:
                weight_a = weight_a * sample_weight
                weight_b = weight_b * _backend_ops.take_rows(backend, sample_weight, index)
            weight_a, weight_b = (
                _backend_ops.weights_per_value(backend, w, y_pred) for w in (weight_a, weight_b)
            )
            loss = super().compute_loss(x, y, y_pred, weight_a, training=True)
            y_b = _backend_ops.take_rows(backend, y, index)
            return loss + compiled_loss(self)(y_b, y_pred, weight_b)

        # One evaluation of the compiled loss over the batch stacked twice, [y; y_b] against
        # [y_pred; y_pred] with weights [lam; 1 - lam]: the same value as the two evaluations,
        # with half the loss ops in every train step (what mixing costs on a small model is
        # mostly op count).
        pairs, shares = _sampling.loss_pairs(backend, params)
        shares = _backend_ops.expand_to_rank(backend, shares, rank)
        if sample_weight is not None:
            shares = shares * _backend_ops.take_rows(backend, sample_weight, pairs)

        def stack(a: Any, b: Any) -> Any:
            return backend.numpy.concatenate([a, b], axis=0)

        y_pair = _backend_ops.take_rows(backend, y, pairs)
        y_pred_twice = _backend_ops.stack_twice(y_pred, stack)
        shares = _backend_ops.weights_per_value(backend, scale * shares, y_pred_twice)
        return super().compute_loss(x, y_pair, y_pred_twice, shares, training=True)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            model=keras.saving.serialize_keras_object(self.wrapped),
            mixer=keras.saving.serialize_keras_object(self.mixer),
            mix_input=self.mix_input,
        )
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> MixupModel:
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(config["model"], custom_objects)
        config["mixer"] = keras.saving.deserialize_keras_object(config["mixer"], custom_objects)
        return cls(**config)


def _stacked_batch_scale(loss: Any) -> float | None:
    """The sample-weight factor that makes one loss evaluation over a batch stacked twice equal
    ``lam * L(y_a) + (1 - lam) * L(y_b)``, or None when it cannot (reduction ``none``, one loss
    per output): then the loss is evaluated twice."""
    if isinstance(loss, keras.losses.Loss):
        reduction = loss.reduction
    elif isinstance(loss, str) or callable(loss):
        reduction = "sum_over_batch_size"  # Keras wraps it with its default reduction
    else:
        return None
    # "sum_over_batch_size" divides by the stacked (doubled) batch size, "sum" does not, and
    # "mean_with_sample_weight" divides by the weights' sum: lam + (1 - lam) per sample
    scales = {"sum_over_batch_size": 2.0, "mean": 2.0, "sum": 1.0, "mean_with_sample_weight": 1.0}
    return scales.get(reduction)
