"""`lazy_exports`: a plugin package's public names import their submodule on first access."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from keras_plugin_harness import lazy_exports

INIT = """
from keras_plugin_harness import lazy_exports
_WHERE = {"helper": "tools", "tools": "tools", "other": "more"}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text(INIT)
    # `tools` is both a submodule and a public function defined in it
    (root / "tools.py").write_text("def helper():\n    return 1\n\ndef tools():\n    return 2\n")
    (root / "more.py").write_text("other = 'x'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "lazypkg"
    for name in [m for m in sys.modules if m == "lazypkg" or m.startswith("lazypkg.")]:
        del sys.modules[name]


def test_submodules_load_on_first_access_only(package: str) -> None:
    import importlib

    module = importlib.import_module(package)
    assert "lazypkg.tools" not in sys.modules and "lazypkg.more" not in sys.modules
    assert module.other == "x"
    assert "lazypkg.more" in sys.modules and "lazypkg.tools" not in sys.modules
    assert {"helper", "tools", "other"} <= set(dir(module))


def test_a_function_named_like_its_submodule_is_not_shadowed(package: str) -> None:
    import importlib

    module = importlib.import_module(package)
    assert module.helper() == 1  # imports lazypkg.tools, which binds the submodule...
    assert callable(module.tools) and module.tools() == 2  # ...but the function wins


def test_unknown_name_is_an_attribute_error_naming_the_package() -> None:
    getattr_, _ = lazy_exports("json", {})
    with pytest.raises(AttributeError, match="module 'json' has no attribute 'nope'"):
        getattr_("nope")
