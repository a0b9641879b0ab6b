import itertools
import json

import keras
import numpy as np
import pytest

from keras_seq2seq_title import (
    BagOfCharsPrior,
    EncoderDecoderAttention,
    TitleGenerator,
    naive_beam_search,
)
from keras_seq2seq_title.decoding import ban_repeated_ngrams, encode_sources, generate, search_ids
from keras_seq2seq_title_plugin import cases


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(7)
    model = cases.build_tiny()
    x, y = cases.tiny_data()
    model.fit(x, y, batch_size=8, epochs=8, verbose=0)
    return model


def test_prior_matches_numpy():
    prior = BagOfCharsPrior(6, ignore_ids=(0, 1))
    prior.build((None, None))
    prior.log_scale.assign(np.log([1, 1, 2, 3, 4, 5]).astype("float32"))
    prior.shift.assign(np.full((6,), 0.5, "float32"))
    out = keras.ops.convert_to_numpy(prior(np.array([[1, 4, 4, 2, 0]])))
    np.testing.assert_allclose(out, [[0.5, 0.5, 2.5, 0.5, 4.5, 0.5]], atol=1e-6)


@pytest.mark.parametrize("score", ["general", "additive"])
def test_attention_matches_numpy(score):
    rng = np.random.default_rng(0)
    q, m = (
        rng.normal(size=(2, 3, 4)).astype("float32"),
        rng.normal(size=(2, 5, 6)).astype("float32"),
    )
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = EncoderDecoderAttention(7, score=score)
    out = keras.ops.convert_to_numpy(layer(q, m, mask=mask))
    w = keras.ops.convert_to_numpy(layer.key_kernel)
    keys = m @ w
    if score == "general":
        s = np.einsum("btd,bsd->bts", q, keys)
    else:
        u, v = (keras.ops.convert_to_numpy(t) for t in (layer.query_kernel, layer.score_vector))
        s = np.tanh(keys[:, None] + (q @ u)[:, :, None]) @ v
    s = np.where(mask[:, None], s, -np.inf)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    np.testing.assert_allclose(out, a @ m, atol=1e-5)
    assert np.allclose(out[0], np.exp(0) * out[0])  # masked positions got no weight:
    np.testing.assert_allclose(
        out[0], keras.ops.convert_to_numpy(layer(q[:1], m[:1, :3]))[0], atol=1e-5
    )


def test_model_validation_messages():
    tok = cases.tokenizer()
    with pytest.raises(ValueError, match=r"`units` must be an integer >= 1. Received: units=0"):
        TitleGenerator(tok, units=0)
    with pytest.raises(ValueError, match="`attention` must be one of"):
        TitleGenerator(tok, attention="dot")
    with pytest.raises(TypeError, match="`tokenizer` must be a CharTokenizer"):
        TitleGenerator("abc")


def test_loss_ignores_padding_and_config_round_trip(trained):
    x, y = cases.tiny_data()
    logits = keras.ops.convert_to_numpy(trained(x))
    assert logits.shape == (*y.shape, trained.tokenizer.vocabulary_size)
    logp = (
        logits
        - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1, keepdims=True))
        - logits.max(-1, keepdims=True)
    )
    picked = np.take_along_axis(logp, y[..., None], -1)[..., 0]
    mask = y != 0  # mean over each title's tokens, then over titles
    reference = np.mean(-(picked * mask).sum(-1) / mask.sum(-1))
    loss = trained.compute_loss(x, y, keras.ops.convert_to_tensor(logits))
    np.testing.assert_allclose(float(keras.ops.convert_to_numpy(loss)), reference, rtol=1e-4)
    config = json.loads(json.dumps(trained.get_config()))
    clone = TitleGenerator.from_config(config)
    clone.build()
    clone.set_weights(trained.get_weights())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(clone(x)), logits, atol=1e-5)


def test_fast_greedy_equals_naive_greedy(trained):
    texts = [p.content for p in cases.PAIRS[:3]]
    source = encode_sources(trained.tokenizer, texts, 48)  # padded batch, one encoder run
    fast = search_ids(trained, source, beam_size=1, max_length=8, min_length=0)
    naive = [naive_beam_search(trained, [t for t in row if t], 1, 8) for row in source]
    assert fast == naive
    assert any(len(f) > 2 for f in fast)


def test_beam_scores_match_the_full_model(trained):
    # The cached, beam-reordered decoder states must give the same log-probability as running
    # the whole model on the returned title (catches wrong state gathering).
    source = encode_sources(trained.tokenizer, [p.content for p in cases.PAIRS[:3]], 48)
    titles, scores = search_ids(trained, source, 4, 10, min_length=0, return_scores=True)
    eos = trained.tokenizer.eos_id
    for row, title, score in zip(source, titles, scores):
        ids = [trained.tokenizer.bos_id] + title + ([eos] if len(title) < 10 else [])
        logits = keras.ops.convert_to_numpy(trained((row[None], np.array([ids[:-1]]))))[0]
        logits = logits.astype("float64")
        logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        assert logp[np.arange(len(ids) - 1), ids[1:]].sum() == pytest.approx(score, abs=1e-3)


def test_decoding_constraints(trained):
    source = encode_sources(trained.tokenizer, [p.content for p in cases.PAIRS], 48)
    for ids in search_ids(trained, source, 3, 6, min_length=6):
        assert len(ids) == 6  # min = max length: the end token was forbidden throughout
    for ids in search_ids(trained, source, 3, 20, min_length=0, no_repeat_ngram_size=2):
        grams = list(itertools.pairwise(ids))
        assert len(grams) == len(set(grams))
    reserved = {0, 1, 2, 3}
    for ids in search_ids(trained, source, 3, 20, length_penalty=1.0):
        assert not reserved & set(ids)
    texts = [p.content for p in cases.PAIRS]
    first = generate(trained, texts, beam_size=1, top_k=5, top_p=0.9, seed=3, temperature=1.5)
    assert (
        generate(trained, texts, beam_size=1, top_k=5, top_p=0.9, seed=3, temperature=1.5) == first
    )
    with pytest.raises(ValueError, match="`beam_size`=1"):
        generate(trained, texts, beam_size=2, top_k=3)
    with pytest.raises(ValueError, match="`top_p` must be in"):
        generate(trained, texts, top_p=0.0)


def test_ban_repeated_ngrams_by_hand():
    logp = np.zeros((1, 6))
    ban_repeated_ngrams(logp, np.array([[4, 5, 4]]), 2)  # "4 5" seen; last is 4 -> ban 5
    assert np.isinf(logp[0]).tolist() == [False] * 5 + [True]


def test_save_and_reload_with_tokenizer(trained, tmp_path):
    path = str(tmp_path / "tiny.keras")
    trained.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.tokenizer == trained.tokenizer
    state, again = cases.generation_state(trained), cases.generation_state(loaded)
    for key in state:
        np.testing.assert_array_equal(state[key], again[key])
    texts = [p.content for p in cases.PAIRS]
    assert loaded.generate(texts) == trained.generate(texts)
