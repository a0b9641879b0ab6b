"""Every private Keras (and TensorFlow / PyTorch) API that keras-layerlr touches, in one place.

Each function is one access, with the reason the public API does not do the job. `LayerLR`
routes the wrapped optimizer's update and weight decay through its groups by replacing a few
methods on that one optimizer instance; Keras offers no public hook for a learning rate per
variable (issue 21 moves `LayerLR` onto public extension points and shrinks this module).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Method = Callable[..., Any]


# ------------------------------------------------------------------- the optimizer's own state


def untrack_variable(optimizer: Any, variable: Any) -> None:
    """Drop one of the optimizer's own variables from its `variables` (and from saving)."""
    # Optimizer.__init__ always creates a step counter and a learning-rate variable; LayerLR
    # reports the wrapped optimizer's instead, and no public API leaves them out.
    optimizer._untrack_variable(variable)


def own_step_and_learning_rate(optimizer: Any) -> list[Any]:
    """The step counter and learning-rate variable `Optimizer.__init__` created."""
    # LayerLR overrides the public `iterations` / `learning_rate` to report the wrapped ones.
    return [optimizer._iterations, optimizer._learning_rate]


def track_variable(optimizer: Any, variable: Any) -> None:
    """Make an existing variable part of the optimizer's state (saved with it)."""
    # `keras.random.SeedGenerator` creates its own state variable; `Optimizer.add_variable`
    # only creates new ones, it cannot adopt an existing variable.
    optimizer._track_variable(variable)


def variable_key(optimizer: Any, variable: Any) -> Any:
    """The key the optimizer indexes its slots by, for a `keras.Variable` or a backend one."""
    # `update_step` receives TF variables (per replica under tf.distribute), which have no
    # `.path`; Keras maps them and the `keras.Variable` to one key with this method.
    return optimizer._var_key(variable)


def uses_weight_decay(optimizer: Any, variable: Any) -> bool:
    """Whether the optimizer decays this variable (`exclude_from_weight_decay` honoured)."""
    # The exclusion lists and patterns are only read by this private method.
    return bool(optimizer._use_weight_decay(variable))


def has_fused_update(optimizer: Any) -> bool:
    """Whether the (PyTorch) optimizer updates all variables in one fused call."""
    # Keras' torch optimizers skip `update_step` for `_parallel_update_step`; nothing public
    # says which path a given optimizer takes.
    return hasattr(optimizer, "_parallel_update_step")


# ------------------------------------------------------------------- methods of the optimizer


def backend_update_step(optimizer: Any) -> Method:
    """The optimizer's bound ``_backend_update_step(grads, variables, learning_rate)``."""
    # The one step that applies the update of every variable with a learning rate passed in;
    # the public `apply` reads `self.learning_rate` and cannot take one per group.
    return optimizer._backend_update_step


def weight_decay_step(optimizer: Any) -> Method:
    """The optimizer's bound ``_apply_weight_decay(variables)``."""
    # Decoupled weight decay is applied inside `apply` with the optimizer's learning rate;
    # it is only reachable through this private method.
    return optimizer._apply_weight_decay


def all_reduce_sum_gradients(optimizer: Any, grads_and_vars: list[Any]) -> list[Any]:
    """The TF optimizer's cross-replica gradient sum (``(grad, var)`` pairs in and out)."""
    # LayerLR sums before its transforms, exactly as Keras does; called on the class because
    # `route` replaces the instance's method with a pass-through.
    return list(type(optimizer)._all_reduce_sum_gradients(optimizer, grads_and_vars))


def route(
    optimizer: Any,
    *,
    backend_update_step: Method,
    apply_weight_decay: Method,
    update_step: Method | None = None,
    skip_all_reduce: bool = False,
) -> None:
    """Replace methods on this one optimizer instance (once, at build; never swapped back).

    Written into the instance ``__dict__``: `Optimizer.__setattr__` would run its variable
    tracker on the functions, and setting them once keeps one consistent object for the
    replica threads of `tf.distribute`.
    """
    methods = optimizer.__dict__
    # Split the update into one call per group, each with lr * multiplier (no public hook).
    methods["_backend_update_step"] = backend_update_step
    # Decay each group with lr * multiplier * weight_decay, as a separate optimizer would.
    methods["_apply_weight_decay"] = apply_weight_decay
    if update_step is not None:
        # Public method, replaced on the instance: hold frozen groups of momentum optimizers.
        methods["update_step"] = update_step
    if skip_all_reduce:
        # LayerLR already summed the gradients across replicas, before its transforms.
        methods["_all_reduce_sum_gradients"] = list


# ------------------------------------------------------------------- backends


def tf_merge_call(optimizer: Any, fn: Method, *args: Any) -> Any:
    """Run ``fn(strategy, *args)`` in cross-replica context, the way Keras' TF optimizer does."""
    import tensorflow as tf

    # `maybe_merge_call` also covers strategies that run without merge calls; Keras uses it
    # with the strategy the optimizer was created under for its own weight decay.
    return tf.__internal__.distribute.interim.maybe_merge_call(
        fn, optimizer._distribution_strategy, *args
    )


def torch_foreach_mul_(tensors: list[Any], factor: Any) -> None:
    """``t *= factor`` for every tensor, in one fused PyTorch call (as Keras' torch decay)."""
    import torch

    # PyTorch's fused multi-tensor kernel; the same call Keras' torch optimizers use for decay.
    torch._foreach_mul_(tensors, factor)
