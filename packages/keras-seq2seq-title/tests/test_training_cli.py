import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_seq2seq_title.cli import build_parser, main
from keras_seq2seq_title.dataset import TitleDataset
from keras_seq2seq_title.training import load_title_model, read_state, train
from keras_seq2seq_title_plugin import COMMANDS, cases, run_title

TINY = dict(
    embedding_dim=8,
    units=8,
    encoder_layers=1,
    decoder_layers=1,
    max_source_length=40,
    max_title_length=16,
)


def test_dataset_batches_cover_every_pair_once_and_are_deterministic():
    rng = np.random.default_rng(0)
    sources = [list(range(4, 4 + int(n))) for n in rng.integers(1, 60, size=103)]
    titles = [[2, 5, 3]] * 103
    data = TitleDataset(sources, titles, batch_size=10, bucket_size=4, pad_multiple=8, seed=1)
    for epoch in (0, 1):
        batches = data.batches(epoch)
        assert sorted(np.concatenate(batches).tolist()) == list(range(103))
    assert [b.tolist() for b in data.batches(1)] == [
        b.tolist() for b in TitleDataset(sources, titles, 10, bucket_size=4, seed=1).batches(1)
    ]
    assert [b.tolist() for b in data.batches(0)] != [b.tolist() for b in data.batches(1)]
    (source, title_in), title_out = data[0]
    assert source.shape[1] % 8 == 0 and source.shape[1] >= max(len(s) for s in sources)
    np.testing.assert_array_equal(title_in[:, 1:], title_out[:, :-1])
    # bucketing: far less padding than random batches
    padded = sum(data[i][0][0].size for i in range(len(data)))
    unbucketed = TitleDataset(sources, titles, 10, bucket_size=1, pad_multiple=8, seed=1)
    assert padded < 0.8 * sum(unbucketed[i][0][0].size for i in range(len(unbucketed)))
    with pytest.raises(ValueError, match="`batch_size` must be an integer >= 1"):
        TitleDataset(sources, titles, batch_size=0)


def test_resume_continues_exactly(tmp_path):
    pairs = cases.PAIRS * 3
    common = dict(batch_size=4, validation_fraction=0.2, seed=0, verbose=0, min_count=1, **TINY)
    straight, _ = train(pairs, str(tmp_path / "a"), epochs=2, **common)
    train(pairs, str(tmp_path / "b"), epochs=1, **common)
    assert read_state(tmp_path / "b")["epoch"] == 1
    resumed, state = train(pairs, str(tmp_path / "b"), epochs=2, resume=True, **common)
    assert state["epoch"] == 2 and len(state["history"]["loss"]) == 2
    # Bit-identical: same weights, optimizer state, batches and batch order.
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(straight.optimizer.variables, resumed.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert sorted(os.listdir(tmp_path / "b")) == ["epoch-002.keras", "model.keras", "state.json"]
    with pytest.raises(ValueError, match="resume with the same `--data`"):
        train(pairs[:5], str(tmp_path / "b"), epochs=3, resume=True, **common)


def test_cli_train_generate_evaluate(tmp_path, capsys):
    data = tmp_path / "pairs.tsv"
    data.write_text("".join(f"{p.title}\t{p.content}\n" for p in cases.PAIRS * 3), "utf-8")
    out = str(tmp_path / "run")
    size = [
        "--embedding-dim",
        "8",
        "--units",
        "8",
        "--encoder-layers",
        "1",
        "--decoder-layers",
        "1",
        "--max-source-length",
        "40",
        "--max-title-length",
        "16",
        "--min-count",
        "1",
    ]
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--out",
                out,
                "--epochs",
                "1",
                "--batch-size",
                "4",
                *size,
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "generate",
                "--model",
                out,
                "--beam",
                "2",
                "--max-length",
                "5",
                "滚滚长江东逝水",
                "The argument may be an integer.",
            ]
        )
        == 0
    )
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["evaluate", "--model", out, "--json", "--beam", "1", "--max-length", "5"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["system"] for r in rows][::2] == ["model", "nearest-neighbour"]
    assert all(0 <= r["rouge-l"] <= 100 for r in rows)
    assert load_title_model(os.path.join(out, "model.keras")).tokenizer.vocabulary_size > 10


def title_parser():
    """``keras-plugins``' parser with only this plugin's ``title`` command."""
    from keras_seq2seq_title_plugin import register_commands

    parser = argparse.ArgumentParser(prog="keras-plugins")
    register_commands(parser.add_subparsers())
    return parser


def test_register_commands_adds_title_subcommands():
    args = title_parser().parse_args(["title", "generate", "--model", "m", "--top-k", "5", "text"])
    assert args.func is run_title
    # the package's own command line parses what `keras-plugins title` hands over
    forwarded = build_parser().parse_args([args.title_command, *args.title_args])
    assert forwarded.top_k == 5 and forwarded.text == ["text"] and callable(forwarded.func)
    # the hook lists the package's commands without importing it
    assert "{" + ",".join(COMMANDS) + "}" in build_parser().format_usage()
    with pytest.raises(SystemExit):
        title_parser().parse_args(["title", "summarize"])


def test_keras_plugins_title_generate_runs_the_package_command(tmp_path, capsys):
    out = str(tmp_path / "run")
    pairs = cases.PAIRS * 2
    train(pairs, out, epochs=1, batch_size=4, min_count=1, verbose=0, **TINY)
    args = title_parser().parse_args(
        ["title", "generate", "--model", out, "--beam", "1", "--max-length", "4", "hello", "x"]
    )
    assert args.func(args) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_listing_and_registering_commands_do_not_import_keras():
    code = (
        "import argparse, sys; import keras_seq2seq_title_plugin as p; "
        "p.register_commands(argparse.ArgumentParser().add_subparsers()); p.plugin_info(); "
        "print(sorted(m for m in ('keras', 'keras_seq2seq_title') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
