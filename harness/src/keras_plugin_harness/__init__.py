"""keras-plugin-harness: discover Keras plugins and check them all the same way.

Importing this package is pure python and cheap: it never imports Keras or TensorFlow.
"""

from .cases import BACKENDS, CHECKS, BenchCase, ConformanceCase, Misuse, PluginInfo
from .hookspecs import hookimpl, hookspec
from .manager import Plugins, Problem, discover
from .registry import Component, ComponentConflictError, ComponentRegistry

__all__ = [
    "BACKENDS",
    "CHECKS",
    "BenchCase",
    "Component",
    "ComponentConflictError",
    "ComponentRegistry",
    "ConformanceCase",
    "Misuse",
    "PluginInfo",
    "Plugins",
    "Problem",
    "discover",
    "hookimpl",
    "hookspec",
]
__version__ = "0.1.0"
