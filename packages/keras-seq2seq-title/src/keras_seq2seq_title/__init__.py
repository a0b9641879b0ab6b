"""keras-seq2seq-title: seq2seq title generator with attention: train, generate, evaluate."""

from keras_seq2seq_title.corpus import chinese_pairs, embedded_corpus, split_pairs, stdlib_pairs
from keras_seq2seq_title.data import DataFormatError, Pair, load_pairs, save_jsonl
from keras_seq2seq_title.dataset import TitleDataset
from keras_seq2seq_title.decoding import generate
from keras_seq2seq_title.layers import BagOfCharsPrior, EncoderDecoderAttention
from keras_seq2seq_title.metrics import bleu, rouge_scores
from keras_seq2seq_title.model import (
    MaskedSequenceCrossEntropy,
    TitleGenerator,
    compile_title_model,
)
from keras_seq2seq_title.naive import naive_beam_search
from keras_seq2seq_title.tokenizer import CharTokenizer
from keras_seq2seq_title.training import train

__version__ = "0.1.0"

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
