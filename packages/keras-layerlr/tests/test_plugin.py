"""Package layout: the entry-point module stays cheap, cases and bench cases are found where
the runner looks, private Keras is reached from `_keras_compat` only, `table` is a leaf."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import keras_layerlr
import keras_layerlr_bench

SRC = Path(keras_layerlr.__file__).parent
# What counts as private Keras here: `keras.src`, TF internals, instance `__dict__` writes and
# the optimizer's underscore methods / attributes LayerLR relies on.
PRIVATE = re.compile(
    r"keras\.src|__internal__|__dict__|\._(var_key|untrack_variable|track_variable|iterations|"
    r"learning_rate|backend_update_step|apply_weight_decay|all_reduce_sum_gradients|"
    r"use_weight_decay|parallel_update_step|distribution_strategy|foreach_\w+)\b"
)


def test_entry_point_module_imports_neither_keras_nor_the_package():
    code = (
        "import sys, keras_layerlr_plugin as p; p.plugin_info(); "
        "print('keras' in sys.modules, 'keras_layerlr' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_conformance_and_bench_cases(tmp_path):
    import keras_layerlr_plugin

    assert [c.name for c in keras_layerlr_plugin.conformance_cases()] == [
        "sgd-momentum",
        "adamw-llrd",
    ]
    assert keras_layerlr_bench.PLUGIN == "keras-layerlr"
    assert [c.name for c in keras_layerlr_bench.bench_cases(tmp_path)] == ["step-time"]
    assert not list(tmp_path.iterdir())


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


def test_table_imports_neither_keras_nor_layer_lr():
    imported = set()
    for node in ast.walk(ast.parse((SRC / "table.py").read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {node.module or "", *(alias.name for alias in node.names)}
    assert not imported & {"keras", "layer_lr", "keras_layerlr"}, imported
