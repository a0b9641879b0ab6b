"""Mixing batches of a ``keras.utils.PyDataset``."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from ._base import BatchMixer


class MixupDataset(keras.utils.PyDataset):
    """A ``PyDataset`` whose batches are those of ``dataset``, mixed by ``mixer``.

    With ``seed`` set, batch ``i`` of epoch ``e`` is mixed with a seed derived from
    ``(seed, e, i)``: the result does not depend on the order in which workers fetch batches.
    Without it the mixer's own seed generator is used (deterministic for sequential loading).

    Args:
        dataset: a ``PyDataset`` (or any sequence) whose items are ``(x, y)`` or
            ``(x, y, sample_weight)`` batches of numpy arrays.
        mixer: a :class:`Mixup`, :class:`CutMix` or :class:`SamplePairing`.
        seed: int or None (default): per-batch seeds, see above.
        **kwargs: ``workers``, ``use_multiprocessing``, ``max_queue_size`` of ``PyDataset``.

    Returns:
        A ``PyDataset`` of numpy batches, for ``model.fit``.

    >>> import numpy as np
    >>> from keras_mixup import Mixup
    >>> batches = [(np.ones((4, 2), "float32"), np.eye(4, dtype="float32"))]
    >>> x, y = MixupDataset(batches, Mixup(alpha=1.0), seed=0)[0]
    >>> x.shape, y.shape, bool(np.allclose(y.sum(-1), 1.0))
    ((4, 2), (4, 4), True)
    """

    def __init__(
        self, dataset: Any, mixer: BatchMixer, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(mixer, BatchMixer):
            raise TypeError(
                "`mixer` must be a keras_mixup mixer (Mixup, CutMix, SamplePairing). "
                f"Received: mixer={mixer!r}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"`seed` must be None or an integer. Received: seed={seed!r}")
        self.dataset = dataset
        self.mixer = mixer
        self.seed = seed
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        batch = self.dataset[index]
        if not isinstance(batch, tuple) or not 2 <= len(batch) <= 3:
            raise ValueError(
                "`dataset` items must be `(x, y)` or `(x, y, sample_weight)` tuples. "
                f"Received an item of type {type(batch).__name__}"
            )
        seed = None
        if self.seed is not None:
            seed = int((self.seed * 1_000_003 + self.epoch * 10_007 + index) % (2**31 - 1))
        mixed = self.mixer(*batch, seed=seed)
        return tuple(np.asarray(keras.ops.convert_to_numpy(t)) for t in mixed)

    def on_epoch_end(self) -> None:
        self.epoch += 1
        if hasattr(self.dataset, "on_epoch_end"):
            self.dataset.on_epoch_end()
