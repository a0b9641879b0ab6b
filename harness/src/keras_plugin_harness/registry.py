"""Component registry: what plugins register, and the ``custom_objects`` derived from it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


class ComponentConflictError(ValueError):
    """Two plugins registered components under the same name.

    A ``ValueError``: raised by `ComponentRegistry.add` while the second plugin's
    ``register_components`` hook runs; the message names both plugins.

    >>> registry = ComponentRegistry()
    >>> registry.plugin = "keras-a"
    >>> registry.add(dict, name="shared>Thing")
    >>> registry.plugin = "keras-b"
    >>> try:
    ...     registry.add(list, name="shared>Thing")
    ... except ComponentConflictError as error:
    ...     print(str(error).partition(";")[0])
    component name 'shared>Thing' is registered by plugin 'keras-a' and by plugin 'keras-b'
    """


@dataclass(frozen=True)
class Component:
    """One registered Keras object.

    Attributes:
        name: the name Keras stores in a saved file (``"keras_ema>ExponentialMovingAverage"``
            for objects decorated with ``keras.saving.register_keras_serializable``).
        obj: the class or function.
        plugin: the name of the plugin that registered it.
        example: zero-argument callable building an instance, for the `config` check.

    The registry creates them; hosts read them back per plugin:

    >>> registry = ComponentRegistry()
    >>> registry.plugin = "keras-demo"
    >>> registry.add(dict, name="demo>Thing", example=lambda: dict(a=1))
    >>> (component,) = registry.for_plugin("keras-demo")
    >>> component.name, component.obj, component.plugin, component.example()
    ('demo>Thing', <class 'dict'>, 'keras-demo', {'a': 1})
    """

    name: str
    obj: Any
    plugin: str
    example: Callable[[], Any] | None = None


def keras_name(obj: Any) -> str:
    """The name Keras writes for ``obj`` in a saved model (its registered name if any)."""
    import keras

    return str(keras.saving.get_registered_name(obj))


class ComponentRegistry:
    """Collects components from every plugin's ``register_components`` hook.

    >>> registry = ComponentRegistry()
    >>> registry.plugin = "demo"
    >>> registry.add(dict, name="demo>Thing")
    >>> sorted(registry.custom_objects())
    ['Thing', 'demo>Thing']
    """

    def __init__(self) -> None:
        self._components: dict[str, Component] = {}
        #: set by the manager to the plugin whose hook is running
        self.plugin = "<unknown>"

    def add(
        self, obj: Any, *, name: str | None = None, example: Callable[[], Any] | None = None
    ) -> None:
        """Register ``obj`` (a class or function).

        Args:
            obj: the Keras object. Decorate it with ``keras.saving.register_keras_serializable``
                so a saved file names it unambiguously.
            name: override the registered name (defaults to Keras' registered name).
            example: zero-argument callable returning an instance with non-default arguments;
                required for classes that have ``get_config`` (the `config` check uses it).

        Raises:
            ComponentConflictError: another plugin already registered this name.
            TypeError: ``obj`` is not callable.
        """
        if not callable(obj):
            raise TypeError(f"`obj` must be a class or a function. Received: obj={obj!r}")
        name = name or keras_name(obj)
        previous = self._components.get(name)
        if previous is not None and previous.obj is not obj:
            raise ComponentConflictError(
                f"component name {name!r} is registered by plugin {previous.plugin!r} and by "
                f"plugin {self.plugin!r}; uninstall one or set KERAS_PLUGINS_BLOCK to one of them"
            )
        self._components[name] = Component(name, obj, self.plugin, example)

    def __iter__(self) -> Iterator[Component]:
        return iter(self._components.values())

    def __len__(self) -> int:
        return len(self._components)

    def for_plugin(self, plugin: str) -> list[Component]:
        """Components registered by ``plugin``."""
        return [c for c in self if c.plugin == plugin]

    def custom_objects(self) -> dict[str, Any]:
        """``{name: obj}`` for ``keras.saving.load_model(..., custom_objects=...)``.

        Each object appears under its registered name and under its bare name, so files saved
        before an object was decorated still load.
        """
        objects: dict[str, Any] = {}
        for component in self:
            objects[component.name] = component.obj
            objects.setdefault(component.name.rpartition(">")[2], component.obj)
        return objects
