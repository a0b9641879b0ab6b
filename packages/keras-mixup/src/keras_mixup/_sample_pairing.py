"""SamplePairing: average each sample with a random partner, keep the first label.

Reference:
    Inoue, "Data Augmentation by Pairing Samples for Images Classification", arXiv:1801.02929,
    2018. The paper trains without SamplePairing first, then switches it on and off in cycles
    (8 epochs on, 2 off on CIFAR) and ends without it; ``start_step``, ``on_steps``,
    ``off_steps`` and ``stop_step`` express that schedule in training steps.
"""

from __future__ import annotations

from typing import Any, cast

import keras

from . import _sampling
from ._base import BatchMixer
from ._keras_compat import set_untracked
from ._mixup import _check_prob


def _check_steps(name: str, value: Any, allow_none: bool, minimum: int = 0) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        rule = f"an integer >= {minimum}" + (" or None" if allow_none else "")
        raise ValueError(f"`{name}` must be {rule}. Received: {name}={value!r}")
    return value


def schedule_active(
    step: Any,
    start_step: int,
    on_steps: int | None,
    off_steps: int,
    stop_step: int | None,
    backend: Any = None,
) -> Any:
    """Whether SamplePairing is on at ``step`` (0-based); works on ints and tensors."""
    np_ = (backend or _sampling.ops_backend()).numpy
    active = step >= start_step
    if stop_step is not None:
        active = np_.logical_and(active, step < stop_step)
    if on_steps is not None and off_steps:
        phase = np_.mod(step - start_step, on_steps + off_steps)
        active = np_.logical_and(active, phase < on_steps)
    return active


@keras.saving.register_keras_serializable(package="keras_mixup")
class SamplePairing(BatchMixer):
    """SamplePairing with the paper's on/off schedule, counted in training steps.

    A mixed sample is ``(x_i + x_j) / 2`` with ``j`` a random partner (pairs are disjoint:
    ``j`` is paired with ``i``; with an odd batch one sample is left alone); its label stays
    ``y_i`` (labels and sample weights pass through unchanged, integer labels stay integer).
    A non-trainable ``step`` variable counts the batches this layer mixed (saved with the
    model), and the schedule decides from it whether a batch is mixed at all.

    Args:
        prob: probability in [0, 1] that a pair is averaged while the schedule is on. Default 1.
        start_step: first step (>= 0) at which pairing starts. Default 0.
        on_steps: length (>= 1) of the "on" phase of each cycle, or None (default) for always
            on after ``start_step``.
        off_steps: length (>= 0) of the "off" phase of each cycle. Default 0.
        stop_step: step from which pairing stops for good (fine-tuning), or None (default).
        seed: int or None, seed of the stored ``SeedGenerator``.

    Returns:
        Called like :class:`Mixup`: the mixed ``x``, ``(x, y)`` or ``(x, y, sample_weight)``.

    >>> import numpy as np
    >>> pairing = SamplePairing(start_step=1, seed=0)
    >>> x = np.array([[0.0], [2.0]], "float32")
    >>> [np.asarray(pairing(x)).ravel().tolist() for _ in range(2)]
    [[0.0, 2.0], [1.0, 1.0]]
    """

    def __init__(
        self,
        prob: float = 1.0,
        start_step: int = 0,
        on_steps: int | None = None,
        off_steps: int = 0,
        stop_step: int | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.prob = _check_prob("prob", prob)
        # allow_none=False: an int
        self.start_step = cast(int, _check_steps("start_step", start_step, allow_none=False))
        self.on_steps = _check_steps("on_steps", on_steps, allow_none=True, minimum=1)
        self.off_steps = cast(int, _check_steps("off_steps", off_steps, allow_none=False))
        self.stop_step = _check_steps("stop_step", stop_step, allow_none=True)
        if self.off_steps and self.on_steps is None:
            raise ValueError(
                "`off_steps` needs `on_steps` (the length of the on phase). "
                f"Received: off_steps={off_steps}, on_steps=None"
            )
        super().__init__(seed=seed, **kwargs)
        self.step = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            name="step",
            aggregation="only_first_replica",
        )
        set_untracked(self, "_tf_step", None)

    def _step_variable(self) -> Any:
        if self.backend.name == keras.backend.backend():
            return self.step
        if self._tf_step is None:  # inside tf.data on another backend: a TF twin of the counter
            import tensorflow as tf

            start = int(keras.ops.convert_to_numpy(self.step))
            set_untracked(self, "_tf_step", tf.Variable(start, dtype="int32", trainable=False))
        return self._tf_step

    def draw(self, x: Any, seed: Any = None) -> dict[str, Any]:
        """Draw this batch's pairing (advances the seed generator and the step counter)."""
        counter = self._step_variable()
        step = counter.value if counter is self.step else self.backend.convert_to_tensor(counter)
        active = schedule_active(
            step, self.start_step, self.on_steps, self.off_steps, self.stop_step, self.backend
        )
        counter.assign(step + 1)
        return _sampling.draw(
            self.backend,
            seed if seed is not None else self.seed_source(),
            x,
            alpha=None,
            cutmix_alpha=None,
            prob=self.prob,
            switch_prob=0.0,
            mode="pair",
            fixed_lam=0.5,
            keep_first_label=True,
            active=active,
        )

    def mix_labels(self, y: Any, params: dict[str, Any]) -> Any:
        """Labels are kept: SamplePairing trains on the first sample's label."""
        return y

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        for key in ("label_smoothing", "num_classes"):
            config.pop(key)
        config.update(
            prob=self.prob,
            start_step=self.start_step,
            on_steps=self.on_steps,
            off_steps=self.off_steps,
            stop_step=self.stop_step,
        )
        return config
