"""Discovery: ``keras_plugins`` entry points -> one pluggy manager, with fault isolation.

A broken plugin never breaks the others: an import error, a hook that raises or a duplicate name
is recorded in ``Plugins.problems`` (plugin name + reason) and that plugin is left out.
Nothing here imports Keras; only ``register_components`` (called lazily) may.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .cases import BenchCase, ConformanceCase, PluginInfo
from .registry import ComponentRegistry

ENTRY_POINT_GROUP = "keras_plugins"


@dataclass(frozen=True)
class Problem:
    """A plugin that could not be (fully) loaded, and why.

    Attributes:
        plugin: the plugin's name (its distribution name when it never said who it is).
        reason: one line: what failed and where.

    `discover` collects them in ``Plugins.problems`` instead of raising:

    >>> from importlib.metadata import EntryPoint
    >>> broken = EntryPoint("broken", "kph_no_such_module", "keras_plugins")
    >>> plugins = discover([broken])
    >>> len(plugins), [problem.plugin for problem in plugins.problems]
    (0, ['broken'])
    >>> print(plugins.problems[0].reason.partition(" (at ")[0])
    import of 'kph_no_such_module' failed: ModuleNotFoundError: No module named 'kph_no_such_module'
    """

    plugin: str
    reason: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.reason}"


def _name_filter(variable: str) -> set[str]:
    return {n.strip() for n in os.environ.get(variable, "").split(",") if n.strip()}


def _one_line(error: BaseException) -> str:
    where = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    at = f" (at {where[0].filename}:{where[0].lineno})" if where else ""
    return f"{type(error).__name__}: {error}{at}"


class Plugins:
    """The discovered plugins. Create it with :func:`discover`.

    Attributes:
        manager: the pluggy ``PluginManager`` holding every plugin that loaded.
        infos: ``{name: PluginInfo}`` in discovery order.
        problems: every plugin that was left out or misbehaved, with the reason.

    A plugin is any importable module with ``@hookimpl`` functions; here one is built on the
    fly and discovered through an entry point:

    >>> import sys, types
    >>> from importlib.metadata import EntryPoint
    >>> from keras_plugin_harness import PluginInfo, hookimpl
    >>> module = types.ModuleType("kph_doctest_plugin")
    >>> @hookimpl
    ... def plugin_info():
    ...     return PluginInfo("keras-doctest", "0.1.0", "A plugin made in a docstring")
    >>> module.plugin_info = plugin_info
    >>> sys.modules[module.__name__] = module
    >>> plugins = discover([EntryPoint("doctest", "kph_doctest_plugin", "keras_plugins")])
    >>> list(plugins), "keras-doctest" in plugins, plugins.problems
    (['keras-doctest'], True, [])
    >>> plugins.infos["keras-doctest"].summary, plugins.module("keras-doctest") is module
    ('A plugin made in a docstring', True)
    >>> plugins.implemented_hooks()["plugin_info"], plugins.bench_cases("keras-doctest")
    (['keras-doctest'], [])
    >>> del sys.modules[module.__name__]
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self.infos: dict[str, PluginInfo] = {}
        self.problems: list[Problem] = []
        self._modules: dict[str, Any] = {}
        self._registry: ComponentRegistry | None = None

    # -- per-plugin hook calls, each isolated -------------------------------------------------

    def _call(self, plugin: str, hook: str, **kwargs: Any) -> Any:
        """Call ``hook`` on one plugin; record a problem and return None if it raises."""
        module = self._modules[plugin]
        function = getattr(module, hook, None)
        if function is None or not hasattr(function, hookspecs.PROJECT + "_impl"):
            return None
        impls = [i for i in getattr(self.manager.hook, hook).get_hookimpls() if i.plugin is module]
        try:
            return impls[0].function(*[kwargs[a] for a in impls[0].argnames])
        except Exception as error:  # a plugin's bug must not take the host down
            self.problems.append(Problem(plugin, f"hook {hook}() raised {_one_line(error)}"))
            return None

    def __iter__(self) -> Iterator[str]:
        return iter(self.infos)

    def __len__(self) -> int:
        return len(self.infos)

    def __contains__(self, name: object) -> bool:
        return name in self.infos

    def module(self, plugin: str) -> Any:
        """The module implementing ``plugin``'s hooks."""
        return self._modules[plugin]

    @property
    def registry(self) -> ComponentRegistry:
        """Every plugin's components (calls ``register_components`` once, lazily)."""
        if self._registry is None:
            registry = ComponentRegistry()
            for plugin in self:
                registry.plugin = plugin
                self._call(plugin, "register_components", registry=registry)
            self._registry = registry
        return self._registry

    def custom_objects(self) -> dict[str, Any]:
        """``custom_objects`` for ``keras.saving.load_model`` covering every plugin."""
        return self.registry.custom_objects()

    def conformance_cases(self, plugin: str) -> list[ConformanceCase]:
        """``plugin``'s conformance cases (empty, with a problem recorded, if its hook fails)."""
        return list(self._call(plugin, "conformance_cases") or [])

    def bench_cases(self, plugin: str, images: Path | None = None) -> list[BenchCase]:
        """``plugin``'s benchmark cases; ``images``: where they may write figures."""
        return list(self._call(plugin, "bench_cases", images=images) or [])

    def register_commands(self, subparsers: Any) -> None:
        """Let every plugin add its ``keras-plugins`` subcommands."""
        for plugin in self:
            self._call(plugin, "register_commands", subparsers=subparsers)

    def implemented_hooks(self) -> dict[str, list[str]]:
        """``{hook name: [plugins implementing it]}`` for every hookspec."""
        names = [n for n in vars(hookspecs) if hasattr(getattr(hookspecs, n), "keras_plugins_spec")]
        return {
            hook: [
                p
                for p in self
                if hasattr(getattr(self._modules[p], hook, None), "keras_plugins_impl")
            ]
            for hook in names
        }


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def discover(entry_points: Iterable[metadata.EntryPoint] | None = None) -> Plugins:
    """Load every installed plugin, leaving out (and reporting) those that are broken.

    Args:
        entry_points: entry points to load instead of the installed ``keras_plugins`` group
            (tests use this).

    Returns:
        :class:`Plugins`. ``KERAS_PLUGINS_ALLOW`` (only these names) and ``KERAS_PLUGINS_BLOCK``
        (never these names), comma-separated plugin or entry-point names, filter the result.

    >>> plugins = discover()
    >>> isinstance(plugins.problems, list)
    True
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager)
    allow, block = _name_filter("KERAS_PLUGINS_ALLOW"), _name_filter("KERAS_PLUGINS_BLOCK")
    seen_entry_points: set[tuple[str, str]] = set()
    for entry_point in entry_points if entry_points is not None else _entry_points():
        dist = getattr(entry_point, "dist", None)
        label = dist.name if dist is not None else entry_point.name
        if (entry_point.name, entry_point.value) in seen_entry_points:
            continue  # the same distribution seen twice on sys.path
        seen_entry_points.add((entry_point.name, entry_point.value))
        if (allow and not allow & {label, entry_point.name}) or block & {label, entry_point.name}:
            continue
        try:
            module = entry_point.load()
        except Exception as error:
            plugins.problems.append(
                Problem(label, f"import of {entry_point.value!r} failed: {_one_line(error)}")
            )
            continue
        _register(plugins, manager, label, module)
    return plugins


def _register(plugins: Plugins, manager: pluggy.PluginManager, label: str, module: Any) -> None:
    info_function = getattr(module, "plugin_info", None)
    try:
        info = info_function() if info_function is not None else None
        if not isinstance(info, PluginInfo):
            raise TypeError(f"plugin_info() must return a PluginInfo, got {info!r}")
    except Exception as error:
        plugins.problems.append(Problem(label, f"hook plugin_info() raised {_one_line(error)}"))
        return
    if info.name in plugins.infos:
        first = plugins.module(info.name).__name__
        plugins.problems.append(
            Problem(
                label,
                f"duplicate plugin name {info.name!r}: {module.__name__!r} was not "
                f"loaded because {first!r} already uses this name",
            )
        )
        return
    try:
        manager.register(module, name=info.name)
        manager.check_pending()
    except Exception as error:
        if manager.is_registered(module):
            manager.unregister(module)
        plugins.problems.append(Problem(info.name, f"invalid hooks: {_one_line(error)}"))
        return
    plugins.infos[info.name] = info
    plugins._modules[info.name] = module
