"""pytest plugin (entry point ``pytest11``): options, device setup and the JSON report.

pytest loads it in every run where the harness is installed, so it imports nothing heavy unless
the conformance suite itself is collected.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

#: both distributed checks need two devices, which must be configured before a backend starts
HOST_DEVICES = 2


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("keras-plugins", "Keras plugin conformance")
    group.addoption(
        "--conformance-json",
        metavar="PATH",
        help="write every conformance outcome (plugin, case, check, outcome, reason) to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "xdist_group(name): run with `--dist loadgroup`")
    # JAX reads this when its CPU backend starts; setting it earlier costs nothing.
    flag = f"--xla_force_host_platform_device_count={HOST_DEVICES}"
    if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flag).strip()


def split_tensorflow_cpu() -> str | None:
    """Give TensorFlow two logical CPUs for `MirroredStrategy`; returns why not, or None."""
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    # get_logical_device_configuration does not start the runtime; list_logical_devices would
    if len(tf.config.get_logical_device_configuration(cpus[0]) or []) >= HOST_DEVICES:
        return None
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration()] * HOST_DEVICES
        )
    except RuntimeError as error:  # the runtime started before the suite was collected
        return f"TensorFlow started before its CPU could be split: {error}"
    return None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    key = getattr(report, "conformance_key", None)
    if key is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        reason = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.failed:
            reason = _failure_line(report)
        row = dict(zip(("plugin", "case", "check"), key, strict=True))
        row.update(outcome=report.outcome, reason=reason)
        _ROWS.append(row)


_ROWS: list[dict[str, Any]] = []


def _failure_line(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return " ".join(text.split())[:300]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("conformance_target") if callspec else None
    if target is not None:
        report.conformance_key = (target.plugin, target.case, target.check)
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("--conformance-json")
    if path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        tmp.write_text(json.dumps({"backend": backend, "results": _ROWS}, indent=1))
        tmp.replace(target)  # atomic: a reader never sees half a report
