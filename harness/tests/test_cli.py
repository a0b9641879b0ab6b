"""`keras-plugins` command line: list / info / plugin subcommands, and the import budget."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from harness_support import fixture_env, run_python

LIST = "import sys; from keras_plugin_harness.cli import main; sys.argv[0] = 'keras-plugins'; "


def run_cli(args: list[str], env: dict[str, str]):
    code = (
        LIST
        + f"rc = main({args!r}); "
        + "print('MODULES', sorted(m for m in ('keras', 'tensorflow') if m in sys.modules)); "
        + "sys.exit(rc)"
    )
    return run_python(code, env)


def test_list_json_shows_plugins_and_problems_without_keras(fixture_site: Path) -> None:
    done = run_cli(["list", "--json"], fixture_env(fixture_site))
    assert done.returncode == 0, done.stderr
    payload, modules = done.stdout.rsplit("MODULES", 1)
    listing = json.loads(payload)
    names = [p["name"] for p in listing["plugins"]]
    assert "fixture-good" in names and "fixture-defect-trains" in names
    problems = {p["plugin"]: p["reason"] for p in listing["problems"]}
    assert "ImportError" in problems["fixture-broken-import"]
    assert "fixture-duplicate" in problems
    assert modules.strip() == "[]"


def test_info_and_unknown_plugin(fixture_site: Path) -> None:
    env = fixture_env(fixture_site)
    done = run_cli(["info", "fixture-good"], env)
    assert done.returncode == 0 and "hooks: plugin_info, register_components" in done.stdout
    missing = run_cli(["info", "nope"], env)
    assert missing.returncode == 2 and "no plugin named 'nope'" in missing.stderr


def test_hook_register_commands(fixture_site: Path) -> None:
    done = run_cli(["fixture-hello", "--name", "keras"], fixture_env(fixture_site))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hello keras")


def test_import_budget_list_costs_at_most_15_percent_of_import_keras(fixture_site: Path) -> None:
    """`keras-plugins list` must stay cheap: measured against `import keras` in this same run."""
    env = fixture_env(fixture_site)

    def best_of(code: str, runs: int = 3) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            done = run_python(code, env)
            times.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stderr
        return min(times)

    baseline = best_of("pass")  # interpreter start-up, present in both
    listing = best_of(LIST + "main(['list'])") - baseline
    keras_import = best_of("import keras") - baseline
    ratio = listing / keras_import
    print(
        f"import budget: list {listing:.3f}s, import keras {keras_import:.3f}s, ratio {ratio:.3f}"
    )
    assert ratio <= 0.15, f"`keras-plugins list` costs {ratio:.0%} of `import keras`"
    assert sys.executable  # the same interpreter ran all three
