"""The common base of every batch mixer: seeds, backend switching, the data-pipeline call."""

from __future__ import annotations

from typing import Any

import keras

from . import _sampling
from ._keras_compat import in_tf_graph, set_untracked

SEED_KEY = "seed_generator_state"


class BatchMixer(keras.layers.Layer):
    """Base class of :class:`Mixup`, :class:`CutMix` and :class:`SamplePairing`.

    Subclasses implement ``draw(x, seed=None)`` returning the batch's ``MixParams`` (see
    ``keras_mixup._sampling``). Calling a mixer mixes one batch:
    ``mixer(x, y=None, sample_weight=None)`` returns ``x``, ``(x, y)`` or ``(x, y, sample_weight)``
    mixed. It can be called eagerly (a ``PyDataset``), inside ``tf.data.Dataset.map`` on any
    backend (TensorFlow ops are used there), or by :class:`MixupModel` inside ``fit``.

    The seed generator's state is saved with the layer, so a reloaded model continues the same
    random sequence.

    Args:
        label_smoothing: in [0, 1); applied to labels before mixing. Default 0.
        num_classes: None or an int >= 2, the number of classes used to one-hot integer
            labels; None keeps them sparse. Default None.
        seed: int or None, seed of the stored ``SeedGenerator``. Default None.
        **kwargs: passed to ``keras.layers.Layer``.

    Raises:
        ValueError: ``label_smoothing`` or ``num_classes`` is out of range.
        TypeError: ``seed`` is not an int.

    >>> import numpy as np
    >>> from keras_mixup import BatchMixer, CutMix, Mixup, SamplePairing
    >>> all(issubclass(cls, BatchMixer) for cls in (Mixup, CutMix, SamplePairing))
    True
    >>> mixer = Mixup(alpha=0.4, label_smoothing=0.1, seed=0)
    >>> x, y = np.ones((4, 3), "float32"), np.eye(4, dtype="float32")
    >>> [tuple(t.shape) for t in mixer(x, y, np.ones((4,), "float32"))]
    [(4, 3), (4, 4), (4,)]
    >>> tuple(mixer(x).shape)
    (4, 3)
    >>> try:
    ...     Mixup(label_smoothing=1.0)
    ... except ValueError as error:
    ...     print(error)
    `label_smoothing` must be a number in [0, 1). Received: label_smoothing=1.0
    """

    def __init__(
        self,
        label_smoothing: float = 0.0,
        num_classes: int | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(label_smoothing, (int, float)) or not 0.0 <= label_smoothing < 1.0:
            raise ValueError(
                "`label_smoothing` must be a number in [0, 1). "
                f"Received: label_smoothing={label_smoothing!r}"
            )
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 2):
            raise ValueError(
                "`num_classes` must be None or an integer >= 2. "
                f"Received: num_classes={num_classes!r}"
            )
        if seed is not None and not isinstance(seed, int):
            raise TypeError(f"`seed` must be None or an integer. Received: seed={seed!r}")
        self.label_smoothing = float(label_smoothing)
        self.num_classes = num_classes
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)
        self.backend = _sampling.ops_backend()
        self.built = True
        set_untracked(self, "_tf_generators", {})  # never saved

    # -- randomness --------------------------------------------------------------------------

    def seed_source(self) -> Any:
        """The seed generator of the backend in use (a TensorFlow one inside ``tf.data``)."""
        if self.backend.name == keras.backend.backend():
            return self.generator
        if "generator" not in self._tf_generators:
            state = keras.ops.convert_to_numpy(self.generator.state)
            seed = self.seed if self.seed is not None else int(state[0])
            self._tf_generators["generator"] = keras.random.SeedGenerator(
                seed, backend=self.backend
            )
        return self._tf_generators["generator"]

    def draw(self, x: Any, seed: Any = None) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- applying ----------------------------------------------------------------------------

    def mix_labels(self, y: Any, params: dict[str, Any]) -> Any:
        """Mix labels (see ``_sampling.mix_labels``)."""
        return _sampling.mix_labels(
            self.backend,
            y,
            params,
            label_smoothing=self.label_smoothing,
            num_classes=self.num_classes,
        )

    def __call__(
        self, x: Any, y: Any = None, sample_weight: Any = None, *, seed: int | None = None
    ) -> Any:
        """Mix one batch. ``seed`` (an int) replaces the stored generator for this call."""
        switched = False
        first = keras.tree.flatten(x)[0]
        if (
            in_tf_graph()
            and keras.backend.backend() != "tensorflow"
            and not isinstance(first, keras.KerasTensor)
        ):
            self.backend.set_backend("tensorflow")
            switched = True
        try:
            convert = self.backend.convert_to_tensor
            x = convert(x)
            y = None if y is None else convert(y)
            sample_weight = None if sample_weight is None else convert(sample_weight)
            check_batch(x, y, sample_weight)
            params = self.draw(x, seed=seed)
            mixed = _sampling.mix_inputs(self.backend, x, params)
            if y is None:
                return mixed
            out: tuple[Any, ...] = (mixed, self.mix_labels(y, params))
            if sample_weight is not None:
                out += (_sampling.mix_sample_weight(self.backend, sample_weight, params),)
            return out
        finally:
            if switched:
                self.backend.reset()

    def call(self, x: Any, y: Any = None, sample_weight: Any = None) -> Any:
        return self(x, y, sample_weight)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    # -- saving ------------------------------------------------------------------------------

    def save_own_variables(self, store: Any) -> None:
        super().save_own_variables(store)
        store[SEED_KEY] = self.generator.state

    def load_own_variables(self, store: Any) -> None:
        own = {k: store[k] for k in store.keys() if k != SEED_KEY}  # noqa: SIM118 (no __iter__)
        if own:
            super().load_own_variables(own)
        if SEED_KEY in store:
            self.generator.state.assign(store[SEED_KEY])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            label_smoothing=self.label_smoothing, num_classes=self.num_classes, seed=self.seed
        )
        return config


def check_batch(x: Any, y: Any, sample_weight: Any) -> None:
    """Labels and weights must have the batch size of ``x`` (when the sizes are static)."""
    n = x.shape[0]
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is None:
            continue
        m = value.shape[0] if len(value.shape) else None
        if len(value.shape) == 0 or (n is not None and m is not None and int(m) != int(n)):
            raise ValueError(
                f"`{name}` must have the batch size of `x` (first axis). Received: "
                f"x.shape={tuple(x.shape)}, {name}.shape={tuple(value.shape)}"
            )
