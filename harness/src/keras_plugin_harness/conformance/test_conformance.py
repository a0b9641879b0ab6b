"""Every shared check on every case of every discovered plugin, for the current backend.

Test ids read ``<plugin>::<case>::<check>``, e.g. ``keras-ema::dense::saves``.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ..manager import discover
from .pytest_plugin import split_tensorflow_cpu
from .targets import targets

if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
    # MirroredStrategy needs two logical CPUs, which only exist if split before any TF op runs.
    split_tensorflow_cpu()

PLUGINS = discover()
TARGETS = targets(PLUGINS)


@pytest.fixture(scope="session")
def saved_models(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """Train and save every case whose `saves` check was collected, then reload them all in ONE
    fresh process; returns ``{target id: {"expected", "actual"} or {"error"}}``."""
    from . import reload, runs

    wanted = [
        item.callspec.params["conformance_target"]
        for item in request.session.items
        if hasattr(item, "callspec") and "conformance_target" in item.callspec.params
    ]
    wanted = [
        t for t in wanted if t.check == "saves" and t.skip_reason is None and t.failure is None
    ]
    folder = tmp_path_factory.mktemp("saved-models")
    manifest: list[dict[str, Any]] = []
    results: dict[str, dict[str, Any]] = {}
    for number, target in enumerate(wanted):
        case = target.conformance_case
        try:
            model, _ = runs.train(case)
            path = folder / f"{number}.keras"
            model.save(path)
            expected = reload.measure(case, model)  # the readings the fresh process takes
        except Exception as error:
            results[target.id] = {"error": f"saving in the original process failed: {error!r}"}
            continue
        results[target.id] = {"expected": expected}
        manifest.append(
            {
                "plugin": target.plugin,
                "case": target.case,
                "path": str(path),
                "out": str(folder / f"{number}.pickle"),
            }
        )
    if manifest:
        (folder / "manifest.json").write_text(json.dumps(manifest))
        command = [sys.executable, "-m", f"{__package__}.reload", str(folder / "manifest.json")]
        process = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        for entry in manifest:
            key = f"{entry['plugin']}::{entry['case']}::saves"
            out = Path(entry["out"])
            if not out.exists():
                tail = process.stderr[-2000:]
                results[key] = {"error": f"fresh process exited {process.returncode}: {tail}"}
                continue
            actual = pickle.loads(out.read_bytes())
            results[key] = actual if "error" in actual else {**results[key], "actual": actual}
    return results


def _param(target: Any) -> Any:
    # Under `pytest -n 2 --dist loadgroup` (pytest-xdist) every check of one case runs in one
    # worker, sharing that case's reference run, and every `saves` check runs in one worker,
    # sharing one fresh process. Without xdist the mark does nothing.
    group = "saves" if target.check == "saves" else f"{target.plugin}::{target.case}"
    return pytest.param(target, id=target.id, marks=pytest.mark.xdist_group(group))


@pytest.mark.parametrize("conformance_target", [_param(t) for t in TARGETS])
def test_conformance(conformance_target: Any, request: pytest.FixtureRequest) -> None:
    from . import checks

    target = conformance_target
    if target.failure is not None:
        pytest.fail(target.failure, pytrace=False)
    if target.skip_reason is not None:
        pytest.skip(target.skip_reason)
    if target.check == "saves":
        saved = request.getfixturevalue("saved_models")
        checks.check_saves(target.plugin, target.conformance_case, PLUGINS, saved[target.id])
    else:
        checks.CHECK_FUNCTIONS[target.check](target.plugin, target.conformance_case, PLUGINS)
