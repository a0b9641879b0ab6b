"""Gradient of a model's output with respect to its input, differentiable twice.

Backend-specific code (the package's other one is `_eager.py`). Gradient penalties and
`lipschitz_report` need ``d sum(fn(x)) / dx`` *as a tensor that can itself be differentiated*
with respect to the weights `fn` reads (the penalty is part of the critic's loss):

* TensorFlow: a nested ``tf.GradientTape``; an enclosing tape (the trainer's) records the inner
  gradient computation.
* JAX: ``jax.vjp`` over ``fn``. Keras variables read inside ``fn`` resolve through the current
  ``StatelessScope`` (the trainer's, inside ``fit``), so the result stays differentiable with
  respect to the weights. ``fn`` runs in a child scope: variable updates it makes (batch-norm
  statistics, power-iteration vectors) come out of the trace as auxiliary outputs and are
  assigned afterwards, so no tracer leaks and every backend sees the same side effects.
* PyTorch: ``torch.autograd.grad(..., create_graph=True)`` under ``torch.enable_grad()``.
"""

import keras

from keras_lipschitz import _keras_compat


def input_gradient(fn, x):
    """Return ``(fn(x), d sum(fn(x)) / dx)``, the gradient differentiable w.r.t. weights.

    Args:
        fn: callable mapping a batch ``x`` to scores (any shape; they are summed). Samples must
            not interact (no batch statistics), so the gradient of the sum is the per-sample
            input gradient.
        x: input tensor (floating point).

    Returns:
        Tuple ``(outputs, gradient)``; ``gradient`` has the shape and dtype of ``x``.

    Example:

    >>> import numpy as np, keras
    >>> x = keras.ops.convert_to_tensor(np.array([[1.0, 2.0], [3.0, -1.0]], "float32"))
    >>> outputs, gradient = input_gradient(lambda t: keras.ops.sum(t**2, axis=1), x)
    >>> keras.ops.convert_to_numpy(gradient).tolist()  # d (x1^2 + x2^2) / dx = 2x
    [[2.0, 4.0], [6.0, -2.0]]
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow(fn, x)
    if backend == "jax":
        return _jax(fn, x)
    if backend == "torch":
        return _torch(fn, x)
    raise NotImplementedError(f"input_gradient does not support the {backend!r} backend.")


def _scalar(outputs):
    return keras.ops.sum(keras.ops.cast(outputs, "float32"))


def _tensorflow(fn, x):
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = fn(x)
        total = _scalar(outputs)
    return outputs, tape.gradient(total, x)


def _jax(fn, x):
    import jax

    parent = _keras_compat.current_stateless_scope()
    updated = {}

    def traced(inputs):
        with _keras_compat.RecordingScope(parent) as scope:
            outputs = fn(inputs)
        updated.update(scope.updated)
        new_values = {key: scope.value_of(key) for key in scope.updated}
        return outputs, new_values

    outputs, pullback, new_values = jax.vjp(traced, x, has_aux=True)
    (gradient,) = pullback(jax.numpy.ones_like(outputs))
    for key, value in new_values.items():
        updated[key].assign(value)
    return outputs, gradient


def _torch(fn, x):
    import torch

    with torch.enable_grad():
        x = keras.ops.convert_to_tensor(x)
        if not x.requires_grad:
            x = x.detach().requires_grad_(True)
        outputs = fn(x)
        (gradient,) = torch.autograd.grad(_scalar(outputs), x, create_graph=True)
    return outputs, gradient
