"""The two building blocks of the title generator that Keras does not ship.

* :class:`BagOfCharsPrior`: the "prior" of Su Jianlin's seq2seq title generator: a learned
  scale and shift of the multi-hot bag of the article's tokens, added to the output
  logits so the decoder favours tokens that occur in the article.
* :class:`EncoderDecoderAttention`: Luong ("general") or Bahdanau ("additive") attention of
  decoder outputs over encoder states, whose key projection can be computed once and cached.
"""

from __future__ import annotations

import keras
from keras import ops

SCORES = ("general", "additive")


@keras.saving.register_keras_serializable(package="keras_seq2seq_title")
class BagOfCharsPrior(keras.layers.Layer):
    """Prior logits from the set of tokens in the source: ``exp(log_scale) * bag + shift``.

    Args:
        vocabulary_size: number of token ids, >= 2.
        ignore_ids: ids never counted in the bag (padding and the other reserved tokens).
            Defaults to ``(0,)``.

    Call args:
        source_ids: int tensor ``(batch, length)``.

    Returns:
        ``(batch, vocabulary_size)`` prior logits; both weights start at zero, so the prior
        starts as the plain bag indicator.

    References:
        Su Jianlin, "玩转Keras之seq2seq自动生成标题", https://kexue.fm/archives/5861 (2018).

    >>> import numpy as np
    >>> prior = BagOfCharsPrior(6, ignore_ids=(0,))
    >>> keras.ops.convert_to_numpy(prior(np.array([[4, 2, 2, 0]])))[0].tolist()
    [0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    """

    def __init__(self, vocabulary_size, ignore_ids=(0,), **kwargs):
        super().__init__(**kwargs)
        if not isinstance(vocabulary_size, int) or vocabulary_size < 2:
            raise ValueError(
                "`vocabulary_size` must be an integer >= 2. "
                f"Received: vocabulary_size={vocabulary_size!r}"
            )
        ignore_ids = tuple(int(i) for i in ignore_ids)
        if any(not 0 <= i < vocabulary_size for i in ignore_ids):
            raise ValueError(
                f"`ignore_ids` must be ids in [0, {vocabulary_size}). "
                f"Received: ignore_ids={ignore_ids!r}"
            )
        self.vocabulary_size = vocabulary_size
        self.ignore_ids = ignore_ids

    def build(self, input_shape):
        self.log_scale = self.add_weight(
            shape=(self.vocabulary_size,), initializer="zeros", name="log_scale"
        )
        self.shift = self.add_weight(
            shape=(self.vocabulary_size,), initializer="zeros", name="shift"
        )

    def call(self, source_ids):
        bag = ops.multi_hot(ops.cast(source_ids, "int32"), self.vocabulary_size)
        keep = [0.0 if i in self.ignore_ids else 1.0 for i in range(self.vocabulary_size)]
        bag = ops.cast(bag, self.compute_dtype) * ops.cast(keep, self.compute_dtype)
        return ops.exp(self.log_scale) * bag + self.shift

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.vocabulary_size)

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "ignore_ids": list(self.ignore_ids),
        }


@keras.saving.register_keras_serializable(package="keras_seq2seq_title")
class EncoderDecoderAttention(keras.layers.Layer):
    """Attention of queries (decoder outputs) over a memory (encoder states).

    Args:
        units: size of the additive score's hidden layer, >= 1 (ignored by ``"general"``).
        score: ``"general"`` (Luong: ``q . W m``) or ``"additive"`` (Bahdanau:
            ``v . tanh(W m + U q)``). Defaults to ``"general"``.

    Call args:
        query: ``(batch, steps, query_dim)``.
        memory: ``(batch, length, memory_dim)``.
        mask: optional bool ``(batch, length)``, False at padding.
        keys: optional result of :meth:`project_keys` for ``memory`` (the decoder caches it).

    Returns:
        the context ``(batch, steps, memory_dim)``.

    References:
        Luong et al., "Effective Approaches to Attention-based Neural Machine Translation"
        (2015); Bahdanau et al., "Neural Machine Translation by Jointly Learning to Align and
        Translate" (2015).

    >>> import numpy as np
    >>> attention = EncoderDecoderAttention(4)
    >>> tuple(attention(np.ones((2, 3, 5)), np.ones((2, 7, 6))).shape)
    (2, 3, 6)
    """

    def __init__(self, units=128, score="general", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"`units` must be an integer >= 1. Received: units={units!r}")
        if score not in SCORES:
            raise ValueError(f"`score` must be one of {SCORES}. Received: score={score!r}")
        self.units = units
        self.score = score
        self.supports_masking = True  # the memory's mask is passed explicitly as `mask`

    def compute_mask(self, query, memory=None, mask=None, keys=None):
        return None

    def build(self, query_shape, memory_shape=None):
        if memory_shape is None:  # called by Keras with a single shape: assume equal dims
            memory_shape = query_shape
        query_dim, memory_dim = int(query_shape[-1]), int(memory_shape[-1])
        key_dim = query_dim if self.score == "general" else self.units
        self.key_kernel = self.add_weight(
            shape=(memory_dim, key_dim), name="key_kernel", initializer="glorot_uniform"
        )
        if self.score == "additive":
            self.query_kernel = self.add_weight(
                shape=(query_dim, self.units), name="query_kernel", initializer="glorot_uniform"
            )
            self.score_vector = self.add_weight(
                shape=(self.units,), name="score_vector", initializer="glorot_uniform"
            )

    def project_keys(self, memory):
        """``memory @ W``: computed once per article and reused at every decoding step."""
        return ops.matmul(memory, self.key_kernel)

    def call(self, query, memory, mask=None, keys=None):
        keys = self.project_keys(memory) if keys is None else keys
        if self.score == "general":
            scores = ops.einsum("btd,bsd->bts", query, keys)
        else:
            hidden = ops.tanh(
                ops.expand_dims(keys, 1) + ops.expand_dims(ops.matmul(query, self.query_kernel), 2)
            )
            scores = ops.einsum("btsu,u->bts", hidden, self.score_vector)
        scores = ops.cast(scores, "float32")
        if mask is not None:
            scores = ops.where(ops.expand_dims(mask, 1), scores, -1e9)
        weights = ops.cast(ops.softmax(scores, axis=-1), memory.dtype)
        return ops.einsum("bts,bsd->btd", weights, memory)

    def compute_output_shape(self, query_shape, memory_shape=None):
        memory_shape = memory_shape or query_shape
        return (query_shape[0], query_shape[1], memory_shape[-1])

    def get_config(self):
        return {**super().get_config(), "units": self.units, "score": self.score}
