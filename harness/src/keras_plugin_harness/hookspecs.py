"""The plugin contract: every hook a Keras plugin may implement.

A plugin is a module named by an entry point in the ``keras_plugins`` group. It lives beside the
plugin's package in the same wheel, as a top-level ``<package>_plugin`` module (the way pytest
plugins ship ``pytest_*.py``), so that importing it does not run the package's ``__init__``::

    [project.entry-points.keras_plugins]
    ema = "keras_ema_plugin"

The module implements any of the hooks below with ``@hookimpl``; it is the only code of the
plugin that imports this harness, so the plugin's own package depends on Keras alone. Importing
it must stay cheap: import Keras and the plugin's package *inside* the hooks that need them,
never at module level, because listing plugins (`keras-plugins list`, `discover()`) must not
import Keras or TensorFlow.

Hooks may gain arguments in later versions but never lose them; an implementation may accept
fewer arguments than its spec (pluggy passes only those it names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from .cases import BenchCase, ConformanceCase, PluginInfo
    from .registry import ComponentRegistry

PROJECT = "keras_plugins"


# pluggy's markers, subclassed only so that ``help(hookimpl)`` and the docs show this project's
# usage (their instances have __slots__, so they cannot carry a docstring of their own).
class _HookspecMarker(pluggy.HookspecMarker):  # type: ignore[misc]  # pluggy marks it @final
    """Decorator marking the functions of this module as hook specifications.

    Only the harness declares hooks; plugins implement them with `hookimpl`. A decorated function
    gets a ``keras_plugins_spec`` attribute, which is how pluggy (and ``implemented_hooks``)
    find the specs:

    >>> from keras_plugin_harness import hookspec, hookspecs
    >>> sorted(n for n, f in vars(hookspecs).items() if hasattr(f, "keras_plugins_spec"))
    ['bench_cases', 'conformance_cases', 'plugin_info', 'register_commands', 'register_components']
    >>> @hookspec
    ... def my_hook(model):
    ...     "A hook that a host application could add to its own plugin manager."
    >>> sorted(my_hook.keras_plugins_spec)[:2]
    ['firstresult', 'historic']
    """

    __slots__ = ()


class _HookimplMarker(pluggy.HookimplMarker):  # type: ignore[misc]  # pluggy marks it @final
    """Decorator marking a plugin's functions as implementations of the hooks in this module.

    Decorate each hook function of the module named by the plugin's ``keras_plugins`` entry
    point; the function name selects the hook, and it may take fewer arguments than the spec.

    >>> from keras_plugin_harness import PluginInfo, hookimpl
    >>> @hookimpl
    ... def plugin_info():
    ...     return PluginInfo("keras-demo", "0.1.0", "Does one thing well")
    >>> hasattr(plugin_info, "keras_plugins_impl"), plugin_info().name
    (True, 'keras-demo')
    >>> @hookimpl(trylast=True)  # pluggy's options work as usual
    ... def bench_cases():
    ...     return []
    >>> bench_cases.keras_plugins_impl["trylast"]
    True
    """

    __slots__ = ()


# The docs site shows each marker class's docstring for these (docs/_mkdocs/docstrings.py).
hookspec = _HookspecMarker(PROJECT)
hookimpl = _HookimplMarker(PROJECT)


# --------------------------------------------------------------------------------------------
# Identity: called by discovery, must not import Keras
# --------------------------------------------------------------------------------------------


@hookspec
def plugin_info() -> PluginInfo:  # type: ignore[empty-body]
    """Say who the plugin is.

    Called once per plugin by ``discover()``, before anything imports Keras: keep it pure python.

    :return: a :class:`~keras_plugin_harness.PluginInfo`. Its ``name`` is the plugin's name in
        reports and test ids and must be unique among installed plugins; a second plugin with
        the same name is reported in ``plugins.problems`` and not loaded.

    Implement it in every plugin::

        from importlib.metadata import version
        from keras_plugin_harness import PluginInfo, hookimpl

        @hookimpl
        def plugin_info():
            return PluginInfo("keras-ema", version("keras-ema"), "Weight EMA as a callback")
    """


# --------------------------------------------------------------------------------------------
# Components: called the first time a host asks for custom objects
# --------------------------------------------------------------------------------------------


@hookspec
def register_components(registry: ComponentRegistry) -> None:
    """Register every public Keras object of the plugin: layers, callbacks, losses, schedules,
    optimizer wrappers, regularizers.

    Called once, lazily, the first time ``plugins.registry`` or ``plugins.custom_objects()`` is
    used (Keras may be imported here). The harness derives ``custom_objects`` for
    ``keras.saving.load_model`` from the registry and the `config` check round-trips every
    registered class through ``get_config``/``from_config``.

    :param registry: the shared :class:`~keras_plugin_harness.ComponentRegistry`; call
        ``registry.add(obj, example=...)`` once per object. ``example`` is a zero-argument
        callable building an instance with non-default arguments, used by the `config` check.
        Two plugins registering the same name is an error naming both.

    Example::

        @hookimpl
        def register_components(registry):
            from keras_ema import ExponentialMovingAverage
            registry.add(ExponentialMovingAverage, example=lambda: ExponentialMovingAverage(0.9))
    """


# --------------------------------------------------------------------------------------------
# Checks and measurements: called by the conformance suite and `nox -s bench`
# --------------------------------------------------------------------------------------------


@hookspec
def conformance_cases() -> list[ConformanceCase]:  # type: ignore[empty-body]
    """Return tiny models and data on which every shared conformance check runs.

    Called by the conformance pytest plugin at collection time (after the backend is chosen) and
    again, in a fresh process, by the `saves` check to rebuild a case by name. Cases must be
    cheap to build: a few layers, a few dozen samples.

    :return: a list of :class:`~keras_plugin_harness.ConformanceCase`; names unique per plugin.

    Example::

        @hookimpl
        def conformance_cases():
            from keras_ema_plugin import cases  # imports Keras and keras_ema
            return [cases.dense_case(), cases.cnn_batchnorm_case()]
    """


@hookspec
def bench_cases(images: Path) -> list[BenchCase]:  # type: ignore[empty-body]
    """Return side-by-side measurements of the plugin against a baseline.

    Called by ``keras-plugins bench`` (``nox -s bench``) only, never by the tests; benchmarks
    may take minutes. Benchmark code usually stays out of the wheel: ``keras-plugins bench
    --benchmarks DIR`` imports every ``DIR/*_bench.py`` module, which defines ``PLUGIN`` (the
    plugin's name) and a ``bench_cases(images)`` function with this signature (this repo's
    plugins keep theirs in ``packages/<dist>/benchmarks/``). A plugin may also implement the hook
    in its entry-point module.

    :param images: the folder for figures, chosen by the runner (``docs/images`` beside the
        page); name them ``<plugin>-*.png`` and the page shows them after the plugin's tables.
    :return: a list of :class:`~keras_plugin_harness.BenchCase`.

    Example, in a benchmark module (``packages/keras-ema/benchmarks/keras_ema_bench.py``) or,
    with ``@hookimpl``, in the entry-point module::

        PLUGIN = "keras-ema"

        @hookimpl
        def bench_cases(images):
            return [BenchCase("step-time", "EMA vs plain fit", baseline=plain,
                              candidate=with_ema, max_ratio=1.05)]
    """


# --------------------------------------------------------------------------------------------
# Command line: called by `keras-plugins` while it builds its parser
# --------------------------------------------------------------------------------------------


@hookspec
def register_commands(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add subcommands to the ``keras-plugins`` command line.

    Called once while ``keras-plugins`` builds its parser, so keep it cheap: add parsers here and
    import Keras only in the function that runs the command. Set ``func`` with
    ``parser.set_defaults(func=...)``; it receives the parsed ``argparse.Namespace`` and returns an
    exit code.

    :param subparsers: the object returned by ``ArgumentParser.add_subparsers()``.

    Example::

        @hookimpl
        def register_commands(subparsers):
            title = subparsers.add_parser("title", help="seq2seq title generator")
            title.set_defaults(func=run_title_command)  # imports Keras when it runs
    """
