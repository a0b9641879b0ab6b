"""The figures of ``docs/benchmarks.md``: the step-time ratio plot, and the plugins' own images.

matplotlib is imported only when a plot is drawn, through its Agg canvas (no pyplot, so no
global backend and no display), and :func:`write_ratio_plot` raises ``ImportError`` without it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

RATIO_PLOT = "benchmarks-ratios.png"
COLORS = {True: "tab:green", False: "tab:red", None: "tab:gray"}
LEGEND = {True: "within budget", False: "over budget", None: "no budget"}


def ratio_rows(results: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The timing results (those with a ``ratio``), in the order given."""
    return [r for r in results if isinstance(r.get("ratio"), int | float)]


def ratio_figure(results: Sequence[dict[str, Any]]) -> Any:
    """A matplotlib ``Figure``: one horizontal bar per ``plugin::case::backend`` from 1.0 (the
    baseline) to the measured ratio, green within budget, red over it, grey without one, and a
    black line across each bar at its budget.

    >>> rows = [{"plugin": "keras-demo", "case": "step", "backend": "jax", "ratio": 1.04,
    ...          "budget": 1.05, "within_budget": True}]
    >>> figure = ratio_figure(rows)
    >>> bar = figure.axes[0].patches[0]
    >>> round(float(bar.get_x()), 2), round(float(bar.get_x() + bar.get_width()), 2)
    (1.0, 1.04)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = ratio_rows(results)
    figure = Figure(figsize=(8.0, 1.2 + 0.32 * len(rows)), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [f"{r['plugin']}::{r['case']}::{r['backend']}" for r in rows]
    ratios = [float(r["ratio"]) for r in rows]
    axes.barh(
        range(len(rows)),
        [ratio - 1.0 for ratio in ratios],
        left=1.0,
        height=0.6,
        color=[COLORS[r.get("within_budget")] for r in rows],
    )
    budgets = [(i, float(r["budget"])) for i, r in enumerate(rows) if r.get("budget") is not None]
    for i, budget in budgets:
        axes.plot([budget, budget], [i - 0.42, i + 0.42], color="black", linewidth=2)
    budget_of = dict(budgets)
    for i, ratio in enumerate(ratios):
        # the number goes past the bar's end, and past its budget line when that is further out
        end = max(ratio, budget_of.get(i, ratio)) if ratio >= 1.0 else ratio
        axes.annotate(
            f"{ratio:.3f}",
            (end, i),
            xytext=(4 if ratio >= 1.0 else -4, 0),
            textcoords="offset points",
            ha="left" if ratio >= 1.0 else "right",
            va="center",
            fontsize=8,
        )
    axes.axvline(1.0, color="0.4", linestyle=":", linewidth=1)
    statuses = dict.fromkeys(r.get("within_budget") for r in rows)
    handles: list[Any] = [Patch(color=COLORS[s], label=LEGEND[s]) for s in statuses]
    if budgets:
        handles.append(Line2D([], [], color="black", linewidth=2, label="budget"))
    axes.legend(handles=handles, fontsize=7, loc="best")
    values = ratios + [b for _, b in budgets] + [1.0]
    span = max(max(values) - min(values), 0.02)
    axes.set_xlim(min(values) - 0.25 * span, max(values) + 0.25 * span)
    axes.set_ylim(len(rows) - 0.5, -0.5)  # first row on top
    axes.set_yticks(range(len(rows)), labels, fontsize=8)
    axes.set_xlabel("step time, plugin / baseline (1.0: no overhead)")
    axes.set_title("Step-time ratios against their budgets", fontsize=10)
    figure.tight_layout()
    return figure


def write_ratio_plot(results: Sequence[dict[str, Any]], path: Path) -> Path | None:
    """Draw :func:`ratio_figure` into ``path`` (PNG) through a temporary file, so a reader never
    sees half an image. Returns ``path``, or None (nothing written) if no result has a ratio.

    Raises:
        ImportError: matplotlib is not installed.
    """
    if not ratio_rows(results):
        return None
    figure = ratio_figure(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        figure.savefig(tmp, format="png")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def plugin_images(folder: Path, plugins: Iterable[str]) -> dict[str, list[Path]]:
    """Images that plugins' benchmark cases wrote into ``folder``, by plugin.

    A plugin's images are named after it, with or without the ``keras-`` prefix
    (``keras-mixup-reliability.png``, ``gan-arch-dcgan.png`` for ``keras-gan-arch``); the ratio
    plot and anything else in the folder (site screenshots) belong to no plugin.
    """
    files = sorted(p for p in folder.glob("*.png") if p.name != RATIO_PLOT)
    found: dict[str, list[Path]] = {}
    # longest names first, so "keras-gan-arch-x.png" is not claimed by a plugin "keras-gan"
    for plugin in sorted(set(plugins), key=len, reverse=True):
        prefixes = {f"{plugin}-", f"{plugin.removeprefix('keras-')}-"}
        mine = [p for p in files if p.name.startswith(tuple(prefixes))]
        if mine:
            found[plugin] = mine
            files = [p for p in files if p not in mine]
    return {plugin: found[plugin] for plugin in sorted(found)}
