"""The host app: capability lookup (pure python) and one end-to-end run with a single plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

APP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(APP))

from capabilities import CAPABILITIES, find_capabilities, registered_names  # noqa: E402


class Layer:
    """Stands in for a registered Keras class."""


def component(name: str, plugin: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, obj=Layer, plugin=plugin)


def test_capability_needs_every_component_it_names() -> None:
    found = find_capabilities([component("pkg_a>MixupModel", "a")])
    assert not found["mixup"].available
    assert found["mixup"].missing == ("Mixup",)
    found = find_capabilities([component("pkg_a>MixupModel", "a"), component("pkg_b>Mixup", "b")])
    assert found["mixup"].available
    assert found["mixup"].plugins == ["a", "b"]
    assert found["mixup"].obj("Mixup") is Layer


def test_capabilities_are_matched_by_component_name_not_plugin_name() -> None:
    found = find_capabilities([component("anything>LayerLR", "some-other-plugin")])
    assert found["layer-lr"].available and found["layer-lr"].plugins == ["some-other-plugin"]
    assert [k for k, f in found.items() if f.available] == ["layer-lr"]
    assert set(found) == set(CAPABILITIES)


def test_first_plugin_in_discovery_order_wins_a_name() -> None:
    found = find_capabilities([component("x>LayerLR", "first"), component("y>LayerLR", "second")])
    assert found["layer-lr"].plugins == ["first"]


def test_missing_capability_raises_lookup_error_naming_it() -> None:
    with pytest.raises(LookupError, match="weight-average"):
        find_capabilities([])["weight-average"].obj()


def test_registered_names_walks_nested_configs() -> None:
    config = {
        "registered_name": "pkg>Outer",
        "config": {"layers": [{"registered_name": None}, {"registered_name": "pkg>Inner"}]},
    }
    assert registered_names(config) == {"pkg>Outer", "pkg>Inner"}


def test_app_runs_with_a_single_plugin(tmp_path: Path) -> None:
    """Only keras-ema allowed: the other capabilities are skipped, save/reload still works."""
    pytest.importorskip("keras_ema", reason="the end-to-end run needs keras-ema installed")
    env = {**os.environ, "KERAS_PLUGINS_ALLOW": "keras-ema", "TF_CPP_MIN_LOG_LEVEL": "2"}
    args = ["--epochs", "2", "--no-baseline", "--workdir", str(tmp_path)]
    done = subprocess.run(
        [sys.executable, str(APP / "host_app.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "[x] weight-average" in done.stdout
    assert "[ ] spectral-norm" in done.stdout and "[ ] mixup" in done.stdout
    assert "averaged weights (EMA)" in done.stdout
    assert "same predictions" in done.stdout
    assert (tmp_path / "digits.keras").exists()
