"""Package layout: the benchmark module has what the runner looks for, and the package uses no
private Keras (it needs no `_keras_compat` module)."""

import re
from pathlib import Path

import keras_seq2seq_title
import keras_seq2seq_title_bench

SRC = Path(keras_seq2seq_title.__file__).parent
# What would count as private Keras: `keras.src`, writes that bypass Keras' attribute tracking,
# and the underscore names of Keras objects (`model._...`, `layer._...`, `keras._...`).
PRIVATE = re.compile(
    r"keras\.src|__dict__|object\.__setattr__|"
    r"\b(keras|model|layer|optimizer|variable|tensor)\._[a-z]"
)


def test_bench_module_has_plugin_and_cases(tmp_path):
    assert keras_seq2seq_title_bench.PLUGIN == "keras-seq2seq-title"
    cases = keras_seq2seq_title_bench.bench_cases(tmp_path)
    assert [c.name for c in cases] == ["decode-beam3", "embedded-corpus"]
    assert not list(tmp_path.iterdir())  # building the cases runs nothing


def test_no_private_keras():
    hits = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(SRC.glob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert not hits, hits
    assert PRIVATE.search("model._flatten_layers()")  # the pattern bites
