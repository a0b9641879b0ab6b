"""The seed's decoder, re-implemented faithfully as the reference for the fast one.

At every step the *whole* model (encoder included) runs on the article and the full title
prefix, for every beam; the top-k continuations of each beam are pooled and the best k kept;
decoding stops when the best beam ends. Finished beams are not frozen (as in the seed). The
only liberties: a direct ``model(...)`` call instead of ``model.predict`` (which only makes the
reference faster) and ``min_length``, used by the benchmark to force equal step counts.
"""

from __future__ import annotations

import numpy as np
from keras import ops


def naive_beam_search(
    model, source_ids, beam_size: int = 3, max_length: int = 32, min_length: int = 0
) -> list[int]:
    """Title ids (end token excluded) for one article ``source_ids`` (a list of ids).

    >>> import keras
    >>> from keras_seq2seq_title import CharTokenizer, TitleGenerator
    >>> from keras_seq2seq_title.decoding import search_ids
    >>> keras.utils.set_random_seed(0)
    >>> model = TitleGenerator(CharTokenizer.build(["ab", "ba"], min_count=1), 4, 4)
    >>> model.build()
    >>> ids = naive_beam_search(model, [4, 5, 4], beam_size=1, max_length=5)
    >>> ids == search_ids(model, np.array([[4, 5, 4]]), beam_size=1, max_length=5)[0]
    True
    """
    tok = model.tokenizer
    first_allowed = 3  # the seed sliced probabilities [:, 3:]: no padding, unknown or begin
    xid = np.array([list(source_ids)] * beam_size, dtype="int32")
    yid = np.array([[tok.bos_id]] * beam_size, dtype="int32")
    scores = np.zeros(beam_size)
    for i in range(max_length):
        logits = ops.convert_to_numpy(model((xid, yid), training=False))[:, i]
        proba = np.exp(logits - logits.max(-1, keepdims=True))
        proba = (proba / proba.sum(-1, keepdims=True))[:, first_allowed:]
        log_proba = np.log(proba + 1e-6)
        if i < min_length:
            log_proba[:, tok.eos_id - first_allowed] = -np.inf
        arg_topk = log_proba.argsort(axis=1)[:, -beam_size:]
        new_yid, new_scores = [], []
        for j in range(1 if i == 0 else beam_size):
            for k in range(beam_size):
                new_yid.append(list(yid[j]) + [arg_topk[j][k] + first_allowed])
                new_scores.append(scores[j] + log_proba[j][arg_topk[j][k]])
        keep = np.argsort(new_scores)[-beam_size:]
        yid = np.array([new_yid[k] for k in keep])
        scores = np.array([new_scores[k] for k in keep])
        best = int(np.argmax(scores))
        if yid[best][-1] == tok.eos_id:
            return [int(t) for t in yid[best][1:-1]]
    return [int(t) for t in yid[int(np.argmax(scores))][1:]]
