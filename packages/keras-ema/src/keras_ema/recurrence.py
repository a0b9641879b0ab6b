"""The EMA recurrence as pure functions of tensors (``keras.ops`` only).

Both the compiled train-step update and the eager ``ExponentialMovingAverage.update()`` call
these, and the unit tests compare them with a numpy transcription. Nothing here touches a
variable: values in, values out, so the same code runs inside ``jax.jit`` (stateless), a
``tf.function`` and eager PyTorch.

With ``step`` the 1-based count of training steps seen and ``t = step - start_step``:

* ``t <= 0``: the average tracks the weights (decay 0);
* ``t > 0`` and ``t % every_n_steps == 0``: ``average = d * average + (1 - d) * weight`` with
  ``d = decay`` (no warm-up), ``min(decay, (1 + t) / (10 + t))`` (``warmup="ratio"``) or
  ``min(decay, 1 - (1 + t / warmup_gamma) ** -warmup_power)`` (``warmup="power"``);
* otherwise nothing changes.

Non-float variables (integer counters, seeds) are copied instead of averaged. With zero
debiasing the running product of decays is kept and the read-out is
``average / (1 - product)`` (Kingma & Ba, 2015, section 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

WARMUPS = (None, "ratio", "power")


def scheduled_decay(
    step: Any,
    *,
    decay: float,
    start_step: int = 0,
    warmup: str | None = None,
    warmup_gamma: float = 1.0,
    warmup_power: float = 2.0 / 3.0,
) -> Any:
    """Decay used for the update at training step ``step`` (1-based), as a float32 scalar.

    Args:
        step: integer scalar tensor, the training step that just finished (1 for the first).
        decay: the target decay, in [0, 1).
        start_step: steps before which the average copies the weights (decay 0).
        warmup: ``None``, ``"ratio"`` or ``"power"`` (see the module docstring).
        warmup_gamma: > 0, time scale of the ``"power"`` warm-up.
        warmup_power: > 0, exponent of the ``"power"`` warm-up.

    Returns:
        A float32 scalar tensor in [0, decay].

    >>> import keras
    >>> step = keras.ops.convert_to_tensor(1)
    >>> round(float(scheduled_decay(step, decay=0.999, warmup="ratio")), 6)
    0.181818
    """
    from keras import ops

    t = ops.maximum(ops.cast(step, "float32") - float(start_step), 0.0)
    target = ops.convert_to_tensor(decay, "float32")
    if warmup == "ratio":
        target = ops.minimum(target, (1.0 + t) / (10.0 + t))
    elif warmup == "power":
        target = ops.minimum(target, 1.0 - ops.power(1.0 + t / warmup_gamma, -warmup_power))
    return ops.where(t > 0.0, target, ops.zeros_like(target))


def is_update_step(step: Any, *, start_step: int = 0, every_n_steps: int = 1) -> Any:
    """Whether the average changes at training step ``step`` (a boolean scalar tensor)."""
    from keras import ops

    t = step - start_step
    return ops.logical_or(t <= 0, ops.equal(ops.mod(t, every_n_steps), 0))


def ema_update(
    averages: Sequence[Any],
    weights: Sequence[Any],
    step: Any,
    decay_product: Any,
    *,
    decay: float,
    start_step: int = 0,
    every_n_steps: int = 1,
    warmup: str | None = None,
    warmup_gamma: float = 1.0,
    warmup_power: float = 2.0 / 3.0,
) -> tuple[list[Any], Any, Any]:
    """One training step of the recurrence.

    Args:
        averages: current averages (float32 for float weights, the weight's dtype otherwise).
        weights: the weights after the step, same order and shapes as ``averages``.
        step: integer scalar tensor, the number of steps seen *before* this one.
        decay_product: float32 scalar, product of every decay applied so far (1 at the start).
        decay, start_step, every_n_steps, warmup, warmup_gamma, warmup_power: the schedule,
            see :func:`scheduled_decay`.

    Returns:
        ``(new_averages, new_step, new_decay_product)``.

    >>> import numpy as np
    >>> from keras import ops
    >>> avg, step, prod = ema_update([ops.zeros((2,))], [ops.ones((2,))],
    ...                              ops.convert_to_tensor(5), ops.convert_to_tensor(1.0),
    ...                              decay=0.9)
    >>> [round(float(v), 6) for v in ops.convert_to_numpy(avg[0])], int(step), round(float(prod), 6)
    ([0.1, 0.1], 6, 0.9)
    """
    from keras import backend, ops

    new_step, d, due, new_product = schedule(
        step,
        decay_product,
        decay=decay,
        start_step=start_step,
        every_n_steps=every_n_steps,
        warmup=warmup,
        warmup_gamma=warmup_gamma,
        warmup_power=warmup_power,
    )

    def blend() -> list[Any]:
        # One `1 - d` per dtype, not per variable: on TensorFlow CPU every small op in the
        # step costs a few microseconds, and a CNN has dozens of variables.
        rates: dict[str, Any] = {}
        new = []
        for average, weight in zip(averages, weights, strict=True):
            dtype = backend.standardize_dtype(average.dtype)
            if weight.dtype != average.dtype:
                weight = ops.cast(weight, dtype)
            if is_float(dtype):
                if dtype not in rates:
                    rates[dtype] = ops.cast(1.0 - d, dtype)
                new.append(average - rates[dtype] * (average - weight))
            else:
                new.append(weight)
        return new

    if every_n_steps == 1:  # every step is an update step
        return blend(), new_step, new_product
    if _branch_on_device(due):
        # Off steps skip the blend: `tf.cond` / `lax.cond` run one branch only.
        new_averages = ops.cond(due, blend, lambda: [ops.copy(a) for a in averages])
        return list(new_averages), new_step, new_product
    new_averages = [ops.where(due, b, a) for b, a in zip(blend(), averages, strict=True)]
    return new_averages, new_step, new_product


def schedule(
    step: Any,
    decay_product: Any,
    *,
    decay: float,
    start_step: int = 0,
    every_n_steps: int = 1,
    warmup: str | None = None,
    warmup_gamma: float = 1.0,
    warmup_power: float = 2.0 / 3.0,
) -> tuple[Any, Any, Any, Any]:
    """The scalar part of one step: ``(new_step, decay, is_update_step, new_decay_product)``.

    Arguments as in :func:`ema_update`; the averages then move by ``(1 - decay) * (weight -
    average)`` when ``is_update_step`` is true and stay put otherwise.

    >>> from keras import ops
    >>> new_step, d, due, product = schedule(ops.convert_to_tensor(0),
    ...                                      ops.convert_to_tensor(1.0), decay=0.9)
    >>> int(new_step), round(float(d), 6), bool(due), round(float(product), 6)
    (1, 0.9, True, 0.9)
    """
    from keras import ops

    new_step = step + 1
    d = scheduled_decay(
        new_step,
        decay=decay,
        start_step=start_step,
        warmup=warmup,
        warmup_gamma=warmup_gamma,
        warmup_power=warmup_power,
    )
    due = is_update_step(new_step, start_step=start_step, every_n_steps=every_n_steps)
    return new_step, d, due, ops.where(due, decay_product * d, decay_product)


def _branch_on_device(flag: Any) -> bool:
    """Whether to branch with ``ops.cond`` (compute only the taken branch) on ``flag``.

    TensorFlow: yes (``tf.cond``; eagerly a plain ``if``). JAX: inside ``jit`` only, where it
    is ``lax.cond``; eagerly, ``lax.cond`` retraces both branches at every call, slower than
    computing both. PyTorch: no; its ``ops.cond`` is a Python ``if`` that reads the flag back
    to the host at every step (a device sync on GPU), so both values are computed and
    ``ops.where`` selects.
    """
    from keras import backend

    if backend.backend() == "tensorflow":
        return True
    if backend.backend() == "jax":
        import jax

        return isinstance(flag, jax.core.Tracer)
    return False


def debiased(average: Any, weight: Any, decay_product: Any) -> Any:
    """Zero-debiased read-out: ``average / (1 - decay_product)``; ``weight`` before any update."""
    import numpy as np

    average = np.asarray(average)
    if not is_float(average.dtype):
        return average
    product = float(np.asarray(decay_product))
    if product >= 1.0:
        return np.asarray(weight).astype(average.dtype)
    return average / np.asarray(1.0 - product, average.dtype)


def is_float(dtype: Any) -> bool:
    """True for floating dtypes (any backend's dtype object or name)."""
    from keras import backend

    return "float" in backend.standardize_dtype(dtype)
