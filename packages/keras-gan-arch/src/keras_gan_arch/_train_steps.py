"""How one GAN training step runs on each backend (the step's objectives are in `_objectives`).

The step is the same everywhere: ``n_critic`` discriminator updates (each with fresh z on the
same real batch), one generator update, the metrics. Only "loss -> gradients" differs:

* TensorFlow: a ``GradientTape``; the loss is divided by the replicas of a ``tf.distribute``
  strategy, whose optimizer sums the replicas' gradients.
* PyTorch: ``loss.backward()`` after zeroing the ``.grad`` of every weight.
* JAX: ``jax.value_and_grad`` of a pure function. The same stateful objectives run inside a
  ``keras.StatelessScope`` that maps every variable of the GAN to its value in the trainer's
  state, so BatchNorm statistics, seed generators and power-iteration vectors come back as new
  values instead of being assigned.

Callbacks that wrap ``train_step`` (keras-ema's ``ExponentialMovingAverage(target=...)`` keeps
an EMA of the generator this way) see this step as they see Keras' own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from ._objectives import discriminator_objective, generator_objective, unpack, update_metrics


def train_step(gan: Any, *args: Any) -> Any:
    """Dispatch to the backend's step; JAX gets ``(state, data)``, the others ``(data)``."""
    backend = keras.backend.backend()
    if backend == "jax":
        return _jax_train_step(gan, *args)
    if backend == "tensorflow":
        return _stateful_train_step(gan, args[0], _tensorflow_gradients)
    if backend == "torch":
        return _stateful_train_step(gan, args[0], _torch_gradients)
    raise NotImplementedError(f"keras-gan-arch does not support the {backend!r} backend.")


def _updates(gan: Any) -> tuple[tuple[Callable[..., Any], Any, Any, int], ...]:
    """``(objective, network, optimizer, repeats)`` of the step's two updates, in order."""
    return (
        (discriminator_objective, gan.discriminator, gan.discriminator_optimizer, gan.n_critic),
        (generator_objective, gan.generator, gan.generator_optimizer, 1),
    )


def _stateful_train_step(gan: Any, data: Any, gradients: Callable[..., Any]) -> Any:
    real, labels = unpack(gan, data)
    losses = []
    for objective, model, optimizer, repeats in _updates(gan):
        variables = model.trainable_variables
        for _ in range(repeats):
            loss, grads = gradients(
                gan, lambda o=objective: o(gan, real, labels), variables, optimizer
            )
            _apply(optimizer, grads, variables)
        losses.append(loss)
    return update_metrics(gan, *losses)


def _apply(optimizer: Any, grads: Any, variables: Any) -> None:
    if keras.backend.backend() == "torch":
        import torch

        with torch.no_grad():
            optimizer.apply(grads, variables)
    else:
        optimizer.apply(grads, variables)


def _tensorflow_gradients(gan: Any, objective: Any, variables: Any, optimizer: Any) -> Any:
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    with tf.GradientTape() as tape:
        loss = objective()
        scaled = optimizer.scale_loss(loss / replicas)
    return loss, tape.gradient(scaled, variables)


def _torch_gradients(gan: Any, objective: Any, variables: Any, optimizer: Any) -> Any:
    gan.zero_grad()
    loss = objective()
    optimizer.scale_loss(loss).backward()
    return loss, [v.value.grad for v in variables]


def _jax_train_step(gan: Any, state: Any, data: Any) -> Any:
    import jax

    groups = (
        gan.trainable_variables,
        gan.non_trainable_variables,
        gan.optimizer.variables,
        gan.metrics_variables,
    )
    every = [v for group in groups for v in group]
    store = {
        id(v): value
        for group, values in zip(groups, state, strict=False)
        for v, value in zip(group, values, strict=False)
    }

    def run(fn: Callable[[], Any], store: dict[int, Any]) -> Any:
        """Run stateful ``fn`` on ``store``'s values; return its result and the new store."""
        with keras.StatelessScope(state_mapping=[(v, store[id(v)]) for v in every]) as scope:
            result = fn()
        return result, {id(v): scope.get_current_value(v) for v in every}

    real, labels = unpack(gan, data)

    def update(store: dict[int, Any], objective: Any, model: Any, optimizer: Any) -> Any:
        variables = model.trainable_variables

        def pure(values: Any, store: dict[int, Any]) -> Any:
            store = {**store, **{id(v): x for v, x in zip(variables, values, strict=False)}}

            def scaled_objective() -> Any:
                loss = objective(gan, real, labels)
                return loss, optimizer.scale_loss(loss)

            (loss, scaled), store = run(scaled_objective, store)
            return scaled, (loss, store)

        values = [store[id(v)] for v in variables]
        (_, (loss, store)), grads = jax.value_and_grad(pure, has_aux=True)(values, store)
        new_values, new_slots = optimizer.stateless_apply(
            [store[id(v)] for v in optimizer.variables], grads, values
        )
        store = {**store, **{id(v): x for v, x in zip(variables, new_values, strict=False)}}
        store.update({id(v): x for v, x in zip(optimizer.variables, new_slots, strict=False)})
        return store, loss

    losses = []
    for objective, model, optimizer, repeats in _updates(gan):
        for _ in range(repeats):
            store, loss = update(store, objective, model, optimizer)
        losses.append(loss)
    logs, store = run(lambda: update_metrics(gan, *losses), store)
    new_state = tuple([store[id(v)] for v in group] for group in groups)
    return logs, new_state
