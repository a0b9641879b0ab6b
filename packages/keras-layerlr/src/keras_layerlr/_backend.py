"""The few places where `LayerLR` needs backend-specific code (kept in this one module; the
private Keras / TensorFlow / PyTorch calls it makes go through `_keras_compat`).

* weight decay of a group, scaled by the group's multiplier (TF needs `tf.distribute` merge
  calls, torch uses its fused `_foreach` kernels like Keras does);
* the cross-replica gradient sum under `tf.distribute`, done *before* transforms so that they
  see the same gradient as on one device;
* holding a frozen group (learning rate 0) fixed for optimizers whose update does not vanish
  with the learning rate (momentum SGD / RMSprop keep applying their velocity).
"""

from __future__ import annotations

import keras
from keras import ops

from . import _keras_compat


def apply_weight_decay(optimizer, variables, factor):
    """``variable -= variable * factor`` for each variable the optimizer decays."""
    variables = [v for v in variables if _keras_compat.uses_weight_decay(optimizer, v)]
    if not variables:
        return
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        def distributed(distribution, variables, factor):
            def decay(variable, factor):
                variable.assign_sub(variable * tf.cast(factor, variable.dtype))

            for variable in variables:
                if isinstance(variable, keras.Variable):
                    variable = variable.value
                distribution.extended.update(variable, decay, args=(factor,), group=False)

        _keras_compat.tf_merge_call(optimizer, distributed, variables, factor)
    elif backend == "torch":
        import torch

        with torch.no_grad():
            _keras_compat.torch_foreach_mul_([v.value for v in variables], 1 - factor)
    else:
        for variable in variables:
            variable.assign(variable - variable * ops.cast(factor, variable.dtype))


def all_reduce(optimizer, grads, variables):
    """Sum gradients across `tf.distribute` replicas (identity elsewhere)."""
    if keras.backend.backend() != "tensorflow":
        return grads
    pairs = _keras_compat.all_reduce_sum_gradients(
        optimizer, list(zip(grads, variables, strict=True))
    )
    return [g for g, _ in pairs]


def holds_velocity(optimizer):
    """Whether the optimizer keeps moving weights with learning rate 0 (a velocity term)."""
    momentum = getattr(optimizer, "momentum", 0.0)
    return isinstance(momentum, (int, float)) and momentum > 0


def guarded_step(step_fn, is_grouped):
    """Wrap ``update_step(grad, var, lr)``: a grouped variable whose lr is 0 keeps its value."""

    def update_step(gradient, variable, learning_rate):
        if not is_grouped(variable):
            return step_fn(gradient, variable, learning_rate)
        old = ops.copy(variable.value if isinstance(variable, keras.Variable) else variable)
        step_fn(gradient, variable, learning_rate)
        new = variable.value if isinstance(variable, keras.Variable) else variable
        keep = ops.greater(ops.cast(learning_rate, "float32"), 0.0)
        variable.assign(ops.where(keep, new, old))

    return update_step


def guarded_parallel(step_fn):
    """Wrap a torch fused ``_backend_update_step`` for one frozen-able group."""

    def update(grads, variables, learning_rate):
        import torch

        with torch.no_grad():
            old = [v.value.clone() for v in variables]
            step_fn(grads, variables, learning_rate)
            keep = ops.greater(ops.cast(learning_rate, "float32"), 0.0)
            for variable, value in zip(variables, old, strict=True):
                variable.value.copy_(torch.where(keep, variable.value, value))

    return update
