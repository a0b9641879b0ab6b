"""The title generator: shared embedding, BiLSTM encoder, LSTM decoder, attention and prior."""

from __future__ import annotations

import keras
from keras import ops

from .layers import SCORES, BagOfCharsPrior, EncoderDecoderAttention
from .tokenizer import CharTokenizer


def _positive_int(name, value, minimum=1):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}. Received: {name}={value!r}")
    return value


@keras.saving.register_keras_serializable(package="keras_seq2seq_title")
class TitleGenerator(keras.Model):
    """Seq2seq title generator with attention and a bag-of-input-tokens prior.

    The article's tokens go through a shared embedding and ``encoder_layers`` bidirectional
    LSTMs; the title so far goes through the same embedding and ``decoder_layers`` LSTMs
    (teacher forcing); each decoder output attends over the encoder states, is combined with
    the context, projected to the vocabulary and added to the prior. The tokenizer is part
    of the config, so a saved ``.keras`` file carries it.

    Args:
        tokenizer: a :class:`~keras_seq2seq_title.CharTokenizer` or its ``get_config()`` dict.
        embedding_dim: embedding size, >= 1. Defaults to 128.
        units: LSTM units per direction, >= 1. Defaults to 128.
        encoder_layers: bidirectional LSTM layers, >= 1. Defaults to 2.
        decoder_layers: LSTM layers, >= 1. Defaults to 2.
        attention: ``"general"`` or ``"additive"``. Defaults to ``"general"``.
        use_prior: mix the bag-of-input-tokens prior into the logits. Defaults to True.
        dropout: dropout rate on embeddings and before the output, in [0, 1). Defaults to 0.
        max_source_length: articles are cut to this many tokens, >= 1. Defaults to 256.
        max_title_length: titles are cut to this many tokens (markers included), >= 2.
            Defaults to 48.

    Call args:
        inputs: ``(source_ids, target_ids)``: int ``(batch, length)`` article ids and the title
            ids shifted right (starting with the begin token); 0 is padding.

    Returns:
        float32 logits ``(batch, target_length, vocabulary_size)``; train with
        :class:`MaskedSequenceCrossEntropy` (see :func:`compile_title_model`).

    References:
        Su Jianlin, "玩转Keras之seq2seq自动生成标题", https://kexue.fm/archives/5861 (2018);
        Luong et al. (2015), Bahdanau et al. (2015).

    >>> import numpy as np
    >>> tokenizer = CharTokenizer.build(["a title", "some content"], min_count=1)
    >>> model = TitleGenerator(tokenizer, embedding_dim=8, units=8)
    >>> tuple(model((np.array([[5, 6, 7]]), np.array([[2, 5]]))).shape)
    (1, 2, 15)
    """

    def __init__(
        self,
        tokenizer,
        embedding_dim=128,
        units=128,
        encoder_layers=2,
        decoder_layers=2,
        attention="general",
        use_prior=True,
        dropout=0.0,
        max_source_length=256,
        max_title_length=48,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(tokenizer, dict):
            tokenizer = CharTokenizer.from_config(tokenizer)
        if not isinstance(tokenizer, CharTokenizer):
            raise TypeError(
                "`tokenizer` must be a CharTokenizer or its config dict. "
                f"Received: tokenizer={type(tokenizer).__name__}"
            )
        self.embedding_dim = _positive_int("embedding_dim", embedding_dim)
        self.units = _positive_int("units", units)
        self.encoder_layers = _positive_int("encoder_layers", encoder_layers)
        self.decoder_layers = _positive_int("decoder_layers", decoder_layers)
        self.max_source_length = _positive_int("max_source_length", max_source_length)
        self.max_title_length = _positive_int("max_title_length", max_title_length, 2)
        if attention not in SCORES:
            raise ValueError(
                f"`attention` must be one of {SCORES}. Received: attention={attention!r}"
            )
        if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
        self.tokenizer = tokenizer
        self.attention = attention
        self.use_prior = bool(use_prior)
        self.dropout = float(dropout)
        vocabulary_size = tokenizer.vocabulary_size

        self.embedding = keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding")
        self.encoder = [
            keras.layers.Bidirectional(
                keras.layers.LSTM(units, return_sequences=True), name=f"encoder_{i}"
            )
            for i in range(encoder_layers)
        ]
        self.decoder = [
            keras.layers.LSTM(units, return_sequences=True, name=f"decoder_{i}")
            for i in range(decoder_layers)
        ]
        # The decoder starts from the max-pooled encoder states (the seed conditions its decoder
        # on the same pooled vector): without it the decoder LSTM does not know the article
        # and all source information arrives only through attention at the output.
        self.bridge = keras.layers.Dense(
            2 * units * decoder_layers, activation="tanh", name="bridge"
        )
        self.attention_layer = EncoderDecoderAttention(units, attention, name="attention")
        # Leaky ReLU as in the seed, not Luong's tanh: with tanh, Adam pushed this layer into
        # saturation within the first epoch on the embedded corpus (its gradient, and so every
        # gradient below it, became exactly 0 and the model stayed a unigram model).
        self.combine = keras.layers.Dense(units, activation="leaky_relu", name="combine")
        self.output_projection = keras.layers.Dense(vocabulary_size, name="output_projection")
        self.drop = keras.layers.Dropout(self.dropout, name="dropout")
        self.prior = (
            BagOfCharsPrior(vocabulary_size, ignore_ids=range(4), name="prior")
            if self.use_prior
            else None
        )

    def build(self, input_shape=None):
        embedded = (None, None, self.embedding_dim)
        self.embedding.build((None, None))
        shape = embedded
        for layer in self.encoder:
            layer.build(shape)
            shape = (None, None, 2 * self.units)
        memory_shape, shape = shape, embedded
        self.bridge.build((None, memory_shape[-1]))
        for layer in self.decoder:
            layer.build(shape)
            shape = (None, None, self.units)
        self.attention_layer.build(shape, memory_shape)
        self.combine.build((None, None, self.units + memory_shape[-1]))
        self.output_projection.build((None, None, self.units))
        if self.prior is not None:
            self.prior.build((None, None))
        self.built = True

    # The three pieces below are shared by training, the fast decoder and the naive decoder, so
    # all of them compute the same numbers.

    def encode(self, source_ids, training=False):
        """Run the encoder once: ``{"memory", "keys", "mask", "prior"}`` for the decoder."""
        source_ids = ops.cast(source_ids, "int32")
        mask = ops.not_equal(source_ids, 0)
        x = self.drop(self.embedding(source_ids), training=training)
        for layer in self.encoder:
            x = layer(x, mask=mask, training=training)
        pooled = ops.max(ops.where(ops.expand_dims(mask, -1), x, -1e9), axis=1)
        state = {
            "memory": x,
            "keys": self.attention_layer.project_keys(x),
            "mask": mask,
            "initial": self.bridge(pooled),
        }
        if self.prior is not None:
            state["prior"] = ops.cast(self.prior(source_ids), "float32")
        return state

    def output_logits(self, decoded, encoded, training=False):
        """Attention, combination, projection and prior: ``(batch, steps, vocabulary)``."""
        context = self.attention_layer(
            decoded, encoded["memory"], mask=encoded["mask"], keys=encoded["keys"]
        )
        hidden = self.combine(ops.concatenate([decoded, context], axis=-1))
        logits = ops.cast(self.output_projection(self.drop(hidden, training=training)), "float32")
        if self.prior is not None:
            # The seed averages, (logits + prior) / 2; the sum spans the same models (the
            # network and the prior's scale/shift absorb the factor 2) but trains far faster:
            # halving the logits makes the output layer's weights grow twice as far under
            # Adam's bounded steps (20-pair memorisation: loss 2.6 vs 0.01 after 200 steps).
            logits = logits + ops.expand_dims(encoded["prior"], 1)
        return logits

    def decode_step(self, token_ids, states, encoded):
        """One decoder step for ``token_ids`` ``(batch,)`` from cached LSTM ``states``.

        Returns ``(logits (batch, vocabulary), new_states)``; ``states`` is a list of
        ``[h, c]`` per decoder layer (see :meth:`initial_states`).
        """
        x = self.embedding(ops.cast(token_ids, "int32"))
        new_states = []
        for layer, state in zip(self.decoder, states):
            x, state = layer.cell(x, state, training=False)
            new_states.append(list(state))
        return self.output_logits(ops.expand_dims(x, 1), encoded)[:, 0], new_states

    def initial_states(self, encoded):
        """The decoder's ``[h, c]`` per layer, computed from the pooled encoder states."""
        flat, units = encoded["initial"], self.units
        return [
            [
                flat[:, (2 * i) * units : (2 * i + 1) * units],
                flat[:, (2 * i + 1) * units : (2 * i + 2) * units],
            ]
            for i in range(self.decoder_layers)
        ]

    def call(self, inputs, training=None):
        source_ids, target_ids = inputs
        encoded = self.encode(source_ids, training=training)
        x = self.drop(self.embedding(ops.cast(target_ids, "int32")), training=training)
        for layer, state in zip(self.decoder, self.initial_states(encoded)):
            x = layer(x, initial_state=state, training=training)
        return self.output_logits(x, encoded, training=training)

    def generate(self, texts, **kwargs):
        """Titles for ``texts`` (a list of strings); see :func:`keras_seq2seq_title.generate`."""
        from .decoding import generate

        return generate(self, texts, **kwargs)

    def get_config(self):
        return {
            **super().get_config(),
            "tokenizer": self.tokenizer.get_config(),
            "embedding_dim": self.embedding_dim,
            "units": self.units,
            "encoder_layers": self.encoder_layers,
            "decoder_layers": self.decoder_layers,
            "attention": self.attention,
            "use_prior": self.use_prior,
            "dropout": self.dropout,
            "max_source_length": self.max_source_length,
            "max_title_length": self.max_title_length,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_seq2seq_title")
class MaskedSequenceCrossEntropy(keras.losses.Loss):
    """Cross-entropy from logits averaged over each title's non-padding tokens (id 0 is
    padding), then over titles.

    Per-title normalization makes the loss independent of how a batch is split across devices
    (a token-level masked mean is normalized per replica and is not).

    Args:
        name: loss name. Defaults to ``"masked_sequence_cross_entropy"``.

    >>> import numpy as np
    >>> loss = MaskedSequenceCrossEntropy()
    >>> round(float(loss(np.array([[1, 0]]), np.zeros((1, 2, 4)))), 4)  # log(4)
    1.3863
    """

    def __init__(self, name="masked_sequence_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, "int32")
        y_pred = ops.cast(y_pred, "float32")
        mask = ops.cast(ops.not_equal(y_true, 0), "float32")
        per_token = ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        return ops.sum(per_token * mask, axis=-1) / ops.maximum(ops.sum(mask, axis=-1), 1.0)

    def get_config(self):
        return {"name": self.name}


def compile_title_model(model, learning_rate=1e-3, clipnorm=1.0):
    """Compile ``model`` with Adam and :class:`MaskedSequenceCrossEntropy`; returns it.

    ``clipnorm`` clips each gradient tensor's norm (``None``: no clipping).

    >>> tokenizer = CharTokenizer.build(["a title", "some content"], min_count=1)
    >>> model = compile_title_model(TitleGenerator(tokenizer, embedding_dim=4, units=4), 1e-2)
    >>> type(model.optimizer).__name__, round(float(model.optimizer.learning_rate), 6)
    ('Adam', 0.01)
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, clipnorm=clipnorm),
        loss=MaskedSequenceCrossEntropy(),
    )
    return model
