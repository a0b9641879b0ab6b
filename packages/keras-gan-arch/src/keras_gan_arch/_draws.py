"""The random draws of a GAN step (latent vectors, WGAN-GP interpolation weights).

They are ``keras.random`` draws keyed by the GAN's ``keras.random.SeedGenerator``, so a seed
gives the same run twice on every backend. Two settings need more than that, and this module
handles both so that the conformance checks compare like with like:

* **XLA on TensorFlow.** TensorFlow's random ops return other numbers inside an XLA cluster than
  outside one, so a step compiled with ``jit_compile=True`` would draw another z than the same
  step without it. On TensorFlow every draw therefore runs as an XLA function
  (``tf.function(jit_compile=True)``): the same numbers whether the step around it is compiled
  with XLA, traced without it or run eagerly. (JAX and PyTorch draw alike either way.)
* **Replicas of ``tf.distribute``.** Every replica runs the step with the same (mirrored) seed
  state, so each draws the rows of the whole global batch and keeps its own slice: together the
  replicas use exactly what one device draws for the global batch. JAX ``DataParallel`` runs
  the step on the global batch; PyTorch has no data-parallel path in Keras.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import keras
from keras import ops

Sample = Callable[..., Any]  # keras.random.normal, keras.random.uniform


def draw(
    sample: Sample,
    seed_generator: keras.random.SeedGenerator,
    like: Any,
    tail: tuple[int, ...] = (),
    replica: tuple[Any, int] | None = None,
) -> Any:
    """``sample(shape, seed=seed_generator)`` for the rows of ``like``: shape ``(rows,) + tail``
    with ``rows`` the batch size of ``like``; advances ``seed_generator`` by one draw.

    Args:
        sample: a ``keras.random`` function taking ``(shape, seed=...)``.
        seed_generator: the seed state; every replica must hold the same one.
        like: a tensor whose first dimension is the number of rows to draw (this replica's).
        tail: the shape of one row.
        replica: ``(index, count)`` of this replica; default: from ``tf.distribute``'s replica
            context on TensorFlow, ``(0, 1)`` elsewhere. Replica ``index`` gets rows
            ``index * rows ... (index + 1) * rows - 1`` of the draw for ``count * rows`` rows.
    """
    index, count = replica if replica is not None else replica_context()
    if keras.backend.backend() == "tensorflow":
        values = _xla_draw(sample)(like, seed_generator, count, tuple(tail))
    else:
        values = sample((ops.shape(like)[0] * count, *tail), seed=seed_generator)
    if count == 1:
        return values
    rows = ops.shape(like)[0]
    return values[index * rows : (index + 1) * rows]


def replica_context() -> tuple[Any, int]:
    """``(index, count)`` of the replica running this step under ``tf.distribute``; ``(0, 1)``
    outside a multi-replica step and on other backends."""
    if keras.backend.backend() != "tensorflow":
        return 0, 1
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


@functools.cache
def _xla_draw(sample: Sample) -> Any:
    """``sample`` as a TensorFlow XLA function of ``(like, seed_generator, count, tail)``."""
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def xla_draw(like: Any, seed_generator: Any, count: int, tail: tuple[int, ...]) -> Any:
        return sample((tf.shape(like)[0] * count, *tail), seed=seed_generator)

    return xla_draw
