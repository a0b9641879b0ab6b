"""keras-seq2seq-title: Seq2seq title generator with attention: train, generate, evaluate."""

__version__ = "0.1.0"
