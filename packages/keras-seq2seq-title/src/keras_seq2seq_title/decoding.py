"""Fast decoding: the encoder runs once, the decoder steps from cached state.

Per batch of articles the encoder and the attention key projection run once; each step feeds
only the last token through the decoder LSTM cells, starting from their cached ``(h, c)``.
Beams are rows of one batch (``articles x beams``); finished beams are frozen (they keep their
score and length and are not extended); search bookkeeping is numpy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from keras import ops

STRATEGIES = ("beam", "sample")


def encode_sources(tokenizer, texts: Sequence[str], max_length: int) -> np.ndarray:
    """Token ids of ``texts``, cut to ``max_length`` and right-padded with 0: ``(n, length)``."""
    rows = [tokenizer.encode(text, max_length=max_length) or [tokenizer.unk_id] for text in texts]
    out = np.zeros((len(rows), max(len(r) for r in rows)), dtype="int32")
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype("float64")
    logits = logits - logits.max(axis=-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))


def ban_repeated_ngrams(logp: np.ndarray, sequences: np.ndarray, size: int) -> None:
    """Set ``logp[row, t] = -inf`` where ``t`` would repeat an n-gram of ``size`` in that row."""
    length = sequences.shape[1]
    if size < 1 or length < size - 1:
        return
    for row, seq in enumerate(sequences.tolist()):
        prefix = tuple(seq[length - size + 1 :]) if size > 1 else ()
        for i in range(length - size + 1):
            if tuple(seq[i : i + size - 1]) == prefix:
                logp[row, seq[i + size - 1]] = -np.inf


def _filter_top(logp: np.ndarray, top_k: int, top_p: float) -> np.ndarray:
    out = logp.copy()
    if top_k:
        kth = np.sort(out, axis=-1)[:, -top_k][:, None]
        out[out < kth] = -np.inf
    if top_p < 1.0:
        order = np.argsort(-out, axis=-1)
        probs = np.exp(np.take_along_axis(out, order, axis=-1))
        probs /= probs.sum(axis=-1, keepdims=True)
        # keep the smallest prefix whose mass reaches top_p (always the first token)
        drop = np.cumsum(probs, axis=-1) - probs >= top_p
        np.put_along_axis(
            out, order, np.where(drop, -np.inf, np.take_along_axis(out, order, -1)), axis=-1
        )
    return out


def search_ids(
    model,
    source_ids: np.ndarray,
    beam_size: int = 3,
    max_length: int = 32,
    min_length: int = 1,
    length_penalty: float = 0.0,
    no_repeat_ngram_size: int = 0,
    strategy: str = "beam",
    top_k: int = 0,
    top_p: float = 1.0,
    temperature: float = 1.0,
    rng: np.random.Generator | None = None,
    return_scores: bool = False,
):
    """Decode title ids (end token excluded) for each row of ``source_ids``.

    Beam search ranks hypotheses by ``score / ((5 + length) / 6) ** length_penalty`` (GNMT);
    with ``length_penalty=0`` an article is done as soon as its best beam has ended, as in the
    seed. ``strategy="sample"`` draws one title per article from the temperature-scaled
    distribution cut to ``top_k`` tokens and ``top_p`` mass. With ``return_scores`` also
    returns each title's summed log-probability (end token included when it ended).
    """
    tok = model.tokenizer
    articles, beams = len(source_ids), (beam_size if strategy == "beam" else 1)
    if not model.built:
        model.build()
    encoded = model.encode(source_ids)
    if beams > 1:
        encoded = {k: ops.repeat(v, beams, axis=0) for k, v in encoded.items()}
    rows = articles * beams
    states = model.initial_states(encoded)
    tokens = np.full((rows,), tok.bos_id, dtype="int32")
    sequences = np.zeros((rows, 0), dtype="int32")
    scores = np.zeros((articles, beams))
    scores[:, 1:] = -np.inf  # every beam starts as a copy of beam 0: only beam 0 is live
    lengths = np.zeros((rows,))
    finished = np.zeros((rows,), dtype=bool)
    banned = [tok.pad_id, tok.unk_id, tok.bos_id]
    rng = rng or np.random.default_rng()
    for step in range(max_length):
        logits, states = model.decode_step(tokens, states, encoded)
        logp = _log_softmax(ops.convert_to_numpy(logits))
        logp[:, banned] = -np.inf
        if step < min_length:
            logp[:, tok.eos_id] = -np.inf
        if no_repeat_ngram_size:
            ban_repeated_ngrams(logp, sequences, no_repeat_ngram_size)
        if strategy == "sample":
            filtered = _filter_top(logp / temperature, top_k, top_p)
            probs = np.exp(filtered - filtered.max(axis=-1, keepdims=True))
            probs /= probs.sum(axis=-1, keepdims=True)
            choice = np.array([rng.choice(len(p), p=p) for p in probs])
            logp = np.where(np.arange(logp.shape[1]) == choice[:, None], logp, -np.inf)
        # frozen beams: the only continuation is "padding" at no cost and no extra length
        logp[finished] = -np.inf
        logp[finished, tok.pad_id] = 0.0
        vocab = logp.shape[1]
        candidates = (scores.reshape(rows, 1) + logp).reshape(articles, beams * vocab)
        penalty = ((5.0 + lengths + ~finished) / 6.0) ** length_penalty
        keys = candidates / np.repeat(penalty.reshape(articles, beams), vocab, axis=1)
        top = np.argpartition(-keys, beams - 1, axis=-1)[:, :beams]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, -1), -1), -1)
        origin = (top // vocab + np.arange(articles)[:, None] * beams).reshape(-1)
        tokens = (top % vocab).reshape(-1).astype("int32")
        scores = np.take_along_axis(candidates, top, -1)
        sequences = np.concatenate([sequences[origin], tokens[:, None]], axis=1)
        lengths = lengths[origin] + ~finished[origin]
        finished = finished[origin] | (tokens == tok.eos_id)
        if beams > 1:
            index = ops.convert_to_tensor(origin)
            states = [[ops.take(s, index, axis=0) for s in layer] for layer in states]
        item_done = finished.reshape(articles, beams).all(-1)
        if length_penalty == 0.0:
            item_done |= finished.reshape(articles, beams)[:, 0]  # best beam ended: done
        finished |= np.repeat(item_done, beams)
        if item_done.all():
            break
    best = sequences.reshape(articles, beams, -1)[:, 0]  # beams are kept sorted by key
    results = []
    for seq in best.tolist():
        seq = [t for t in seq if t != tok.pad_id]
        results.append(seq[: seq.index(tok.eos_id)] if tok.eos_id in seq else seq)
    return (results, scores[:, 0].tolist()) if return_scores else results


def generate(
    model,
    texts: Sequence[str],
    beam_size: int = 3,
    max_length: int | None = None,
    min_length: int = 1,
    length_penalty: float = 0.0,
    no_repeat_ngram_size: int = 0,
    top_k: int = 0,
    top_p: float = 1.0,
    temperature: float = 1.0,
    seed: int | None = None,
    batch_size: int = 32,
) -> list[str]:
    """Titles for ``texts`` with the fast decoder.

    Args:
        model: a trained :class:`~keras_seq2seq_title.TitleGenerator`.
        texts: article strings.
        beam_size: beams per article, >= 1; 1 is greedy decoding. Defaults to 3.
        max_length: most title tokens; defaults to the model's ``max_title_length - 1``.
        min_length: the end token is forbidden before this many tokens, >= 0. Defaults to 1.
        length_penalty: GNMT exponent alpha >= 0; 0 ranks by summed log-probability.
        no_repeat_ngram_size: forbid repeating any n-gram of this size (0: off).
        top_k, top_p, temperature: sampling instead of beam search when ``top_k > 0`` or
            ``top_p < 1``; requires ``beam_size=1``. ``temperature > 0``.
        seed: seed of the sampling generator.
        batch_size: articles decoded together, >= 1.

    Returns:
        one title per text.

    >>> import keras
    >>> from keras_seq2seq_title import CharTokenizer, TitleGenerator
    >>> keras.utils.set_random_seed(0)
    >>> model = TitleGenerator(CharTokenizer.build(["ab", "ba"], min_count=1), 4, 4)
    >>> titles = generate(model, ["ab", "abba"], beam_size=2, max_length=3)
    >>> len(titles), all(set(t) <= {"a", "b"} and len(t) <= 3 for t in titles)
    (2, True)
    """
    for name, value, low in (
        ("beam_size", beam_size, 1),
        ("min_length", min_length, 0),
        ("no_repeat_ngram_size", no_repeat_ngram_size, 0),
        ("top_k", top_k, 0),
        ("batch_size", batch_size, 1),
    ):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"`{name}` must be an integer >= {low}. Received: {name}={value!r}")
    if max_length is None:
        max_length = model.max_title_length - 1
    if not isinstance(max_length, int) or max_length < 1:
        raise ValueError(
            f"`max_length` must be an integer >= 1. Received: max_length={max_length!r}"
        )
    if not 0.0 < top_p <= 1.0:
        raise ValueError(f"`top_p` must be in (0, 1]. Received: top_p={top_p!r}")
    if temperature <= 0:
        raise ValueError(f"`temperature` must be > 0. Received: temperature={temperature!r}")
    if length_penalty < 0:
        raise ValueError(
            f"`length_penalty` must be >= 0. Received: length_penalty={length_penalty!r}"
        )
    sampling = top_k > 0 or top_p < 1.0
    if sampling and beam_size != 1:
        raise ValueError(
            "sampling (`top_k` > 0 or `top_p` < 1) needs `beam_size`=1. "
            f"Received: beam_size={beam_size}"
        )
    if isinstance(texts, str):
        raise TypeError(
            f"`texts` must be a list of strings, not one string. Received: texts={texts[:30]!r}"
        )
    rng = np.random.default_rng(seed)
    titles: list[str] = []
    for start in range(0, len(texts), batch_size):
        chunk = texts[start : start + batch_size]
        source = encode_sources(model.tokenizer, chunk, model.max_source_length)
        ids = search_ids(
            model,
            source,
            beam_size,
            max_length,
            min_length,
            length_penalty,
            no_repeat_ngram_size,
            "sample" if sampling else "beam",
            top_k,
            top_p,
            temperature,
            rng,
        )
        titles.extend(model.tokenizer.decode(row) for row in ids)
    return titles
