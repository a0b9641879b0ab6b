"""The conformance suite itself: every check passes on the good fixture and FAILS on the
fixture built to break it. Runs the real suite in a subprocess, as `keras-plugins check` does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from harness_support import fixture_env
from keras_plugin_harness import CHECKS

#: fixture plugin -> the checks it must fail
DEFECTS = {
    "fixture-defect-trains": ["trains"],
    "fixture-defect-saves": ["saves"],
    "fixture-defect-config": ["config"],
    "fixture-defect-unregistered": ["config", "saves"],
    "fixture-defect-seeded": ["seeded"],
    "fixture-defect-jit": ["jit"],
    "fixture-defect-distributed": ["distributed"],
    "fixture-defect-mixed": ["mixed"],
    "fixture-defect-bad-input": ["bad-input"],
}


def conformance_rows(site: Path, selection: str, report: Path, timeout: int) -> list[dict]:
    """Run the real suite over the fixture plugins matching ``-k selection``; its report rows."""
    env = fixture_env(site, KERAS_BACKEND=keras.backend.backend())
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "keras_plugin_harness.conformance",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        selection,
        f"--conformance-json={report}",
    ]
    subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)
    return json.loads(report.read_text())["results"]


@pytest.fixture(scope="module")
def outcomes(
    fixture_site: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], dict]:
    report = tmp_path_factory.mktemp("fixture-conformance") / "report.json"
    selected = ["fixture-good::"] + [
        f"{p}::scale::{c}" for p, checks in DEFECTS.items() for c in checks
    ]
    rows = conformance_rows(fixture_site, " or ".join(selected), report, timeout=1500)
    return {(r["plugin"], r["check"]): r for r in rows}


def test_hook_conformance_cases(outcomes: dict) -> None:
    """The good fixture passes every check that can run here; skips carry their reason."""
    for check in CHECKS:
        row = outcomes[("fixture-good", check)]
        if row["outcome"] == "skipped":
            assert row["reason"], f"{check} skipped without a reason"
            assert check in ("gpu", "distributed", "jit"), f"{check} skipped: {row['reason']}"
        else:
            assert row["outcome"] == "passed", f"fixture-good fails {check}: {row['reason']}"


@pytest.mark.parametrize(("plugin", "check"), [(p, c) for p, cs in DEFECTS.items() for c in cs])
def test_each_check_fails_on_its_defective_fixture(outcomes: dict, plugin: str, check: str) -> None:
    row = outcomes[(plugin, check)]
    if check == "distributed" and keras.backend.backend() == "jax":
        pytest.skip(
            "JAX DataParallel computes on the global batch (SPMD), so a batch-statistics "
            "defect is exact there; the tensorflow run of this test catches it"
        )
    if row["outcome"] == "skipped":
        pytest.skip(f"{check} does not run on {keras.backend.backend()}: {row['reason']}")
    assert row["outcome"] == "failed", f"{plugin} was not caught by `{check}`"
    assert row["reason"]


def test_broken_plugins_become_failures_not_crashes(fixture_site: Path, tmp_path: Path) -> None:
    rows = conformance_rows(fixture_site, "discovery or ::cases", tmp_path / "report.json", 600)
    rows = {r["plugin"]: r for r in rows}
    assert rows["fixture-broken-import"]["outcome"] == "failed"
    assert "ImportError" in rows["fixture-broken-import"]["reason"]
    assert "conformance_cases() raised" in rows["fixture-raising-hook"]["reason"]
    assert "duplicate plugin name" in rows["fixture-duplicate"]["reason"]
