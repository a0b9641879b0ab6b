"""keras-seq2seq-title benchmarks (run by `keras-plugins bench`, not shipped in the wheel):
decoder speed, and quality on the embedded corpus.

Keras and the plugin are imported inside the functions: the runner imports this module in a
process that only lists the plugins too.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from keras_plugin_harness import BenchCase

PLUGIN = "keras-seq2seq-title"

STEPS = 24


def bench_cases(images: Path) -> list[BenchCase]:
    """The decoder-speed timing case and the embedded-corpus quality case (no figures:
    ``images`` is not used)."""
    return [
        BenchCase(
            "decode-beam3",
            "fast beam-3 decoder vs the seed's naive decoder (time ratio, "
            "same model and article, 24 steps each)",
            baseline=naive_decoder,
            candidate=fast_decoder,
            max_ratio=0.2,
            steps=2,
            blocks=5,
        ),
        BenchCase(
            "embedded-corpus",
            "train 24 epochs on the embedded corpus (word tokens); ROUGE/BLEU of the "
            "model, lead-N and nearest-neighbour retrieval on held-out pairs",
            measure=embedded_corpus_quality,
            backends=("tensorflow",),
        ),
    ]


def _speed_model() -> tuple[Any, list[int]]:
    import keras

    from keras_seq2seq_title import CharTokenizer, TitleGenerator, stdlib_pairs

    keras.utils.set_random_seed(0)
    pairs = stdlib_pairs(limit=300)
    tok = CharTokenizer.build([t for p in pairs for t in (p.title, p.content)], min_count=2)
    model = TitleGenerator(tok, embedding_dim=64, units=96, max_source_length=160)
    model.build()
    article = max(pairs, key=lambda p: len(p.content)).content
    return model, tok.encode(article, max_length=model.max_source_length)


def naive_decoder() -> Any:
    """Setup: the seed's decoder (whole model per step), beam 3, exactly ``STEPS`` steps."""
    from keras_seq2seq_title import naive_beam_search

    model, ids = _speed_model()
    return lambda: naive_beam_search(model, ids, 3, STEPS, min_length=STEPS)


def fast_decoder() -> Any:
    """Setup: the cached-state batched-beam decoder, beam 3, exactly ``STEPS`` steps."""
    from keras_seq2seq_title.decoding import search_ids

    model, ids = _speed_model()
    source = np.array([ids], dtype="int32")
    return lambda: search_ids(model, source, 3, STEPS, min_length=STEPS)


def decoder_speed(repeats: int = 3) -> list[dict]:
    """Tokens per second (beam 3: 3 tokens per step) of both decoders, best of ``repeats``."""
    rows = []
    for name, setup in (("naive (seed)", naive_decoder), ("fast", fast_decoder)):
        step = setup()
        step()  # warm-up
        best = min(_timed(step) for _ in range(repeats))
        rows.append(
            {"decoder": name, "beam": 3, "steps": STEPS, "tokens_per_s": round(3 * STEPS / best, 1)}
        )
    rows.append(
        {
            "decoder": "speed-up",
            "beam": 3,
            "steps": STEPS,
            "tokens_per_s": round(rows[1]["tokens_per_s"] / rows[0]["tokens_per_s"], 1),
        }
    )
    return rows


def _timed(step):
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


class TimeBudget:
    """Keras callback factory: stop ``fit`` after ``seconds`` (checked after each batch)."""

    def __new__(cls, seconds: float) -> Any:
        import keras

        class _Budget(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                if time.perf_counter() - self.start > seconds:
                    self.model.stop_training = True

        return _Budget()


#: The quality bench's settings. A fixed epoch count (not wall seconds) keeps the result the
#: same however loaded the shared machine is: about 5 minutes of 2 quiet CPU cores (TensorFlow),
#: longer under load. Word tokens (``split="word"``: CJK characters one by one, other words
#: whole) because English titles are ~10 words but ~50 characters, and the bag-of-input prior
#: only tells something at the word level for English; 48 source tokens (~the first 250
#: characters) carry most of a docstring's summary.
QUALITY_SETTINGS = dict(
    epochs=24,
    batch_size=32,
    learning_rate=3e-3,
    min_count=2,
    split="word",
    embedding_dim=64,
    units=96,
    dropout=0.3,
    max_source_length=48,
    max_title_length=24,
)


def embedded_corpus_quality(
    budget_s: float | None = None, out_dir: str | None = None, samples: int = 5, **overrides
) -> list[dict]:
    """Train on the embedded corpus (:data:`QUALITY_SETTINGS`); score on held-out pairs.

    Args:
        budget_s: optional wall-clock cap on training (stops after the current batch).
        out_dir: run directory (a temporary one by default).
        samples: sample titles reported per language.
        **overrides: replace entries of :data:`QUALITY_SETTINGS`.

    Returns rows: per language (en = stdlib docstrings, zh = Three Kingdoms) ROUGE-1/2/L F1 and
    BLEU (percent) of the model (beam 3), lead-N and nearest-neighbour retrieval, then a few
    sample titles, the training summary and the decoder speed rows.
    """
    from keras_seq2seq_title.corpus import embedded_corpus, split_pairs
    from keras_seq2seq_title.evaluation import evaluate
    from keras_seq2seq_title.tokenizer import contains_cjk
    from keras_seq2seq_title.training import train

    pairs = embedded_corpus()
    out_dir = out_dir or tempfile.mkdtemp(prefix="title-bench-")
    settings = {**QUALITY_SETTINGS, **overrides}
    start = time.perf_counter()
    model, state = train(
        pairs,
        out_dir,
        validation_fraction=0.1,
        seed=0,
        verbose=2,
        callbacks=[TimeBudget(budget_s)] if budget_s else [],
        **settings,
    )
    train_s = time.perf_counter() - start
    train_pairs, held = split_pairs(pairs, 0.1, 0)
    rows = []
    for language, cjk in (("en", False), ("zh", True)):
        subset = [p for p in held if contains_cjk(p.title) == cjk]
        scored, titles = evaluate(model, subset, train_pairs, beam_size=3, batch_size=64)
        for row in scored:
            rows.append({"language": language, "pairs": len(subset), **row})
        for pair, title in list(zip(subset, titles))[:samples]:
            rows.append(
                {
                    "language": language,
                    "system": "sample",
                    "reference": pair.title,
                    "generated": title,
                }
            )
    rows.append(
        {
            "system": "training",
            "epochs": state["epoch"],
            "seconds": round(train_s),
            "train_loss": state["history"].get("loss", [None])[-1],
            "val_loss": state["history"].get("val_loss", [None])[-1],
            "settings": ", ".join(f"{k}={v}" for k, v in settings.items()),
            "vocabulary": model.tokenizer.vocabulary_size,
            "parameters": model.count_params(),
        }
    )
    return rows + decoder_speed()
