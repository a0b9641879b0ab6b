"""Check one plugin wheel as a user gets it, run by `nox -s build` inside a fresh venv.

    python tools/check_wheel.py modules WHEEL README   # wheel + one backend installed, no harness
    python tools/check_wheel.py discovery WHEEL        # after installing the harness beside it

``modules`` imports every module the wheel ships except its entry-point modules (so a module
importing something the wheel does not declare fails here), then runs the README's first
```python block as written. ``discovery`` checks that the harness lists the plugin and imports
neither Keras nor the plugin's package while doing so. Exits non-zero with the reason.
"""

from __future__ import annotations

import configparser
import importlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path


def shipped_modules(wheel: Path) -> list[str]:
    """Dotted names of every ``.py`` file in the wheel (packages by their ``__init__``)."""
    with zipfile.ZipFile(wheel) as archive:
        files = [n for n in archive.namelist() if n.endswith(".py") and ".dist-info/" not in n]
    return sorted(n.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for n in files)


def entry_point_modules(wheel: Path) -> dict[str, str]:
    """``{entry-point name: module}`` of the wheel's ``keras_plugins`` group."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(name).decode())
    return dict(parser["keras_plugins"]) if parser.has_section("keras_plugins") else {}


def first_python_example(readme: Path) -> str:
    match = re.search(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    if match is None:
        sys.exit(f"{readme}: no ```python example")
    return match.group(1)


def check_modules(wheel: Path, readme: Path) -> None:
    entry_points = set(entry_point_modules(wheel).values())
    modules = [
        m for m in shipped_modules(wheel) if not any(m.split(".")[0] == e for e in entry_points)
    ]
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception as error:  # report which module, with the dependency it lacks
            sys.exit(f"{wheel.name}: `import {module}` fails with only its dependencies: {error!r}")
    print(f"{wheel.name}: imported {len(modules)} modules with only its declared dependencies")
    done = subprocess.run([sys.executable, "-c", first_python_example(readme)])
    if done.returncode:
        sys.exit(f"{readme}: the first python example fails (exit {done.returncode})")
    print(f"{readme}: first python example runs as written")


def check_discovery(wheel: Path) -> None:
    entry_points = entry_point_modules(wheel)
    packages = {m.split(".")[0] for m in shipped_modules(wheel)} - set(entry_points.values())
    watched = sorted({"keras", "tensorflow", "jax", "torch", *packages})
    probe = (
        "import json, sys\n"
        "from keras_plugin_harness import discover\n"
        "plugins = discover()\n"
        "problems = [str(p) for p in plugins.problems]\n"
        f"imported = sorted(m for m in sys.modules if m.split('.')[0] in {watched!r})\n"
        "print(json.dumps(dict(plugins=list(plugins), problems=problems, imported=imported)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{wheel.name}: discovery failed:\n{done.stderr}")
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    name = wheel.name.split("-")[0].replace("_", "-")  # keras_ema-0.1.0-...whl -> keras-ema
    if seen["problems"] or name not in seen["plugins"]:
        sys.exit(f"{wheel.name}: discovery found {seen['plugins']}, problems {seen['problems']}")
    if seen["imported"]:
        sys.exit(f"{wheel.name}: listing plugins imported {seen['imported'][:5]}")
    listed = subprocess.run(["keras-plugins", "list"], capture_output=True, text=True, check=True)
    print(listed.stdout.strip())
    print(f"{wheel.name}: discovered as {seen['plugins']} without importing Keras or its package")


if __name__ == "__main__":
    command, wheel_arg, *rest = sys.argv[1:]
    if command == "modules":
        check_modules(Path(wheel_arg), Path(rest[0]))
    elif command == "discovery":
        check_discovery(Path(wheel_arg))
    else:
        sys.exit(f"unknown command {command!r}; use `modules` or `discovery`")
