"""Loss interpolation for sparse integer labels: ``lam * L(y_i) + (1 - lam) * L(y_j)``."""

from __future__ import annotations

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="keras_mixup")
class MixupLoss(keras.losses.Loss):
    """Wrap a sparse loss so it accepts mixed, packed integer labels.

    A mixer given integer labels and no ``num_classes`` returns them packed along a new last
    axis as ``[y_i, y_j, lam]``; this loss returns ``lam * loss(y_i) + (1 - lam) * loss(y_j)``
    per sample, which for cross-entropy equals the loss on mixed one-hot labels without ever
    building them (useful with many classes). Unpacked labels (evaluation data) get the plain
    loss, so the same compiled model evaluates normally.

    Args:
        loss: the per-sample loss: a name (``"sparse_categorical_crossentropy"``, default) or a
            ``keras.losses.Loss`` such as ``SparseCategoricalCrossentropy(from_logits=True)``.
        reduction, name, dtype: as in ``keras.losses.Loss``.

    Returns:
        A ``keras.losses.Loss``.

    References:
        Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018 (the loss
        interpolation form is the official implementation's).

    >>> import numpy as np
    >>> packed = np.array([[0.0, 1.0, 0.25]], "float32")  # y_i=0, y_j=1, lam=0.25
    >>> probs = np.array([[0.5, 0.5]], "float32")
    >>> round(float(MixupLoss()(packed, probs)), 4)  # -log(0.5)
    0.6931
    """

    def __init__(
        self,
        loss: Any = "sparse_categorical_crossentropy",
        reduction: str = "sum_over_batch_size",
        name: str = "mixup_loss",
        dtype: Any = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        try:
            fn = keras.losses.get(loss)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"`loss` must name a Keras loss or be a `keras.losses.Loss`. "
                f"Received: loss={loss!r}"
            ) from error
        if fn is None or not callable(fn):
            raise ValueError(
                f"`loss` must name a Keras loss or be a `keras.losses.Loss`. "
                f"Received: loss={loss!r}"
            )
        self.loss = fn
        self.init_dtype = dtype
        self._per_sample = fn.call if isinstance(fn, keras.losses.Loss) else fn

    def call(self, y_true: Any, y_pred: Any) -> Any:
        if not is_packed(y_true, y_pred):
            return self._per_sample(y_true, y_pred)
        ops = keras.ops
        y_a, y_b, lam = y_true[..., 0], y_true[..., 1], y_true[..., 2]
        if len(y_a.shape) > len(y_pred.shape) - 1:  # labels were (N, ..., 1)
            y_a, y_b, lam = (ops.squeeze(t, -1) for t in (y_a, y_b, lam))
        y_a, y_b = ops.cast(y_a, "int32"), ops.cast(y_b, "int32")
        lam = ops.cast(lam, y_pred.dtype)
        return lam * self._per_sample(y_a, y_pred) + (1.0 - lam) * self._per_sample(y_b, y_pred)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(loss=keras.losses.serialize(self.loss), dtype=self.init_dtype)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MixupLoss:
        config = dict(config)
        config["loss"] = keras.losses.deserialize(config["loss"])
        return cls(**config)


def is_packed(y_true: Any, y_pred: Any) -> bool:
    """Whether ``y_true`` holds packed ``[y_i, y_j, lam]`` labels for ``y_pred``."""
    rank, pred_rank = len(y_true.shape), len(y_pred.shape)
    if y_true.shape[-1] != 3:
        return False
    return rank == pred_rank or (rank == pred_rank + 1 and y_true.shape[-2] == 1)
