"""Conformance cases: a tiny title generator on a few pairs (imported by the hooks only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_plugin_harness import ConformanceCase, Misuse
from keras_seq2seq_title import CharTokenizer, Pair, TitleGenerator, compile_title_model, generate
from keras_seq2seq_title.dataset import encode_pairs, pad
from keras_seq2seq_title.decoding import encode_sources, search_ids

PAIRS = [
    Pair("宴桃园豪杰三结义", "滚滚长江东逝水，浪花淘尽英雄。话说天下大势，分久必合，合久必分。"),
    Pair("Return the absolute value.", "The argument may be an integer or a float."),
    Pair("Open a file for reading.", "The file is opened in text mode unless told otherwise."),
    Pair("斩黄巾英雄首立功", "且说张飞引兵，与关公同出城来，大破黄巾之众。"),
    Pair("Sort the list in place.", "The sort is stable and uses only < comparisons."),
    Pair("Split the string at spaces.", "Runs of whitespace are one separator and are dropped."),
]


def tokenizer() -> CharTokenizer:
    return CharTokenizer.build([t for p in PAIRS for t in (p.title, p.content)], min_count=1)


def build_tiny(**overrides: Any) -> TitleGenerator:
    kwargs: dict[str, Any] = dict(
        embedding_dim=8,
        units=8,
        encoder_layers=2,
        decoder_layers=2,
        max_source_length=48,
        max_title_length=24,
    )
    kwargs.update(overrides)
    model = compile_title_model(TitleGenerator(tokenizer(), **kwargs), learning_rate=1e-2)
    model.build()
    return model


def tiny_data() -> tuple[list[np.ndarray], np.ndarray]:
    tok = tokenizer()
    sources, titles = encode_pairs(tok, PAIRS * 4, 48, 24)
    source, title = pad(sources), pad(titles)
    return [source, title[:, :-1]], title[:, 1:]


def generation_state(model: TitleGenerator) -> dict[str, np.ndarray]:
    """Greedy and beam titles (ids) plus the vocabulary bytes: must survive save/load."""
    source = encode_sources(model.tokenizer, [p.content for p in PAIRS[:3]], 48)
    out = {}
    for beams in (1, 3):
        rows = search_ids(model, source, beam_size=beams, max_length=12, min_length=0)
        ids = np.zeros((len(rows), 12), dtype="int32")
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        out[f"titles_beam{beams}"] = ids
    out["vocabulary"] = np.frombuffer("\n".join(model.tokenizer.vocabulary).encode(), np.uint8)
    return out


def misuses() -> list[Misuse]:
    return [
        Misuse("units", lambda: TitleGenerator(tokenizer(), units=0), description="no units"),
        Misuse("attention", lambda: TitleGenerator(tokenizer(), attention="dot-product")),
        Misuse("dropout", lambda: TitleGenerator(tokenizer(), dropout=1.5)),
        Misuse("tokenizer", lambda: TitleGenerator(["a", "b"]), description="not a tokenizer"),
        Misuse("min_count", lambda: CharTokenizer.build(["abc"], min_count=0)),
        Misuse(
            "beam_size",
            lambda: generate(build_tiny(), ["text"], beam_size=3, top_k=5),
            description="sampling with beams",
        ),
    ]


def tiny_case(name: str = "tiny-general", **overrides: Any) -> ConformanceCase:
    return ConformanceCase(
        name=name,
        build_model=(lambda: build_tiny(**overrides)) if overrides else build_tiny,
        make_data=tiny_data,
        plugin_state=generation_state,
        misuses=misuses(),
        batch_size=8,
        epochs=3,
        atol=1e-4,
    )


def build_tiny_additive_no_prior() -> TitleGenerator:
    return build_tiny(attention="additive", use_prior=False, encoder_layers=1, decoder_layers=1)


def additive_case() -> ConformanceCase:
    return ConformanceCase(
        name="tiny-additive-noprior",
        build_model=build_tiny_additive_no_prior,
        make_data=tiny_data,
        plugin_state=generation_state,
        misuses=misuses()[:2],
        batch_size=8,
        epochs=3,
        atol=1e-4,
    )
