"""Package layout: the entry-point module stays cheap, the benchmark module has what the runner
looks for, private Keras is reached from `_keras_compat` only."""

import re
import subprocess
import sys
from pathlib import Path

import keras_mixup
import keras_mixup_bench

SRC = Path(keras_mixup.__file__).parent
# What counts as private Keras here: `keras.src`, writes that bypass Keras' attribute tracking,
# and the underscore names of Keras objects and tensors keras-mixup relies on.
PRIVATE = re.compile(
    r"keras\.src|import_module|__dict__|object\.__setattr__|"
    r"\._(flatten_layers|compile_loss|keras_logits|keras_mask|backend)\b|\.add_\("
)


def test_entry_point_module_imports_neither_keras_nor_the_package():
    code = (
        "import sys, keras_mixup_plugin as p; p.plugin_info(); "
        "print('keras' in sys.modules, 'keras_mixup' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_bench_module_has_plugin_and_cases(tmp_path):
    assert keras_mixup_bench.PLUGIN == "keras-mixup"
    cases = keras_mixup_bench.bench_cases(tmp_path)
    assert [c.name for c in cases] == [
        "step-mixup",
        "step-cutmix",
        "step-breakdown",
        "quality-digits",
        "quality-tabular",
    ]
    assert not list(tmp_path.iterdir())  # building the cases runs nothing


def test_private_keras_only_in_keras_compat():
    hits = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(SRC.glob("*.py"))
        if path.name != "_keras_compat.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert not hits, hits
    assert PRIVATE.search((SRC / "_keras_compat.py").read_text())  # the pattern still bites
