"""The one backend-specific module: how a GAN step takes gradients on each backend.

The step itself is the same everywhere: ``n_critic`` discriminator updates, one generator
update, the EMA update, the metrics. Only "loss -> gradients" differs:

* TensorFlow: a ``GradientTape``; the loss is divided by the replicas of a ``tf.distribute``
  strategy, whose optimizer sums the replicas' gradients.
* PyTorch: ``loss.backward()`` after zeroing the ``.grad`` of every weight.
* JAX: ``jax.value_and_grad`` of a pure function. The same stateful objectives run inside a
  ``keras.StatelessScope`` that maps every variable of the GAN to its value in the trainer's
  state, so BatchNorm statistics, seed generators and power-iteration vectors come back as new
  values instead of being assigned.

``replica_index`` is here for the same reason: only ``tf.distribute`` runs the step once per
replica on a slice of the batch (JAX ``DataParallel`` sees the global batch).
"""

from __future__ import annotations

import keras


def train_step(gan, *args):
    """Dispatch to the backend's step; JAX gets ``(state, data)``, the others ``(data)``."""
    backend = keras.backend.backend()
    if backend == "jax":
        return _jax_train_step(gan, *args)
    if backend == "tensorflow":
        return _stateful_train_step(gan, args[0], _tensorflow_gradients)
    if backend == "torch":
        return _stateful_train_step(gan, args[0], _torch_gradients)
    raise NotImplementedError(f"keras-gan-arch does not support the {backend!r} backend.")


def replica_index():
    """Index of the replica running this step under ``tf.distribute`` (0 elsewhere)."""
    if keras.backend.backend() != "tensorflow":
        return 0
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 0
    return context.replica_id_in_sync_group


def _stateful_train_step(gan, data, gradients):
    real, labels = gan.unpack(data)
    pairs = (
        (gan.discriminator_objective, gan.discriminator, gan.discriminator_optimizer),
        (gan.generator_objective, gan.generator, gan.generator_optimizer),
    )
    losses = []
    for (objective, model, optimizer), repeats in zip(pairs, (gan.n_critic, 1), strict=False):
        variables = model.trainable_variables
        for _ in range(repeats):
            loss, grads = gradients(gan, lambda o=objective: o(real, labels), variables, optimizer)
            _apply(optimizer, grads, variables)
        losses.append(loss)
    gan.update_ema()
    return gan.update_metrics(*losses)


def _apply(optimizer, grads, variables):
    if keras.backend.backend() == "torch":
        import torch

        with torch.no_grad():
            optimizer.apply(grads, variables)
    else:
        optimizer.apply(grads, variables)


def _tensorflow_gradients(gan, objective, variables, optimizer):
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    with tf.GradientTape() as tape:
        loss = objective()
        scaled = optimizer.scale_loss(loss / replicas)
    return loss, tape.gradient(scaled, variables)


def _torch_gradients(gan, objective, variables, optimizer):
    gan.zero_grad()
    loss = objective()
    optimizer.scale_loss(loss).backward()
    return loss, [v.value.grad for v in variables]


def _jax_train_step(gan, state, data):
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

    def run(fn, store):
        """Run stateful ``fn`` on ``store``'s values; return its result and the new store."""
        with keras.StatelessScope(state_mapping=[(v, store[id(v)]) for v in every]) as scope:
            result = fn()
        return result, {id(v): scope.get_current_value(v) for v in every}

    real, labels = gan.unpack(data)

    def update(store, objective, model, optimizer):
        variables = model.trainable_variables

        def pure(values, store):
            store = {**store, **{id(v): x for v, x in zip(variables, values, strict=False)}}

            def scaled_objective():
                loss = objective(real, labels)
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

    for _ in range(gan.n_critic):
        store, d_loss = update(
            store, gan.discriminator_objective, gan.discriminator, gan.discriminator_optimizer
        )
    store, g_loss = update(store, gan.generator_objective, gan.generator, gan.generator_optimizer)
    _, store = run(gan.update_ema, store)
    logs, store = run(lambda: gan.update_metrics(d_loss, g_loss), store)
    new_state = tuple([store[id(v)] for v in group] for group in groups)
    return logs, new_state
