"""`SeededPyDataset`: a `keras.utils.PyDataset` that is safe with random augmentation in workers.

Three classic problems with `workers > 1, use_multiprocessing=True`:

* forked workers inherit one global RNG state, so every worker draws the *same* "random"
  augmentations;
* shuffling with the global RNG is not reproducible;
* an exception in a worker loses its traceback (or cannot be pickled and the loop hangs).

Here every batch gets its own `numpy.random.Generator` seeded from `(seed, epoch, batch)`, so
augmentations differ across batches and workers but are identical from run to run whatever
the number of workers; the sample order is a permutation drawn from `(seed, epoch)`; global
`numpy.random`/`random` are reseeded once per process for code that still uses them; and an
exception is re-raised as `BatchError`, a picklable error carrying the original traceback.
"""

from __future__ import annotations

import os
import random
import traceback
from typing import Any

import keras
import numpy as np


class BatchError(RuntimeError):
    """An exception raised while a worker built a batch; the message holds its traceback.

    `SeededPyDataset.__getitem__` raises it from whatever `get_batch` raised, with the batch,
    epoch and process in the message. Only the message crosses a process boundary (it is
    always picklable), so the worker's traceback is not lost; `__cause__` holds the original
    exception in the process that raised it.

    Example:

    >>> import numpy as np
    >>> from keras_probe import BatchError, SeededPyDataset
    >>> class Broken(SeededPyDataset):
    ...     def get_batch(self, indices, rng):
    ...         return 1 / 0
    >>> try:
    ...     Broken(num_samples=4, batch_size=2, shuffle=False)[1]
    ... except BatchError as error:
    ...     print(str(error).split(" in process")[0])
    ...     print(str(error).splitlines()[-1])
    Broken.get_batch failed for batch 1 of epoch 0
    ZeroDivisionError: division by zero
    """


class SeededPyDataset(keras.utils.PyDataset):
    """Base class: implement `get_batch(indices, rng)`; sharding, order and seeding are done.

    Args:
        num_samples: number of samples (int >= 1).
        batch_size: samples per batch (int >= 1); the last batch may be smaller.
        seed: int seed of the order and of every batch's RNG; default 0.
        shuffle: draw a new sample order each epoch from `(seed, epoch)`; default True. Pass
            `shuffle=False` to `fit` so Keras does not reorder batches with its global RNG.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size` of `PyDataset`.

    Returns:
        A `PyDataset` whose item `i` is `get_batch(indices, rng)` for the `i`-th slice of the
        epoch's order, `rng = numpy.random.default_rng([seed, epoch, i])`.

    Raises:
        ValueError: `num_samples` or `batch_size` < 1.
        TypeError: `seed` is not an int.
        BatchError: `get_batch` raised; the message contains the worker's traceback.

    Example:

    >>> import numpy as np
    >>> class Noisy(SeededPyDataset):
    ...     def get_batch(self, indices, rng):
    ...         x = indices[:, None].astype("float32")
    ...         return x + rng.normal(size=x.shape).astype("float32"), x
    >>> ds = Noisy(num_samples=10, batch_size=4, seed=3)
    >>> len(ds), ds[2][0].shape
    (3, (2, 1))
    """

    def __init__(
        self,
        num_samples: int,
        batch_size: int,
        seed: int = 0,
        shuffle: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for arg, value in (("num_samples", num_samples), ("batch_size", batch_size)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"`{arg}` must be an int >= 1. Received: {arg}={value!r}")
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"`seed` must be an int. Received: seed={seed!r}")
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = bool(shuffle)
        self.epoch = 0
        self._order: tuple[int, np.ndarray] | None = None
        self._seeded_pid: int | None = None

    def get_batch(self, indices: np.ndarray, rng: np.random.Generator) -> Any:
        """Build the batch of samples `indices` drawing randomness only from `rng`."""
        raise NotImplementedError("subclasses implement `get_batch(indices, rng)`")

    @property
    def num_batches(self) -> int:
        return -(-self.num_samples // self.batch_size)

    def __len__(self) -> int:
        return self.num_batches

    def order(self) -> np.ndarray:
        """The sample order of the current epoch (a permutation when `shuffle`)."""
        if self._order is None or self._order[0] != self.epoch:
            if self.shuffle:
                order = np.random.default_rng([self.seed, self.epoch]).permutation(self.num_samples)
            else:
                order = np.arange(self.num_samples)
            self._order = (self.epoch, order)
        return self._order[1]

    def batch_rng(self, index: int) -> np.random.Generator:
        """The RNG of batch `index` in the current epoch."""
        return np.random.default_rng([self.seed, self.epoch, index])

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < self.num_batches:
            raise IndexError(f"batch index {index} out of range [0, {self.num_batches})")
        pid = os.getpid()
        if self._seeded_pid != pid:
            # Forked workers share the parent's global RNG state: give each process its own.
            entropy = np.random.SeedSequence([self.seed, pid]).generate_state(1)[0]
            np.random.seed(int(entropy))
            random.seed(int(entropy))
            self._seeded_pid = pid
        indices = self.order()[index * self.batch_size : (index + 1) * self.batch_size]
        try:
            return self.get_batch(indices, self.batch_rng(index))
        except Exception as error:
            raise BatchError(
                f"{type(self).__name__}.get_batch failed for batch {index} of epoch "
                f"{self.epoch} in process {pid}:\n{traceback.format_exc()}"
            ) from error

    def on_epoch_end(self) -> None:
        self.epoch += 1
