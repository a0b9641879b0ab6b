"""`outside_trace()`: create variables eagerly even while a step function is being traced.

TensorFlow builds a model lazily inside the first trace of its train function (when no
distribution strategy is set); a variable created there can be lifted out of a plain
`tf.function` but not out of an XLA-compiled one. `tf.init_scope()` creates it eagerly
instead, and the function captures it like any other variable. JAX and PyTorch build models
eagerly (or in a stateless scope that initializes variables on exit): nothing to do.
"""

import contextlib

import keras


def outside_trace():
    """A context manager under which variables are created eagerly (see module docstring)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.init_scope()
    return contextlib.nullcontext()
