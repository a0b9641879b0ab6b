"""Training batches as a ``keras.utils.PyDataset``, bucketed by length, safe with workers."""

from __future__ import annotations

import keras
import numpy as np

from .data import Pair


def encode_pairs(
    tokenizer, pairs: list[Pair], max_source_length: int, max_title_length: int
) -> tuple[list[list[int]], list[list[int]]]:
    """Source ids and ``[BOS] title [EOS]`` ids of each pair, cut to the maximum lengths."""
    sources = [
        tokenizer.encode(p.content, max_length=max_source_length) or [tokenizer.unk_id]
        for p in pairs
    ]
    titles = [
        tokenizer.encode(p.title, max_length=max_title_length, add_bos=True, add_eos=True)
        for p in pairs
    ]
    return sources, titles


def pad(rows: list[list[int]], multiple: int = 1) -> np.ndarray:
    """Right-pad with 0 to the longest row, rounded up to ``multiple``: int32 ``(n, length)``."""
    length = max(len(r) for r in rows)
    length = -(-length // multiple) * multiple if length else multiple
    out = np.zeros((len(rows), length), dtype="int32")
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


class TitleDataset(keras.utils.PyDataset):
    """``((source_ids, title_input_ids), title_target_ids)`` batches of similar lengths.

    Pairs are sorted by source length inside shuffled windows of ``bucket_size`` batches, cut
    into batches, and the batch order is shuffled. The order is a pure function of
    ``(seed, epoch, index)``, so worker processes and threads (``workers``,
    ``use_multiprocessing``) produce exactly the batches a single process would, and a resumed
    run (``epoch=`` the epoch it stopped at) sees the same batches it would have seen.

    Args:
        sources: source id lists (see :func:`encode_pairs`).
        titles: ``[BOS] ... [EOS]`` id lists, same length as ``sources``.
        batch_size: pairs per batch, >= 1.
        shuffle: reshuffle every epoch. Defaults to True.
        bucket_size: batches per sorting window, >= 1 (1: no bucketing). Defaults to 20.
        pad_multiple: pad lengths up to a multiple of this (fewer distinct shapes, fewer
            recompilations), >= 1. Defaults to 8.
        seed: shuffling seed. Defaults to 0.
        epoch: the first epoch's number (for resuming). Defaults to 0.
        **kwargs: ``workers``, ``use_multiprocessing``, ``max_queue_size``.

    >>> data = TitleDataset([[5, 6], [7], [8, 9, 10]], [[2, 5, 3], [2, 6, 3], [2, 7, 3]],
    ...                     batch_size=2, seed=0)
    >>> len(data)
    2
    >>> (source, title_in), title_out = data[0]
    >>> source.tolist(), title_in.tolist(), title_out.tolist()  # the longest batch comes first
    ([[8, 9, 10, 0, 0, 0, 0, 0]], [[2, 7, 3, 0, 0, 0, 0]], [[7, 3, 0, 0, 0, 0, 0]])
    """

    def __init__(
        self,
        sources,
        titles,
        batch_size=32,
        shuffle=True,
        bucket_size=20,
        pad_multiple=8,
        seed=0,
        epoch=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if len(sources) != len(titles) or not sources:
            raise ValueError(
                "`sources` and `titles` must be non-empty and equally long. "
                f"Received: {len(sources)} sources, {len(titles)} titles"
            )
        for name, value in (
            ("batch_size", batch_size),
            ("bucket_size", bucket_size),
            ("pad_multiple", pad_multiple),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")
        self.sources, self.titles = list(sources), list(titles)
        self.batch_size, self.shuffle = batch_size, bool(shuffle)
        self.bucket_size, self.pad_multiple = bucket_size, pad_multiple
        self.seed, self.epoch = seed, epoch
        # Titles are short: one fixed width for all batches keeps that dimension static.
        self.title_width = -(-max(len(t) for t in self.titles) // pad_multiple) * pad_multiple

    def __len__(self):
        return -(-len(self.sources) // self.batch_size)

    def batches(self, epoch: int) -> list[np.ndarray]:
        """The index arrays of every batch of ``epoch`` (deterministic)."""
        n = len(self.sources)
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        window = self.batch_size * self.bucket_size
        lengths = np.array([len(s) for s in self.sources])
        for start in range(0, n, window):
            chunk = order[start : start + window]
            order[start : start + window] = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches = [order[i : i + self.batch_size] for i in range(0, n, self.batch_size)]
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        if len(batches) > 1:
            # Longest batch first, shortest second: memory problems show at once, and Keras'
            # TensorFlow adapter, which infers shapes from the first batches, sees that the
            # lengths vary (otherwise it fixes the first batch's length and fails later).
            size = [max(len(self.sources[i]) for i in b) for b in batches]
            longest = int(np.argmax(size))
            batches.insert(0, batches.pop(longest))
            size.insert(0, size.pop(longest))
            shortest = 1 + int(np.argmin(size[1:]))
            batches.insert(1, batches.pop(shortest))
        return batches

    def __getitem__(self, index):
        rows = self.batches(self.epoch)[index]
        source = pad([self.sources[i] for i in rows], self.pad_multiple)
        title = pad([self.titles[i] for i in rows], self.title_width)
        # input: [BOS] t1 .. tn, target: t1 .. tn [EOS]; both keep the padded width - 1
        return (source, title[:, :-1]), title[:, 1:]

    def on_epoch_end(self):
        self.epoch += 1
