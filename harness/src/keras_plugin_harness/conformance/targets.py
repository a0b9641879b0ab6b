"""What the suite will run: one target per (plugin, case, check), found through discovery."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..cases import CHECKS, ConformanceCase
from ..manager import Plugins
from .devices import TORCH_COMPILE_NOTE


@dataclass(frozen=True)
class Target:
    """One test: ``case`` is None when the plugin could not even provide cases."""

    plugin: str
    case: str
    check: str
    conformance_case: ConformanceCase | None = None
    skip_reason: str | None = None
    failure: str | None = None

    @property
    def id(self) -> str:
        return f"{self.plugin}::{self.case}::{self.check}"


def targets(plugins: Plugins, backend: str | None = None) -> list[Target]:
    """Every target for the current backend; broken plugins become failing targets."""
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    found = [Target(p.plugin, "-", "discovery", failure=p.reason) for p in plugins.problems]
    for plugin in plugins:
        problems_before = len(plugins.problems)
        cases = plugins.conformance_cases(plugin)
        if len(plugins.problems) > problems_before:
            found.append(Target(plugin, "-", "cases", failure=str(plugins.problems[-1])))
            continue
        if not cases:
            found.append(
                Target(plugin, "-", "cases", failure="conformance_cases() returned no case")
            )
            continue
        names = [c.name for c in cases]
        if len(set(names)) != len(names):
            found.append(Target(plugin, "-", "cases", failure=f"duplicate case names in {names}"))
            continue
        unsupported = backend not in plugins.infos[plugin].backends
        for index, case in enumerate(cases):
            for check in CHECKS:
                reason = case.skip_reason(check, backend)
                if unsupported:
                    reason = f"{plugin} does not support the {backend} backend"
                elif check == "jit" and backend == "torch" and index > 0:
                    reason = TORCH_COMPILE_NOTE
                found.append(Target(plugin, case.name, check, case, skip_reason=reason))
    return found
