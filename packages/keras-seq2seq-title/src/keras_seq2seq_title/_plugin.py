"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import BenchCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-seq2seq-title",
        version("keras-seq2seq-title"),
        "Seq2seq title generator with attention: train, generate, evaluate",
    )


@hookimpl
def register_components(registry) -> None:
    from keras_seq2seq_title import _cases
    from keras_seq2seq_title.layers import BagOfCharsPrior, EncoderDecoderAttention
    from keras_seq2seq_title.model import MaskedSequenceCrossEntropy, TitleGenerator

    registry.add(
        TitleGenerator,
        example=lambda: TitleGenerator(
            _cases.tokenizer(),
            embedding_dim=6,
            units=5,
            encoder_layers=1,
            decoder_layers=3,
            attention="additive",
            use_prior=False,
            dropout=0.1,
            max_source_length=30,
            max_title_length=10,
        ),
    )
    registry.add(
        MaskedSequenceCrossEntropy, example=lambda: MaskedSequenceCrossEntropy(name="title_loss")
    )
    registry.add(BagOfCharsPrior, example=lambda: BagOfCharsPrior(50, ignore_ids=(0, 1, 2)))
    registry.add(
        EncoderDecoderAttention, example=lambda: EncoderDecoderAttention(16, score="additive")
    )


@hookimpl
def conformance_cases():
    from keras_seq2seq_title import _cases

    return [_cases.tiny_case(), _cases.additive_case()]


@hookimpl
def bench_cases():
    from keras_seq2seq_title import _bench

    return [
        BenchCase(
            "decode-beam3",
            "fast beam-3 decoder vs the seed's naive decoder (time ratio, "
            "same model and article, 24 steps each)",
            baseline=_bench.naive_decoder,
            candidate=_bench.fast_decoder,
            max_ratio=0.2,
            steps=2,
            blocks=5,
        ),
        BenchCase(
            "embedded-corpus",
            "train 24 epochs on the embedded corpus (word tokens); ROUGE/BLEU of the "
            "model, lead-N and nearest-neighbour retrieval on held-out pairs",
            measure=_bench.embedded_corpus_quality,
            backends=("tensorflow",),
        ),
    ]


@hookimpl
def register_commands(subparsers) -> None:
    from keras_seq2seq_title.cli import add_commands

    title = subparsers.add_parser(
        "title", help="seq2seq title generator: train, generate, evaluate"
    )
    add_commands(title.add_subparsers(dest="title_command", required=True))
