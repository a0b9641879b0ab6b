"""The ``keras-plugins`` command: list, info, check, bench, plus plugin subcommands.

``list`` and ``info`` never import Keras (``info`` imports it only to list components when
asked with ``--components``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .cases import BACKENDS
from .manager import Plugins, discover


def _backends(text: str) -> list[str]:
    names = [b.strip() for b in text.split(",") if b.strip()]
    unknown = [b for b in names if b not in BACKENDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"`--backend` takes a comma list of {', '.join(BACKENDS)}. Received: {text!r}"
        )
    return names


def cmd_list(args: argparse.Namespace, plugins: Plugins) -> int:
    rows = [
        {"name": i.name, "version": i.version, "summary": i.summary, "backends": list(i.backends)}
        for i in plugins.infos.values()
    ]
    problems = [{"plugin": p.plugin, "reason": p.reason} for p in plugins.problems]
    if args.json:
        print(json.dumps({"plugins": rows, "problems": problems}, indent=1))
    else:
        width = max([len(r["name"]) for r in rows] + [4])
        for row in rows:
            print(f"{row['name']:<{width}}  {row['version']:<8}  {row['summary']}")
        if not rows:
            print("no Keras plugins installed (entry point group `keras_plugins`)")
        for problem in problems:
            print(f"problem: {problem['plugin']}: {problem['reason']}", file=sys.stderr)
    return 0


def cmd_info(args: argparse.Namespace, plugins: Plugins) -> int:
    if args.name not in plugins:
        known = ", ".join(plugins) or "none"
        print(f"no plugin named {args.name!r}; installed: {known}", file=sys.stderr)
        return 2
    info = plugins.infos[args.name]
    print(f"{info.name} {info.version}\n  {info.summary}\n  backends: {', '.join(info.backends)}")
    if info.url:
        print(f"  docs: {info.url}")
    hooks = [h for h, names in plugins.implemented_hooks().items() if args.name in names]
    print(f"  hooks: {', '.join(hooks)}")
    if args.components:
        for component in plugins.registry.for_plugin(args.name):
            print(f"  component: {component.name}")
    return 0


def run_suite(backend: str, plugin: str | None, report: Path, extra: list[str]) -> int:
    """Run the conformance suite in a fresh interpreter for ``backend``; returns its exit code."""
    env = dict(os.environ, KERAS_BACKEND=backend)
    if plugin:
        env["KERAS_PLUGINS_ALLOW"] = plugin
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "keras_plugin_harness.conformance",
        "-p",
        "no:cacheprovider",
        "-q",
        "-rs",
        f"--conformance-json={report}",
        *extra,
    ]
    return subprocess.run(command, env=env).returncode


def cmd_check(args: argparse.Namespace, plugins: Plugins) -> int:
    from . import report

    results: dict[str, list[dict[str, Any]]] = {}
    worst = 0
    with tempfile.TemporaryDirectory() as scratch:
        for backend in args.backend:
            path = Path(scratch) / f"{backend}.json"
            print(f"== conformance on {backend} ==", flush=True)
            worst = max(worst, run_suite(backend, args.plugin, path, args.pytest_args))
            if not path.exists():
                print(f"no conformance report for {backend}", file=sys.stderr)
                worst = max(worst, 1)
                continue
            results[backend] = json.loads(path.read_text())["results"]
    table = report.matrix(results)
    print(report.text_table(table))
    if args.out:
        json_path, markdown_path = Path(args.out) / "compat.json", Path(args.out) / "compat.md"
        if (args.plugin or set(args.backend) != set(BACKENDS)) and json_path.exists():
            # a partial run updates its cells; the page keeps everything else
            previous = json.loads(json_path.read_text())
            table = report.merge(previous, table, {args.plugin} if args.plugin else set())
        report.save(table, json_path, markdown_path, "keras-plugins check")
        print(f"\nwritten: {markdown_path}, {json_path}")
    failed = any(n["outcome"] == "failed" for n in table["notes"])
    return 1 if failed or worst not in (0, 5) or not table["cells"] else 0


def cmd_bench(args: argparse.Namespace, plugins: Plugins) -> int:
    from . import bench

    cases = [name for name in (args.case or "").split(",") if name]
    benchmarks = [Path(folder) for folder in args.benchmarks]
    return bench.run_all(
        args.backend, args.plugin, Path(args.out), Path(args.json), cases, benchmarks
    )


def build_parser(plugins: Plugins) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keras-plugins", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="installed plugins (never imports Keras)")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(run=cmd_list)
    info = sub.add_parser("info", help="one plugin's details")
    info.add_argument("name")
    info.add_argument("--components", action="store_true", help="also list its Keras components")
    info.set_defaults(run=cmd_info)
    check = sub.add_parser("check", help="run the conformance suite per backend, print the matrix")
    check.add_argument("--plugin", help="only this plugin (default: every installed plugin)")
    check.add_argument("--backend", type=_backends, default=list(BACKENDS))
    check.add_argument(
        "--out",
        metavar="DIR",
        help="also write the matrix to DIR/compat.md and DIR/compat.json, updating only the "
        "cells this run covers (default: print it only)",
    )
    check.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    check.set_defaults(run=cmd_check)
    bench_parser = sub.add_parser("bench", help="every BenchCase, side by side, per backend")
    bench_parser.add_argument("--plugin", help="only this plugin")
    bench_parser.add_argument("--case", help="only these cases (comma-separated names)")
    bench_parser.add_argument("--backend", type=_backends, default=list(BACKENDS))
    bench_parser.add_argument(
        "--benchmarks",
        nargs="*",
        default=[],
        metavar="DIR",
        help="folders of benchmark modules (*_bench.py, outside the wheels) to run as well",
    )
    bench_parser.add_argument("--out", default="docs/benchmarks.md")
    bench_parser.add_argument("--json", default="docs/benchmarks.json")
    bench_parser.set_defaults(run=cmd_bench)
    plugins.register_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    plugins = discover()
    parser = build_parser(plugins)
    args = parser.parse_args(argv)
    if hasattr(args, "run"):
        return int(args.run(args, plugins) or 0)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
