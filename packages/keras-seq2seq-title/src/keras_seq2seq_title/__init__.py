"""keras-seq2seq-title: seq2seq title generator with attention: train, generate, evaluate.

Keras is imported on first access to a public name that needs it
(``keras_plugin_harness.lazy_exports``), so discovering plugins stays cheap.
"""

from keras_plugin_harness import lazy_exports

__version__ = "0.1.0"

# public name -> the submodule that defines it
_WHERE = {
    "BagOfCharsPrior": "layers",
    "CharTokenizer": "tokenizer",
    "DataFormatError": "data",
    "EncoderDecoderAttention": "layers",
    "MaskedSequenceCrossEntropy": "model",
    "Pair": "data",
    "TitleDataset": "dataset",
    "TitleGenerator": "model",
    "bleu": "metrics",
    "chinese_pairs": "corpus",
    "compile_title_model": "model",
    "embedded_corpus": "corpus",
    "generate": "decoding",
    "load_pairs": "data",
    "naive_beam_search": "naive",
    "rouge_scores": "metrics",
    "save_jsonl": "data",
    "split_pairs": "corpus",
    "stdlib_pairs": "corpus",
    "train": "training",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
