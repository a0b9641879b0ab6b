"""The benchmark runner behind ``keras-plugins bench`` / ``nox -s bench``.

Timing cases run baseline and candidate **side by side in one process**: both are warmed up,
then blocks of steps alternate (baseline, candidate, candidate, baseline, ...) so drift on a
noisy machine hits both equally, and the reported figure is the ratio of the medians.

Cases come from two places: the ``bench_cases`` hook of installed plugins, and benchmark
modules outside any wheel (``--benchmarks DIR``: every ``*_bench.py`` there, each defining
``PLUGIN`` -- the plugin's name -- and ``bench_cases(images)``, the hook's signature). The runner
names the folder for figures (``images``), so benchmark code never derives a path from
``__file__``.

The page (``docs/benchmarks.md``) shows the ratios as a table and as a plot against their budgets
(``docs/images/benchmarks-ratios.png``), then each plugin's quality tables and the images its
benchmark cases wrote into ``docs/images`` (named ``<plugin>-*.png``, see `bench_figures`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from . import bench_figures
from .cases import BenchCase
from .manager import discover
from .report import write_atomically


def _block_seconds(step: Callable[[], object], steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def time_pair(case: BenchCase, warmup: int = 3) -> dict[str, float]:
    """Median seconds per step of baseline and candidate, and their ratio."""
    assert case.baseline is not None and case.candidate is not None
    baseline, candidate = case.baseline(), case.candidate()
    for step in (baseline, candidate):
        _block_seconds(step, warmup)
    times: dict[str, list[float]] = {"baseline": [], "candidate": []}
    for block in range(case.blocks):
        order = [("baseline", baseline), ("candidate", candidate)]
        for name, step in order if block % 2 == 0 else order[::-1]:
            times[name].append(_block_seconds(step, case.steps))
    base, cand = statistics.median(times["baseline"]), statistics.median(times["candidate"])
    return {"baseline_ms": 1000 * base, "candidate_ms": 1000 * cand, "ratio": cand / base}


def run_case(plugin: str, case: BenchCase, backend: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "plugin": plugin,
        "case": case.name,
        "backend": backend,
        "description": case.description,
    }
    try:
        if case.baseline is not None:
            result.update(time_pair(case))
            budget = case.ratio_budget(backend)
            result["budget"] = budget
            result["within_budget"] = None if budget is None else result["ratio"] <= budget
        if case.measure is not None:
            result["rows"] = case.measure()
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
        result["traceback"] = traceback.format_exc()
    return result


def load_benchmarks(folders: Iterable[Path]) -> list[Any]:
    """Import every ``*_bench.py`` module in ``folders`` (sorted by name).

    Each module must define ``PLUGIN`` (the plugin's name, as in its ``PluginInfo``) and
    ``bench_cases(images)``. A module is imported under its file name, once: a second call
    returns the module already in ``sys.modules``.

    Raises:
        ValueError: a folder does not exist, or a module lacks ``PLUGIN`` or ``bench_cases``.
    """
    modules = []
    for folder in folders:
        if not Path(folder).is_dir():
            raise ValueError(f"`--benchmarks` names no folder: {str(folder)!r}")
        for path in sorted(Path(folder).glob("*_bench.py")):
            module = sys.modules.get(path.stem)
            if module is None:
                spec = importlib.util.spec_from_file_location(path.stem, path)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[path.stem] = module
                spec.loader.exec_module(module)
            missing = [n for n in ("PLUGIN", "bench_cases") if not hasattr(module, n)]
            if missing:
                raise ValueError(f"benchmark module {path} defines no {' and no '.join(missing)}")
            modules.append(module)
    return modules


def collect(
    images: Path, benchmarks: Sequence[Path] = (), plugin: str | None = None
) -> list[tuple[str, BenchCase]]:
    """``(plugin, case)`` for every case of the installed plugins' ``bench_cases`` hooks and of
    the benchmark modules in ``benchmarks``, optionally only ``plugin``'s."""
    plugins = discover()
    found: list[tuple[str, BenchCase]] = []
    for name in plugins:
        if not plugin or name == plugin:
            found += [(name, case) for case in plugins.bench_cases(name, images=images)]
    for module in load_benchmarks(benchmarks):
        if not plugin or plugin == module.PLUGIN:
            found += [(module.PLUGIN, case) for case in module.bench_cases(images=images)]
    return found


def worker(settings: dict[str, Any]) -> int:
    """Run the bench cases of the current backend (chosen by KERAS_BACKEND) into
    ``settings["out"]``: every case, or those named in ``settings["cases"]``."""
    backend = settings["backend"]
    images = Path(settings["images"])
    images.mkdir(parents=True, exist_ok=True)
    wanted = set(settings["cases"])
    if backend == "torch":
        _torch_threads()
    out, results = Path(settings["out"]), []
    benchmarks = [Path(b) for b in settings["benchmarks"]]
    for name, case in collect(images, benchmarks, settings["plugin"]):
        if backend in case.backends and (not wanted or case.name in wanted):
            print(f"[{backend}] {name}::{case.name} ...", flush=True)
            results.append(run_case(name, case, backend))
            write_atomically(out, json.dumps(results, indent=1, default=str))
    problems = [str(p) for p in discover().problems]
    write_atomically(out, json.dumps({"results": results, "problems": problems}, default=str))
    return 0


def _torch_threads() -> None:
    """One intra-op thread for both sides of every torch timing (``KERAS_PLUGINS_BENCH_TORCH_
    THREADS`` overrides). With its default pool on a shared 2-core machine, one identical step
    took anywhere from 5 ms to 250 ms (OpenMP workers spinning against other processes), which
    no alternation of blocks can average out; one thread gives stable medians."""
    import torch

    torch.set_num_threads(int(os.environ.get("KERAS_PLUGINS_BENCH_TORCH_THREADS", "1")))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|")


def markdown(
    results: list[dict[str, Any]],
    command: str,
    ratio_plot: str | None = None,
    images: dict[str, list[str]] | None = None,
    plot_note: str | None = None,
) -> str:
    """The benchmark page.

    Args:
        results: rows from `run_case` (any order; measure tables are grouped by plugin).
        command: the command named as the page's generator.
        ratio_plot: link to the step-time ratio plot, relative to the page (None: no plot).
        images: ``{plugin: [links]}``: images shown after the plugin's tables.
        plot_note: a line saying why plots are missing (e.g. no matplotlib).

    >>> row = {"plugin": "keras-demo", "case": "step", "backend": "jax", "baseline_ms": 2.0,
    ...        "candidate_ms": 2.1, "ratio": 1.05, "budget": 1.1, "within_budget": True}
    >>> page = markdown([row], "keras-plugins bench", "images/benchmarks-ratios.png")
    >>> print(page.split("## Step-time ratios")[1].strip())
    | plugin | case | backend | baseline ms | plugin ms | ratio | budget | ok |
    |---|---|---|---|---|---|---|---|
    | keras-demo | step | jax | 2.00 | 2.10 | 1.050 | 1.1 | yes |
    <BLANKLINE>
    ![Step-time ratios against their budgets](images/benchmarks-ratios.png)
    """
    images = images or {}
    out = [
        "# Benchmarks",
        "",
        f"Generated by `{command}`; do not edit by hand. Timings are "
        "**ratios measured side by side in one process** (median of alternating blocks); "
        "absolute times on a shared machine are not comparable across runs. PyTorch timings run on "
        "one intra-op thread (both sides).",
        "",
        "## Step-time ratios",
        "",
        "| plugin | case | backend | baseline ms | plugin ms | ratio | budget | ok |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "ratio" in r:
            ok = {True: "yes", False: "**NO**", None: "-"}[r.get("within_budget")]
            out.append(
                f"| {r['plugin']} | {r['case']} | {r['backend']} | {r['baseline_ms']:.2f} "
                f"| {r['candidate_ms']:.2f} | {r['ratio']:.3f} | {_fmt(r.get('budget'))} | {ok} |"
            )
    if ratio_plot:
        out += ["", f"![Step-time ratios against their budgets]({ratio_plot})"]
    if plot_note:
        out += ["", f'!!! note "No plots"\n    {plot_note}']
    for plugin in dict.fromkeys([r["plugin"] for r in results] + list(images)):
        for r in results:
            if r["plugin"] == plugin and r.get("rows"):
                out += _measure_table(r)
        if images.get(plugin):
            out += ["", f"## {plugin}: figures", ""]
            out += [f"![{plugin}: {Path(link).stem}]({link})" for link in images[plugin]]
    errors = [r for r in results if "error" in r]
    if errors:
        out += ["", "## Errors", ""]
        out += [
            f"- {r['plugin']}::{r['case']} on {r['backend']}: {_fmt(r['error'])}" for r in errors
        ]
    return "\n".join(out) + "\n"


def _measure_table(r: dict[str, Any]) -> list[str]:
    keys = list(dict.fromkeys(k for row in r["rows"] for k in row))
    return [
        "",
        f"## {r['plugin']}: {r['case']} ({r['backend']})",
        "",
        r["description"],
        "",
        "| " + " | ".join(keys) + " |",
        "|" + "---|" * len(keys),
        *["| " + " | ".join(_fmt(row.get(k, "")) for k in keys) + " |" for row in r["rows"]],
    ]


def write_page(
    results: list[dict[str, Any]], out: Path, command: str, plugins: Iterable[str] = ()
) -> list[Path]:
    """Write the benchmark page ``out`` with its plots in ``out.parent / "images"``.

    The ratio plot is redrawn from ``results``; the images that the benchmark cases of the
    plugins in ``results`` or ``plugins`` (the installed ones) wrote into that folder are
    linked. Without matplotlib the page is written without the plot and says so.

    Returns:
        The files written: the page, then the ratio plot if one was drawn.
    """
    folder = out.parent / "images"
    note = None
    try:
        plot = bench_figures.write_ratio_plot(results, folder / bench_figures.RATIO_PLOT)
    except ImportError as error:
        plot = None
        note = (
            f"The step-time plot was not drawn: matplotlib could not be imported ({error}). "
            "Install it (`pip install matplotlib`) and re-run `keras-plugins bench`."
        )
    found = bench_figures.plugin_images(folder, {r["plugin"] for r in results} | set(plugins))
    links = {
        p: [path.relative_to(out.parent).as_posix() for path in paths] for p, paths in found.items()
    }
    ratio_plot = plot.relative_to(out.parent).as_posix() if plot is not None else None
    write_atomically(out, markdown(results, command, ratio_plot, links, note))
    return [out] + ([plot] if plot is not None else [])


def run_all(
    backends: list[str],
    plugin: str | None,
    out: Path,
    json_path: Path,
    cases: list[str] | None = None,
    benchmarks: Sequence[Path] = (),
) -> int:
    """One worker process per backend, then one report; non-zero if a budget or case failed.

    Figures go to ``out.parent / "images"``. Rows of plugin/case/backend triples not run this
    time are kept from ``json_path``, so ``--plugin X --case step-time --backend jax``
    refreshes only those rows of ``docs/benchmarks.md``.
    """
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in backends:
            path = Path(folder) / f"{backend}.json"
            settings = {
                "backend": backend,
                "out": str(path),
                "plugin": plugin,
                "cases": list(cases or []),
                "images": str(out.parent / "images"),
                "benchmarks": [str(b) for b in benchmarks],
            }
            command = [sys.executable, "-m", __name__, json.dumps(settings)]
            subprocess.run(command, env=dict(os.environ, KERAS_BACKEND=backend))
            if path.exists():
                data = json.loads(path.read_text())
                results += data["results"] if isinstance(data, dict) else data
    bad = [r for r in results if "error" in r or r.get("within_budget") is False]
    ran = {(r["plugin"], r["case"], r["backend"]) for r in results}
    kept = [r for r in _previous(json_path) if (r["plugin"], r["case"], r["backend"]) not in ran]
    merged = sorted(kept + results, key=lambda r: (r["plugin"], r["case"], r["backend"]))
    generator = "keras-plugins bench [--benchmarks DIR ...] [--plugin NAME] [--case NAME,...]"
    write_atomically(json_path, json.dumps(merged, indent=1, default=str) + "\n")
    names = {*discover(), *(m.PLUGIN for m in load_benchmarks(benchmarks))}
    written = [json_path, *write_page(merged, out, generator, plugins=names)]
    print(markdown(results, generator))
    # the page links the plot: a page committed without it fails `mkdocs build --strict`
    print("wrote (commit them together): " + " ".join(str(p) for p in written))
    return 1 if bad or not results else 0


def _previous(json_path: Path) -> list[dict[str, Any]]:
    """Results of earlier runs, so benchmarking one plugin or backend keeps the others' rows."""
    try:
        data = json.loads(json_path.read_text())
    except (OSError, ValueError):
        return []
    keys = ("plugin", "case", "backend")
    return [r for r in data if isinstance(r, dict) and all(k in r for k in keys)]


if __name__ == "__main__":
    sys.exit(worker(json.loads(sys.argv[1])))
