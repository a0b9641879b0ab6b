"""The keras-plugin-harness entry point of keras-seq2seq-title (``keras_plugins`` group).

Loaded by the harness only. Importing it imports neither Keras nor ``keras_seq2seq_title``
(whose ``__init__`` imports Keras): the hooks import them when called, so listing plugins stays
cheap. ``keras-plugins title ...`` hands its arguments to ``keras_seq2seq_title.cli``, which
is imported only when the command runs.
"""

from __future__ import annotations

import argparse
from importlib.metadata import version
from typing import Any

from keras_plugin_harness import ConformanceCase, PluginInfo, hookimpl

#: ``keras_seq2seq_title.cli``'s commands, listed here so that building the parser (which every
#: ``keras-plugins`` command does) does not import the package.
COMMANDS = ("train", "generate", "evaluate")


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-seq2seq-title",
        version("keras-seq2seq-title"),
        "Seq2seq title generator with attention: train, generate, evaluate",
    )


@hookimpl
def register_components(registry: Any) -> None:
    from keras_seq2seq_title import (
        BagOfCharsPrior,
        EncoderDecoderAttention,
        MaskedSequenceCrossEntropy,
        TitleGenerator,
    )
    from keras_seq2seq_title_plugin import cases

    registry.add(
        TitleGenerator,
        example=lambda: TitleGenerator(
            cases.tokenizer(),
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
def conformance_cases() -> list[ConformanceCase]:
    from keras_seq2seq_title_plugin import cases  # imports Keras and keras_seq2seq_title

    return [cases.tiny_case(), cases.additive_case()]


@hookimpl
def register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    title = subparsers.add_parser(
        "title",
        help="seq2seq title generator: train, generate, evaluate",
        description="Seq2seq title generator (also `python -m keras_seq2seq_title`). "
        "Options of a command: keras-plugins title COMMAND --help",
    )
    title.add_argument("title_command", choices=COMMANDS, metavar="{" + ",".join(COMMANDS) + "}")
    title.add_argument(
        "title_args", nargs=argparse.REMAINDER, metavar="...", help="the command's options"
    )
    title.set_defaults(func=run_title)


def run_title(args: argparse.Namespace) -> int:
    """Run ``keras-plugins title COMMAND ...`` with the package's own command line."""
    from keras_seq2seq_title.cli import main

    return main([args.title_command, *args.title_args], prog="keras-plugins title")
