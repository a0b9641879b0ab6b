"""keras-seq2seq-title: seq2seq title generator with attention: train, generate, evaluate.

Importing the package is cheap: Keras is imported only when a Keras object is first used.
"""

__version__ = "0.1.0"

_LAZY = {
    "TitleGenerator": "model",
    "compile_title_model": "model",
    "MaskedSequenceCrossEntropy": "model",
    "BagOfCharsPrior": "layers",
    "EncoderDecoderAttention": "layers",
    "generate": "decoding",
    "naive_beam_search": "naive",
    "TitleDataset": "dataset",
    "train": "training",
}
from .corpus import chinese_pairs, embedded_corpus, split_pairs, stdlib_pairs  # noqa: E402
from .data import DataFormatError, Pair, load_pairs, save_jsonl  # noqa: E402
from .metrics import bleu, rouge_scores  # noqa: E402
from .tokenizer import CharTokenizer  # noqa: E402


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BagOfCharsPrior",
    "CharTokenizer",
    "DataFormatError",
    "EncoderDecoderAttention",
    "MaskedSequenceCrossEntropy",
    "Pair",
    "TitleDataset",
    "TitleGenerator",
    "bleu",
    "chinese_pairs",
    "compile_title_model",
    "embedded_corpus",
    "generate",
    "load_pairs",
    "naive_beam_search",
    "rouge_scores",
    "save_jsonl",
    "split_pairs",
    "stdlib_pairs",
    "train",
]
