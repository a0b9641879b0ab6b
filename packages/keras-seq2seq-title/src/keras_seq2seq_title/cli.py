"""``python -m keras_seq2seq_title train|generate|evaluate`` (also ``keras-plugins title ...``).

The harness' ``keras-plugins title`` hands its arguments to :func:`main`. Each command imports
the modules it needs when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_commands(subparsers) -> None:
    """Add ``train``, ``generate`` and ``evaluate`` to ``subparsers``."""
    train = subparsers.add_parser("train", help="train a title generator")
    train.add_argument("--data", help="JSONL/TSV file (default: the embedded corpus)")
    train.add_argument("--out", required=True, help="run directory (checkpoints, state.json)")
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--validation-split", type=float, default=0.1)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument("--resume", action="store_true", help="continue the run in --out")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--languages", default="en,zh", help="embedded corpus parts: en,zh")
    train.add_argument("--min-count", type=int, default=2)
    train.add_argument("--max-vocabulary", type=int)
    train.add_argument(
        "--split",
        choices=("char", "word"),
        default="char",
        help="char: every character; word: CJK chars + other-script words",
    )
    train.add_argument("--lowercase", action="store_true")
    train.add_argument("--embedding-dim", type=int, default=128)
    train.add_argument("--units", type=int, default=128)
    train.add_argument("--encoder-layers", type=int, default=2)
    train.add_argument("--decoder-layers", type=int, default=2)
    train.add_argument("--attention", choices=("general", "additive"), default="general")
    train.add_argument("--no-prior", action="store_true")
    train.add_argument("--dropout", type=float, default=0.0)
    train.add_argument("--max-source-length", type=int, default=256)
    train.add_argument("--max-title-length", type=int, default=48)
    train.add_argument("--workers", type=int, default=1)
    _data_options(train)
    train.set_defaults(func=run_train)

    generate = subparsers.add_parser("generate", help="write titles for articles")
    generate.add_argument("--model", required=True, help="run directory or .keras file")
    generate.add_argument("text", nargs="*", help="article text(s)")
    generate.add_argument("--input", help="a file with one article per line")
    _decoding_options(generate)
    generate.set_defaults(func=run_generate)

    evaluate = subparsers.add_parser("evaluate", help="ROUGE/BLEU vs lead-N and retrieval")
    evaluate.add_argument("--model", required=True)
    evaluate.add_argument("--data", help="evaluation file (default: the run's validation split)")
    evaluate.add_argument("--train-data", help="retrieval index (default: the run's train split)")
    evaluate.add_argument("--lead", type=int, help="N of lead-N (default: median title length)")
    evaluate.add_argument("--limit", type=int, help="evaluate at most this many pairs")
    evaluate.add_argument("--json", action="store_true", help="print rows as JSON")
    _data_options(evaluate)
    _decoding_options(evaluate)
    evaluate.set_defaults(func=run_evaluate)


def _data_options(parser):
    parser.add_argument("--format", choices=("jsonl", "tsv"))
    parser.add_argument("--title-field")
    parser.add_argument("--content-field")


def _decoding_options(parser):
    parser.add_argument("--beam", type=int, default=3, help="beam size (1: greedy)")
    parser.add_argument("--max-length", type=int)
    parser.add_argument("--min-length", type=int, default=1)
    parser.add_argument("--length-penalty", type=float, default=0.0)
    parser.add_argument("--no-repeat-ngram", type=int, default=0)
    parser.add_argument("--top-k", type=int, default=0)
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--seed", type=int)


def _decoding_kwargs(args):
    return {
        "beam_size": args.beam,
        "max_length": args.max_length,
        "min_length": args.min_length,
        "length_penalty": args.length_penalty,
        "no_repeat_ngram_size": args.no_repeat_ngram,
        "top_k": args.top_k,
        "top_p": args.top_p,
        "temperature": args.temperature,
        "seed": args.seed,
    }


def _pairs(path, args, languages="en,zh"):
    from .corpus import embedded_corpus
    from .data import load_pairs

    if path:
        return load_pairs(path, args.format, args.title_field, args.content_field)
    return embedded_corpus(tuple(languages.split(",")))


def run_train(args) -> int:
    from .training import train

    pairs = _pairs(args.data, args, args.languages)
    print(f"training on {len(pairs)} pairs ({args.data or 'embedded corpus'}) -> {args.out}")
    _model, state = train(
        pairs,
        args.out,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_fraction=args.validation_split,
        seed=args.seed,
        resume=args.resume,
        learning_rate=args.learning_rate,
        min_count=args.min_count,
        max_vocabulary=args.max_vocabulary,
        split=args.split,
        lowercase=args.lowercase,
        workers=args.workers,
        embedding_dim=args.embedding_dim,
        units=args.units,
        encoder_layers=args.encoder_layers,
        decoder_layers=args.decoder_layers,
        attention=args.attention,
        use_prior=not args.no_prior,
        dropout=args.dropout,
        max_source_length=args.max_source_length,
        max_title_length=args.max_title_length,
    )
    settings = dict(
        state["settings"],
        data=args.data,
        languages=args.languages,
        format=args.format,
        title_field=args.title_field,
        content_field=args.content_field,
    )
    with open(f"{args.out}/run.json", "w", encoding="utf-8") as handle:
        json.dump(settings, handle, indent=1)
    if state["interrupted"]:
        print(
            f"\ninterrupted: {args.out}/{state['checkpoint']} (epoch {state['epoch']}) is "
            "complete; continue with --resume",
            file=sys.stderr,
        )
        return 130
    print(f"done: epoch {state['epoch']}, model in {args.out}/model.keras")
    return 0


def run_generate(args) -> int:
    from .training import load_title_model

    texts = list(args.text)
    if args.input:
        with open(args.input, encoding="utf-8") as handle:
            texts += [line.strip() for line in handle if line.strip()]
    if not texts:
        print("error: give article text(s) or --input FILE", file=sys.stderr)
        return 2
    model = load_title_model(args.model)
    for title in model.generate(texts, **_decoding_kwargs(args)):
        print(title)
    return 0


def run_evaluate(args) -> int:
    import os

    from .corpus import split_pairs
    from .evaluation import evaluate
    from .training import load_title_model

    model = load_title_model(args.model)
    run = {}
    run_file = os.path.join(args.model, "run.json") if os.path.isdir(args.model) else ""
    if os.path.exists(run_file):
        with open(run_file, encoding="utf-8") as handle:
            run = json.load(handle)
    train_pairs = held = None
    if run and not (args.data and args.train_data):
        train_pairs, held = split_pairs(
            _pairs(
                run.get("data"),
                argparse.Namespace(
                    format=run.get("format"),
                    title_field=run.get("title_field"),
                    content_field=run.get("content_field"),
                ),
                run.get("languages", "en,zh"),
            ),
            run["validation_fraction"],
            run["seed"],
        )
    pairs = _pairs(args.data, args) if args.data else held
    if args.train_data:
        train_pairs = _pairs(args.train_data, args)
    if not pairs or not train_pairs:
        print(
            "error: give --data and --train-data (or a run directory from `train`)", file=sys.stderr
        )
        return 2
    pairs = pairs[: args.limit] if args.limit else pairs
    rows, _titles = evaluate(model, pairs, train_pairs, lead=args.lead, **_decoding_kwargs(args))
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(f"{len(pairs)} pairs; ROUGE F1 and BLEU in %")
        print(f"{'system':40s} {'R-1':>6s} {'R-2':>6s} {'R-L':>6s} {'BLEU':>6s}")
        for row in rows:
            print(
                f"{row['system']:40s} {row['rouge-1']:6.2f} {row['rouge-2']:6.2f} "
                f"{row['rouge-l']:6.2f} {row['bleu']:6.2f}"
            )
    return 0


def build_parser(prog: str = "python -m keras_seq2seq_title") -> argparse.ArgumentParser:
    """The command line: ``train``, ``generate`` and ``evaluate`` under ``prog``."""
    parser = argparse.ArgumentParser(prog=prog, description="seq2seq title generator")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv=None, prog: str = "python -m keras_seq2seq_title") -> int:
    """Run one command (``argv`` defaults to ``sys.argv[1:]``); returns the exit status."""
    args = build_parser(prog).parse_args(argv)
    return args.func(args)
