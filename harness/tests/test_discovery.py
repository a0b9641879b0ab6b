"""Discovery: fixture plugins as real entry points, broken ones isolated and reported by name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness_support import FIXTURES, fixture_env, run_python
from keras_plugin_harness import ComponentConflictError, PluginInfo, discover


@pytest.fixture
def fixtures_on_path(fixture_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))
    monkeypatch.syspath_prepend(str(fixture_site))
    monkeypatch.setenv(
        "KERAS_PLUGINS_ALLOW",
        "fixture-good,fixture-broken-import,fixture-raising-hook,fixture-duplicate",
    )
    monkeypatch.delenv("KERAS_PLUGINS_BLOCK", raising=False)


def problems_by_plugin(plugins) -> dict[str, str]:
    return {p.plugin: p.reason for p in plugins.problems}


def test_good_plugin_loads_and_broken_ones_are_reported(fixtures_on_path: None) -> None:
    plugins = discover()
    assert set(plugins) == {"fixture-good", "fixture-raising-hook"}
    problems = problems_by_plugin(plugins)
    assert "ImportError" in problems["fixture-broken-import"]
    assert "on purpose" in problems["fixture-broken-import"]
    assert "duplicate plugin name 'fixture-good'" in problems["fixture-duplicate"]
    assert plugins.infos["fixture-good"].version == "0.1.0"  # the good one, not the impostor


def test_hook_that_raises_is_reported_and_others_still_answer(fixtures_on_path: None) -> None:
    plugins = discover()
    assert plugins.conformance_cases("fixture-raising-hook") == []
    assert (
        "conformance_cases() raised RuntimeError"
        in problems_by_plugin(plugins)["fixture-raising-hook"]
    )
    assert [c.name for c in plugins.conformance_cases("fixture-good")] == ["scale"]


@pytest.mark.parametrize(
    ("allow", "block", "expected"),
    [
        ("fixture-good", "", {"fixture-good"}),
        ("fixture-good,fixture-raising-hook", "raising_hook", {"fixture-good"}),  # entry-point name
        ("fixture-good,fixture-raising-hook", "fixture-good", {"fixture-raising-hook"}),
    ],
)
def test_allow_and_block_filter_by_name(
    fixtures_on_path: None, monkeypatch, allow, block, expected
) -> None:
    monkeypatch.setenv("KERAS_PLUGINS_ALLOW", allow)
    monkeypatch.setenv("KERAS_PLUGINS_BLOCK", block)
    assert set(discover()) == expected


def test_discovery_never_imports_keras(fixture_site: Path) -> None:
    code = (
        "import sys; from keras_plugin_harness import discover; p = discover(); "
        "heavy = ('keras', 'tensorflow', 'jax', 'torch'); "
        "print(len(p), sorted(m for m in heavy if m in sys.modules))"
    )
    done = run_python(code, fixture_env(fixture_site))
    assert done.returncode == 0, done.stderr
    count, imported = done.stdout.split(" ", 1)
    assert int(count) >= 1 and imported.strip() == "[]"


def test_discovering_the_installed_plugins_never_imports_keras() -> None:
    # The real plugins installed next to the harness (all of this repo's in `nox -s tests`):
    # each entry-point module is imported, and must import neither Keras nor its package.
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERAS_PLUGINS_")}
    code = (
        "import json, sys; from keras_plugin_harness import discover; p = discover(); "
        "heavy = ('keras', 'tensorflow', 'jax', 'torch'); "
        "print(json.dumps([sorted(p), [str(x) for x in p.problems], "
        "[m for m in heavy if m in sys.modules]]))"
    )
    done = run_python(code, env)
    assert done.returncode == 0, done.stderr
    names, problems, imported = json.loads(done.stdout.strip().splitlines()[-1])
    print("discovered:", names)
    assert problems == []
    assert imported == [], f"discovering {names} imported {imported}"


def test_hook_plugin_info(fixtures_on_path: None) -> None:
    info = discover().infos["fixture-good"]
    assert info == PluginInfo("fixture-good", "0.1.0", "Learned per-feature scale (fixture)")
    with pytest.raises(ValueError, match="`backends`"):
        PluginInfo("x", "1", "y", backends=("tensorflow", "mxnet"))


def test_hook_register_components(fixtures_on_path: None) -> None:
    plugins = discover()
    objects = plugins.custom_objects()
    assert objects["kph_fixtures>Scale"].__name__ == "Scale"
    assert objects["Scale"] is objects["kph_fixtures>Scale"]
    assert [c.name for c in plugins.registry.for_plugin("fixture-good")] == ["kph_fixtures>Scale"]


def test_same_component_name_from_two_plugins_names_both() -> None:
    from keras_plugin_harness import ComponentRegistry

    registry = ComponentRegistry()
    registry.plugin = "plugin-a"
    registry.add(dict, name="pkg>Thing")
    registry.plugin = "plugin-b"
    with pytest.raises(ComponentConflictError, match="'plugin-a' and by plugin 'plugin-b'"):
        registry.add(list, name="pkg>Thing")
    with pytest.raises(TypeError, match="`obj`"):
        registry.add(42, name="x")  # type: ignore[arg-type]


def test_hooks_are_documented_with_examples_and_tested(fixtures_on_path: None) -> None:
    """Every hookspec: documented in docs/hooks.md with its signature, has an example in its
    docstring, is implemented by the good fixture, and has a test_hook_<name> here."""
    import inspect

    from keras_plugin_harness import hookspecs
    from kph_fixtures import good

    docs = (Path(__file__).parents[2] / "docs" / "hooks.md").read_text()
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    specs = [f for n, f in vars(hookspecs).items() if hasattr(f, "keras_plugins_spec")]
    assert len(specs) == 5
    for spec in specs:
        signature = f"{spec.__name__}({', '.join(inspect.signature(spec).parameters)})"
        assert signature in docs, f"docs/hooks.md lacks `{signature}`"
        assert "@hookimpl" in (spec.__doc__ or ""), f"{spec.__name__} docstring has no example"
        assert hasattr(getattr(good, spec.__name__, None), "keras_plugins_impl"), spec.__name__
        assert f"def test_hook_{spec.__name__}(" in tests, f"no test_hook_{spec.__name__}"
