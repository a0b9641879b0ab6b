"""The entry-point module stays cheap; cases and bench cases are found where the runner looks."""

import subprocess
import sys

import keras_layerlr_bench


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
