"""Turning per-backend conformance results into the plugin x check x backend matrix."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .cases import CHECKS

SYMBOL = {"passed": "pass", "failed": "FAIL", "skipped": "skip"}


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so readers never see half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def matrix(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """``{backend: [rows]}`` -> ``{"cells": {plugin: {check: {backend: cell}}}, "notes": [...]}``.

    A cell is ``fail`` if any case failed, ``pass`` if at least one case passed and none failed,
    ``skip`` if every case was skipped. Each skip and failure keeps its reason in ``notes``.
    """
    cells: dict[str, dict[str, dict[str, str]]] = {}
    notes: list[dict[str, str]] = []
    for backend, rows in results.items():
        for row in rows:
            plugin_cells = cells.setdefault(row["plugin"], {})
            current = plugin_cells.setdefault(row["check"], {}).get(backend)
            outcome = row["outcome"]
            rank = {"failed": 2, "passed": 1, "skipped": 0}
            if current is None or rank[outcome] > rank[current]:
                plugin_cells[row["check"]][backend] = outcome
            if outcome != "passed":
                notes.append(
                    {
                        "backend": backend,
                        **{k: row[k] for k in ("plugin", "case", "check", "outcome", "reason")},
                    }
                )
    return {"backends": list(results), "cells": cells, "notes": _sorted_notes(notes, results)}


def merge(previous: dict[str, Any], table: dict[str, Any], plugins: set[str]) -> dict[str, Any]:
    """``table`` (a run of some plugins on some backends) over the ``previous`` matrix: cells and
    notes of ``plugins`` on the backends run are replaced, every other cell and note is kept.
    So ``keras-plugins check --plugin NAME`` updates one row of ``docs/compat.*`` instead of
    leaving a matrix of one plugin."""
    ran = set(table["backends"])
    plugins = plugins | set(table["cells"])
    order = [*previous.get("backends", []), *table["backends"]]
    cells: dict[str, dict[str, dict[str, str]]] = {}
    for plugin, plugin_cells in previous.get("cells", {}).items():
        for check, by_backend in plugin_cells.items():
            kept = {b: o for b, o in by_backend.items() if plugin not in plugins or b not in ran}
            if kept:
                cells.setdefault(plugin, {}).setdefault(check, {}).update(kept)
    for plugin, plugin_cells in table["cells"].items():
        for check, by_backend in plugin_cells.items():
            cells.setdefault(plugin, {}).setdefault(check, {}).update(by_backend)
            cells[plugin][check] = {
                b: cells[plugin][check][b] for b in order if b in cells[plugin][check]
            }
    notes = [
        note
        for note in previous.get("notes", [])
        if note["plugin"] not in plugins or note["backend"] not in ran
    ]
    notes += table["notes"]
    backends = list(dict.fromkeys(order))
    return {"backends": backends, "cells": cells, "notes": _sorted_notes(notes, backends)}


def _sorted_notes(notes: list[dict[str, str]], backends: Any) -> list[dict[str, str]]:
    """By backend, plugin, case and check: the pages of a full run and of a merged partial one
    list the same notes in the same order, whatever order the tests ran in."""
    order = list(backends)
    return sorted(
        notes, key=lambda n: (order.index(n["backend"]), n["plugin"], n["case"], n["check"])
    )


def columns(table: dict[str, Any]) -> list[str]:
    found = {check for plugin in table["cells"].values() for check in plugin}
    return [c for c in CHECKS if c in found] + sorted(found - set(CHECKS))


def text_table(table: dict[str, Any]) -> str:
    """The matrix for a terminal: one row per plugin, one column per check, t/j/p per backend."""
    backends = table["backends"]
    checks = columns(table)
    width = max([len(p) for p in table["cells"]] + [6])
    head = (
        " " * width + " | " + " | ".join(f"{c:^{max(len(c), 5 * len(backends))}}" for c in checks)
    )
    lines = [f"backends per cell: {', '.join(backends)}", head, "-" * len(head)]
    for plugin, plugin_cells in sorted(table["cells"].items()):
        cells = []
        for check in checks:
            marks = "/".join(
                SYMBOL.get(plugin_cells.get(check, {}).get(b, ""), "-") for b in backends
            )
            cells.append(f"{marks:^{max(len(check), 5 * len(backends))}}")
        lines.append(f"{plugin:<{width}} | " + " | ".join(cells))
    return "\n".join(lines)


def markdown(table: dict[str, Any], command: str) -> str:
    """The matrix as ``docs/compat.md``: one table per backend, then every skip/failure reason."""
    checks = columns(table)
    out = [
        "# Compatibility matrix",
        "",
        f"Generated by `{command}`; do not edit by hand. Each cell aggregates every conformance "
        "case of the plugin: **FAIL** if any case failed, pass if none failed, skip if all "
        "were skipped (reasons below).",
        "",
    ]
    for backend in table["backends"]:
        out += [
            f"## {backend}",
            "",
            "| plugin | " + " | ".join(checks) + " |",
            "|---|" + "---|" * len(checks),
        ]
        for plugin, plugin_cells in sorted(table["cells"].items()):
            row = [SYMBOL.get(plugin_cells.get(c, {}).get(backend, ""), "-") for c in checks]
            out.append(f"| {plugin} | " + " | ".join(row) + " |")
        out.append("")
    out += [
        "## Skips and failures",
        "",
        "| backend | plugin | case | check | outcome | reason |",
        "|---|---|---|---|---|---|",
    ]
    for note in table["notes"]:
        reason = note["reason"].replace("|", "\\|").replace("\n", " ")
        out.append(
            f"| {note['backend']} | {note['plugin']} | {note['case']} | {note['check']} "
            f"| {note['outcome']} | {reason} |"
        )
    return "\n".join(out) + "\n"


def save(table: dict[str, Any], json_path: Path, markdown_path: Path, command: str) -> None:
    write_atomically(json_path, json.dumps(table, indent=1) + "\n")
    write_atomically(markdown_path, markdown(table, command))
