"""mixup and CutMix for batches of any rank, as in timm's ``Mixup`` but in-graph and for Keras.

References:
    Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018.
    Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable
    Features", ICCV 2019.
"""

from __future__ import annotations

from typing import Any

import keras

from . import _sampling
from ._base import BatchMixer


def _check_alpha(name: str, value: Any, allow_none: bool) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        rule = "None or a number > 0" if allow_none else "a number > 0"
        raise ValueError(
            f"`{name}` must be {rule} (the Beta(alpha, alpha) parameter). "
            f"Received: {name}={value!r}"
        )
    return float(value)


def _check_prob(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"`{name}` must be a probability in [0, 1]. Received: {name}={value!r}")
    return float(value)


def _check_mode(mode: Any) -> str:
    if mode not in _sampling.MODES:
        raise ValueError(f"`mode` must be one of {_sampling.MODES}. Received: mode={mode!r}")
    return str(mode)


@keras.saving.register_keras_serializable(package="keras_mixup")
class Mixup(BatchMixer):
    """mixup (and optionally CutMix) of a batch: inputs of any rank, labels of any kind.

    Each mixed sample is ``lam * x_i + (1 - lam) * x_j`` with ``lam ~ Beta(alpha, alpha)`` and
    ``j`` a random partner in the batch; its label is ``lam * y_i + (1 - lam) * y_j``. With
    ``cutmix_alpha`` set, a fraction ``switch_prob`` of the mixes paste a box of ``x_j`` into
    ``x_i`` instead (inputs of rank >= 3, channels last) and ``lam`` becomes the kept area.

    Labels: float labels (one-hot, soft, regression) are mixed linearly. Integer class ids are
    one-hot encoded when ``num_classes`` is given; otherwise they come back packed as
    ``(..., 3)`` = ``[y_i, y_j, lam]`` for :class:`MixupLoss` (the loss is interpolated).

    Args:
        alpha: mixup's Beta parameter, > 0 (0.2 to 0.4 for images, 0.1 to 1 for tabular), or
            None for CutMix only. Default 0.2.
        cutmix_alpha: CutMix's Beta parameter, > 0, or None (default) for no CutMix.
        prob: probability in [0, 1] that a batch/pair/sample is mixed at all. Default 1.
        switch_prob: probability in [0, 1] of CutMix instead of mixup when both are on.
            Default 0.5.
        mode: ``"batch"`` (one lambda per batch, default), ``"pair"`` (one per pair of partners)
            or ``"elem"`` (one per sample).
        label_smoothing: in [0, 1); applied to labels before mixing. Default 0.
        num_classes: number of classes used to one-hot integer labels; None keeps them sparse.
        seed: int or None, seed of the stored ``SeedGenerator``.

    Returns:
        Calling ``mixer(x, y=None, sample_weight=None)`` returns the mixed ``x`` (float), or
        ``(x, y)``, or ``(x, y, sample_weight)``; sample weights are mixed like labels.

    >>> import numpy as np
    >>> mixer = Mixup(alpha=0.4, seed=0)
    >>> x, y = mixer(np.ones((5, 3), "float32"), np.eye(5, dtype="float32"))
    >>> tuple(x.shape), tuple(y.shape), bool(np.allclose(np.sum(np.asarray(y), -1), 1.0))
    ((5, 3), (5, 5), True)
    """

    def __init__(
        self,
        alpha: float | None = 0.2,
        cutmix_alpha: float | None = None,
        prob: float = 1.0,
        switch_prob: float = 0.5,
        mode: str = "batch",
        label_smoothing: float = 0.0,
        num_classes: int | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.alpha = _check_alpha("alpha", alpha, allow_none=cutmix_alpha is not None)
        self.cutmix_alpha = _check_alpha("cutmix_alpha", cutmix_alpha, allow_none=True)
        self.prob = _check_prob("prob", prob)
        self.switch_prob = _check_prob("switch_prob", switch_prob)
        self.mode = _check_mode(mode)
        super().__init__(
            label_smoothing=label_smoothing, num_classes=num_classes, seed=seed, **kwargs
        )

    def draw(self, x: Any, seed: Any = None) -> dict[str, Any]:
        """Draw this batch's mixing parameters (advances the seed generator)."""
        if self.cutmix_alpha is not None and len(x.shape) < 3:
            raise ValueError(
                "CutMix (`cutmix_alpha`) needs inputs `x` with spatial axes, rank >= 3: (N, T, F) "
                "sequences or (N, H, W, C) images; tabular (N, F) inputs have none, use mixup. "
                f"Received: x.shape={tuple(x.shape)}"
            )
        return _sampling.draw(
            self.backend,
            seed if seed is not None else self.seed_source(),
            x,
            alpha=self.alpha,
            cutmix_alpha=self.cutmix_alpha,
            prob=self.prob,
            switch_prob=self.switch_prob,
            mode=self.mode,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            alpha=self.alpha,
            cutmix_alpha=self.cutmix_alpha,
            prob=self.prob,
            switch_prob=self.switch_prob,
            mode=self.mode,
        )
        return config


@keras.saving.register_keras_serializable(package="keras_mixup")
class CutMix(Mixup):
    """CutMix: paste a random box of a partner sample; the label weight is the kept area.

    The box covers a fraction ``1 - lam`` (``lam ~ Beta(alpha, alpha)``) of the spatial axes of
    channels-last inputs: ``(N, H, W, C)`` images, ``(N, T, F)`` sequences (a time segment) or
    ``(N, D, H, W, C)`` volumes. Rank-2 (tabular) inputs raise an error. Same call and labels as
    :class:`Mixup`.

    Args:
        alpha: Beta parameter, > 0. Default 1.0 (the paper's choice).
        prob, mode, label_smoothing, num_classes, seed: as in :class:`Mixup`.

    Returns:
        As :class:`Mixup`.

    >>> import numpy as np
    >>> x = np.arange(2 * 4 * 4, dtype="float32").reshape(2, 4, 4, 1)
    >>> mixed, y = CutMix(seed=1)(x, np.array([0, 1]))
    >>> tuple(mixed.shape), tuple(y.shape)
    ((2, 4, 4, 1), (2, 3))
    """

    def __init__(
        self,
        alpha: float = 1.0,
        prob: float = 1.0,
        mode: str = "batch",
        label_smoothing: float = 0.0,
        num_classes: int | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        for key in ("cutmix_alpha", "switch_prob"):
            kwargs.pop(key, None)  # present in configs of the parent class only
        _check_alpha("alpha", alpha, allow_none=False)
        super().__init__(
            alpha=None,
            cutmix_alpha=alpha,
            prob=prob,
            mode=mode,
            label_smoothing=label_smoothing,
            num_classes=num_classes,
            seed=seed,
            **kwargs,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["alpha"] = config.pop("cutmix_alpha")
        config.pop("switch_prob")
        return config
