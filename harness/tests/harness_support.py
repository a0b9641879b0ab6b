"""Helpers for the harness tests: fixture plugins installed as dist-info folders on a temporary
sys.path entry, and subprocesses that see them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

#: distribution name -> entry point value, one distribution per fixture plugin
FIXTURE_PLUGINS = {
    "fixture-good": "kph_fixtures.good",
    "fixture-broken-import": "kph_fixtures.broken_import",
    "fixture-raising-hook": "kph_fixtures.raising_hook",
    "fixture-duplicate": "kph_fixtures.duplicate",
    **{
        f"fixture-defect-{check}": f"kph_fixtures.defects:{check.replace('-', '_')}"
        for check in (
            "trains",
            "saves",
            "config",
            "unregistered",
            "seeded",
            "jit",
            "distributed",
            "mixed",
            "bad-input",
        )
    },
}


def install_fixtures(folder: Path, names: list[str] | None = None) -> Path:
    """Write dist-info folders for ``names`` (default: all) into ``folder``; returns it."""
    for name in names or FIXTURE_PLUGINS:
        info = folder / f"{name.replace('-', '_')}-0.1.0.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
        entry = name.removeprefix("fixture-").replace("-", "_")
        (info / "entry_points.txt").write_text(
            f"[keras_plugins]\n{entry} = {FIXTURE_PLUGINS[name]}\n"
        )
    return folder


def fixture_env(site: Path, only_fixtures: bool = True, **extra: str) -> dict[str, str]:
    """Environment for a subprocess that sees the fixture plugins (and, unless
    ``only_fixtures`` is False, no other plugin)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(FIXTURES), env.get("PYTHONPATH", "")])
    if only_fixtures:
        env["KERAS_PLUGINS_ALLOW"] = ",".join(FIXTURE_PLUGINS)
    env.update(extra)
    return env


def run_python(
    code: str, env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout
    )
