"""Devices per backend: two-device data parallelism, accelerators, and what a backend lacks."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager

import keras
import pytest

from ..cases import ConformanceCase
from .pytest_plugin import HOST_DEVICES, split_tensorflow_cpu

TORCH_COMPILE_NOTE = (
    "torch.compile costs ~20 s per model on a CPU; on the torch backend `jit` runs on each "
    "plugin's first case only"
)


@contextmanager
def data_parallel(case: ConformanceCase) -> Iterator[None]:
    """Build and fit inside this: TF MirroredStrategy or JAX DataParallel over 2 CPU devices."""
    backend = keras.backend.backend()
    if case.batch_size % HOST_DEVICES:
        pytest.skip(f"batch_size={case.batch_size} does not split over {HOST_DEVICES} devices")
    if backend == "tensorflow":
        reason = split_tensorflow_cpu()
        if reason:
            pytest.skip(reason)
        with _mirrored_strategy().scope():
            yield
    elif backend == "jax":
        import jax

        cpus = jax.devices("cpu")
        if len(cpus) < HOST_DEVICES:
            pytest.skip(
                f"JAX sees {len(cpus)} CPU device(s); set XLA_FLAGS="
                f"--xla_force_host_platform_device_count={HOST_DEVICES} before JAX starts"
            )
        with keras.distribution.DataParallel(devices=cpus[:HOST_DEVICES]).scope():
            yield
    else:
        pytest.skip(
            f"Keras has no data-parallel API for the {backend} backend "
            "(keras.distribution is JAX-only, tf.distribute is TensorFlow-only)"
        )


@functools.cache
def _mirrored_strategy():  # type: ignore[no-untyped-def]
    # One strategy per process: a second MirroredStrategy over the same devices makes TF's
    # collective ops fail ("CollectiveReduceV2 ... cancelled") on later steps.
    import tensorflow as tf

    names = [d.name for d in tf.config.list_logical_devices("CPU")[:HOST_DEVICES]]
    return tf.distribute.MirroredStrategy(names)


def accelerator() -> str | None:
    """``"gpu:0"`` when the current backend sees a GPU, else None."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return "gpu:0" if tf.config.list_physical_devices("GPU") else None
    if backend == "jax":
        import jax

        try:
            return "gpu:0" if jax.devices("gpu") else None
        except RuntimeError:
            return None
    if backend == "torch":
        import torch

        return "gpu:0" if torch.cuda.is_available() else None
    return None
