"""What the host app can use, found by *component name* in the discovered registry.

The app never imports a plugin and never names one. It names the Keras components it knows how
to use (their public interface: constructor arguments and methods, as each component's docs
describe them) and asks the registry, which every installed plugin fills through its
``register_components`` hook, who provides them. A capability whose component nobody
registers is simply left out of the run.

Nothing here imports Keras: looking up capabilities only reads what discovery already has.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: capability -> (component names it needs, first one is the main one; what it does here)
CAPABILITIES: dict[str, tuple[tuple[str, ...], str]] = {
    "weight-average": (
        ("ExponentialMovingAverage",),
        "keep an EMA of the weights during fit; evaluate and deploy the average",
    ),
    "layer-lr": (
        ("LayerLR",),
        "per-layer learning-rate multipliers on top of any optimizer",
    ),
    "gradient-clip": (
        ("ClipByNorm",),
        "per-variable gradient transform for the head (needs layer-lr)",
    ),
    "spectral-norm": (
        ("SpectralNormalization",),
        "wrap the hidden Dense layers: kernel / sigma(kernel)",
    ),
    "mixup": (
        ("MixupModel", "Mixup"),
        "train on mixed batches inside fit (evaluate/predict stay plain)",
    ),
}


@dataclass(frozen=True)
class Found:
    """A capability and the components that provide it (``None`` when not installed)."""

    capability: str
    description: str
    components: dict[str, Any] | None  # short component name -> registry Component
    missing: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return self.components is not None

    @property
    def plugins(self) -> list[str]:
        """The plugins providing this capability, in component order, without repeats."""
        if not self.components:
            return []
        return list(dict.fromkeys(c.plugin for c in self.components.values()))

    def obj(self, name: str | None = None) -> Any:
        """The class or function of component ``name`` (default: the main component)."""
        if self.components is None:
            raise LookupError(f"no installed plugin provides {self.capability!r}")
        return self.components[name or next(iter(self.components))].obj

    def helper(self, function: str) -> Any | None:
        """A public function published next to the main component, e.g. a report function.

        Looked up in the top-level package that defines the component; ``None`` if that
        package has no such function (the app then skips that report).
        """
        package = self.obj().__module__.partition(".")[0]
        return getattr(importlib.import_module(package), function, None)


def short_name(registered_name: str) -> str:
    """``"package>Class"`` (Keras' registered name) -> ``"Class"``."""
    return registered_name.rpartition(">")[2]


def by_short_name(components: Iterable[Any]) -> dict[str, Any]:
    """``{short name: Component}``; the first plugin to register a name wins (discovery order)."""
    table: dict[str, Any] = {}
    for component in components:
        table.setdefault(short_name(component.name), component)
    return table


def find_capabilities(components: Iterable[Any]) -> dict[str, Found]:
    """Which of :data:`CAPABILITIES` the registered ``components`` provide."""
    table = by_short_name(components)
    found = {}
    for capability, (names, description) in CAPABILITIES.items():
        missing = tuple(n for n in names if n not in table)
        provided = None if missing else {n: table[n] for n in names}
        found[capability] = Found(capability, description, provided, missing)
    return found


def registered_names(config: Any) -> set[str]:
    """Every ``registered_name`` in a saved model's config (what the file needs to load)."""
    names: set[str] = set()
    if isinstance(config, dict):
        if isinstance(config.get("registered_name"), str):
            names.add(config["registered_name"])
        for value in config.values():
            names |= registered_names(value)
    elif isinstance(config, list):
        for value in config:
            names |= registered_names(value)
    return names
