"""Lazy public names for plugin packages: discovery imports ``<package>._plugin``, which runs
the package's ``__init__``; if that imported Keras, merely listing plugins would import
TensorFlow. A plugin's ``__init__`` therefore maps its public names to submodules and lets this
import each one, with Keras, on first access."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` importing each public name from its submodule.

    Args:
        package: the package's ``__name__``.
        where: public name -> submodule (relative to ``package``) that defines it.

    Returns:
        ``(__getattr__, __dir__)``, to assign at module level (PEP 562). A name is imported on
        first access, with every public name of its submodule, and then cached in the
        package's namespace.

    >>> __getattr__, __dir__ = lazy_exports("json", {"JSONDecoder": "decoder"})
    >>> __getattr__("JSONDecoder").__name__
    'JSONDecoder'
    >>> __getattr__("nope")
    Traceback (most recent call last):
    AttributeError: module 'json' has no attribute 'nope'
    """
    names = dict(where)

    def __getattr__(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        submodule = importlib.import_module(f"{package}.{names[name]}")
        # Bind every public name of that submodule: importing it also bound the submodule
        # itself on the package, which would shadow a function of the same name
        # (``keras_lipschitz.gradient_penalty`` is both).
        for public, where_defined in names.items():
            if where_defined == names[name]:
                setattr(sys.modules[package], public, getattr(submodule, public))
        return getattr(submodule, name)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return __getattr__, __dir__
