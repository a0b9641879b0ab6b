"""Every public class and function has a ``>>>`` example in its docstring.

The examples themselves run as doctests in ``nox -s tests`` (``pytest --doctest-modules``);
this test makes sure they exist: for ``keras_plugin_harness`` and for the package of every
installed plugin (found through ``discover()``: the package that the entry-point module
``<package>_plugin`` serves).
"""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

from keras_plugin_harness import discover

HARNESS = "keras_plugin_harness"


def public_packages() -> list[str]:
    """The harness, then each discovered plugin's top-level package, in discovery order."""
    plugins = discover()
    packages = [HARNESS]
    for plugin in plugins:
        package = plugins.module(plugin).__name__.partition(".")[0].removesuffix("_plugin")
        if package not in packages:
            packages.append(package)
    return packages


def missing_examples(module: types.ModuleType) -> list[str]:
    """Names in ``module.__all__`` that are callable (classes, functions, decorator objects)
    and whose own docstring has no ``>>>`` example. Constants are exempt."""
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not callable(obj):
            continue
        # __doc__, not inspect.getdoc: a class must not pass on its base class's example
        doc = obj.__doc__ if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj).__doc__
        if ">>>" not in (doc or ""):
            missing.append(name)
    return missing


PACKAGES = public_packages()


@pytest.mark.parametrize("package", PACKAGES)
def test_public_callables_have_doctest_examples(package: str) -> None:
    module = importlib.import_module(package)
    assert isinstance(getattr(module, "__all__", None), list | tuple), (
        f"{package} has no __all__: its public API is undefined"
    )
    assert not missing_examples(module), (
        f"{package}: these public names need a docstring with a `>>>` example: "
        f"{missing_examples(module)}"
    )


def test_checked_packages_are_discovered() -> None:
    """This repo's packages are installed, so the test above is not vacuous for them."""
    ours = {"keras_ema", "keras_layerlr", "keras_mixup", "keras_lipschitz", "keras_gan_arch"}
    ours |= {"keras_probe", "keras_seq2seq_title"}
    assert {HARNESS, *ours} <= set(PACKAGES), PACKAGES


def test_missing_examples_flags_undocumented_callables_only() -> None:
    class Base:
        """A base class.

        >>> Base()  # doctest: +ELLIPSIS
        <...>
        """

    class Inherits(Base):  # no docstring of its own: the base's example does not count
        pass

    def documented() -> None:
        """Does nothing.

        >>> documented()
        """

    def undocumented() -> None:
        """Does nothing, without an example."""

    class Marker:
        """Instances are decorators; their class docstring is what ``help()`` shows.

        >>> Marker()(len) is len
        True
        """

        def __call__(self, function: object) -> object:
            return function

    module = types.ModuleType("kph_fake_plugin")
    module.__dict__.update(
        Base=Base,
        Inherits=Inherits,
        documented=documented,
        undocumented=undocumented,
        marker=Marker(),
        bare_marker=type("BareMarker", (), {"__call__": lambda self, f: f})(),
        CONSTANT=(1, 2),
        __all__=[
            "Base",
            "Inherits",
            "documented",
            "undocumented",
            "marker",
            "bare_marker",
            "CONSTANT",
        ],
    )
    assert missing_examples(module) == ["Inherits", "undocumented", "bare_marker"]
