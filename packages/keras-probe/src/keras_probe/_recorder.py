"""`ProbeRecorder`: record chosen probes during `fit`, one value per epoch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import keras
import numpy as np

from keras_probe import _backend
from keras_probe._swap import StepSwap, check_model, check_names

REDUCTIONS = ("last", "mean", "concat")


@keras.saving.register_keras_serializable(package="keras_probe")
class ProbeRecorder(keras.callbacks.Callback):
    """Record probes seen by the training step, reduced once per epoch.

    While `fit` runs, the model's train function is replaced by one that also returns the
    named probes (compiled once, honouring `jit_compile`); the original is restored when
    training ends. Validation passes are not recorded.

    Args:
        names: the probe name(s) to record: a string or a non-empty list of strings.
        reduction: how the batches of an epoch become one value per probe:
            `"last"` (default) the last batch's array; `"mean"` the mean over every training
            sample of the epoch (axis 0 removed); `"concat"` every batch concatenated on axis 0.

    Returns:
        A callback; after `fit`, `recorder.history[name]` is a list with one numpy array per
        epoch.

    Raises:
        TypeError: `names` is not a string or a list of strings.
        ValueError: `reduction` is unknown; a requested probe never appeared during an epoch.

    Example:

    >>> import numpy as np, keras
    >>> from keras_probe import ProbeRecorder, probe
    >>> class Gate(keras.layers.Dense):
    ...     def call(self, x):
    ...         return x * probe("gate", keras.ops.sigmoid(super().call(x)))
    >>> model = keras.Sequential([keras.Input((3,)), Gate(3), keras.layers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> recorder = ProbeRecorder("gate", reduction="mean")
    >>> _ = model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0, callbacks=[recorder])
    >>> len(recorder.history["gate"]), recorder.history["gate"][0].shape
    (2, (3,))
    """

    def __init__(self, names: Iterable[str] | str, reduction: str = "last") -> None:
        super().__init__()
        checked = check_names(names)
        if checked is None:
            raise TypeError(f"`names` must name at least one probe. Received: names={names!r}")
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"`reduction` must be one of {REDUCTIONS}. Received: reduction={reduction!r}"
            )
        self.names = sorted(checked)
        self.reduction = reduction
        self.history: dict[str, list[np.ndarray]] = {name: [] for name in self.names}
        self._swap: StepSwap | None = None
        self._epoch: dict[str, Any] = {}

    def get_config(self) -> dict[str, Any]:
        return {"names": list(self.names), "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ProbeRecorder:
        return cls(**config)

    def _sink(self, probes: Mapping[str, Any]) -> None:
        for key, value in probes.items():
            array = _backend.to_numpy(value)
            if self.reduction == "last":
                self._epoch[key] = array
            elif self.reduction == "concat":
                self._epoch.setdefault(key, []).append(array)
            else:
                total, count = self._epoch.get(key, (0.0, 0))
                self._epoch[key] = (total + array.astype("float64").sum(axis=0), count + len(array))

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        check_model(self.model, "model")
        self._swap = StepSwap(self.model, "train", frozenset(self.names), self._sink)
        self._swap.install()

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._swap is not None:
            self._swap.restore()
            self._swap = None

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epoch = {}

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        _backend.wait_for_host_callbacks()
        missing = [name for name in self.names if name not in self._epoch]
        if missing:
            self.on_train_end()
            raise ValueError(
                f"`names` asks for probes that the training step never recorded: {missing}. "
                f"Check the `probe(name, ...)` calls in the model. Received: names={self.names}"
            )
        for name in self.names:
            value = self._epoch[name]
            if self.reduction == "concat":
                value = np.concatenate(value, axis=0)
            elif self.reduction == "mean":
                value = (value[0] / max(value[1], 1)).astype("float32")
            self.history[name].append(value)
