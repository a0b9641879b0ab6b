"""MkDocs hooks: pages built from the repository's own files, so nothing is copied by hand.

- ``index.md`` from the root ``README.md`` (getting started);
- ``plugins/<dist>.md`` for every ``packages/<dist>/``: its README, an API reference generated
  by mkdocstrings from the docstrings of every name in the package's ``__all__``, and its
  CHANGELOG; ``harness.md`` the same for ``harness/``;
- ``compat.md`` / ``benchmarks.md`` stubs saying how to generate them, only while
  ``nox -s conformance`` / ``nox -s bench`` have not written the real ones into ``docs/``.

Relative links in those files are rewritten for their place in the site: to another generated
page, to a file under ``docs/``, or else to the file in the repository on GitHub. A link to a
file that does not exist is left alone, so ``mkdocs build --strict`` reports it.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

import griffe
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PACKAGES = sorted(p.parent for p in (ROOT / "packages").glob("*/pyproject.toml"))
HARNESS = ROOT / "harness"
SEARCH_PATHS = [str(HARNESS / "src"), *(str(p / "src") for p in PACKAGES)]
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")

STUBS = {
    "compat.md": (
        "Compatibility matrix",
        "nox -s conformance",
        "every installed plugin x every conformance check x every backend (TensorFlow, JAX, "
        "PyTorch), with the reason for every skip",
    ),
    "benchmarks.md": (
        "Benchmarks",
        "nox -s bench",
        "every plugin's benchmark cases side by side: step-time ratios against the Keras "
        "baseline (a table and a plot against each budget), the quality tables and the "
        "plugins' figures",
    ),
}


def import_name(package: Path) -> str:
    """``packages/keras-ema`` -> ``keras_ema``: the package under ``src/`` that is not the
    entry-point package ``keras_ema_plugin``."""
    (module,) = [
        p.name
        for p in (package / "src").iterdir()
        if (p / "__init__.py").exists() and not p.name.endswith("_plugin")
    ]
    return module


def page_of(path: Path) -> str | None:
    """The site page generated from, or standing for, a repository path (None if none)."""
    for package in PACKAGES:
        if path in (package, package / "README.md"):
            return f"plugins/{package.name}.md"
    if path in (HARNESS, HARNESS / "README.md"):
        return "harness.md"
    if path == ROOT / "README.md":
        return "index.md"
    if path.is_relative_to(DOCS):
        return path.relative_to(DOCS).as_posix()
    return None


def rewrite_links(text: str, source: Path, page: str, repo_url: str) -> str:
    """Make ``source``'s relative links work from the site page ``page``."""
    page_dir = PurePosixPath(page).parent

    def replace(match: re.Match[str]) -> str:
        target = match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):
            return match.group(0)
        path_part, hash_, anchor = target.partition("#")
        resolved = (source.parent / path_part).resolve()
        generated = resolved.parent == DOCS and resolved.name in STUBS
        if not (resolved.exists() or generated) or not resolved.is_relative_to(ROOT):
            return match.group(0)  # broken: leave it for --strict to report
        site_page = page_of(resolved)
        if site_page is not None:
            new = PurePosixPath(*([".."] * len(page_dir.parts)), site_page).as_posix()
        else:
            kind = "tree" if resolved.is_dir() else "blob"
            new = f"{repo_url.rstrip('/')}/{kind}/main/{resolved.relative_to(ROOT).as_posix()}"
        return f"{match.group(1)}{new}{hash_}{anchor}{match.group(3)}"

    return LINK.sub(replace, text)


def demote_headings(text: str) -> str:
    """``# Changelog`` -> ``## Changelog`` (outside code blocks)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        lines.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(lines)


def public_api(module_name: str) -> list[str]:
    """Full paths of the objects a package exports (``__all__``), where they are defined.

    Read statically (griffe): the site builds without Keras installed, so ``__all__`` must be a
    literal list in the package's ``__init__``.
    """
    package = griffe.load(module_name, search_paths=SEARCH_PATHS, resolve_aliases=False)
    names = list(package.exports or [])
    if not names:
        raise ValueError(f"{module_name}/__init__.py has no literal `__all__` list")
    definitions: dict[str, str] = {}

    def walk(module: Any) -> None:
        for name, member in module.members.items():
            if member.is_alias or name in definitions:
                continue
            if member.is_module:
                walk(member)
            elif name in names:
                definitions[name] = member.path

    for name in names:
        member = package.members.get(name)
        if member is not None and member.is_alias:
            definitions[name] = member.target_path
    walk(package)
    missing = [n for n in names if n not in definitions]
    if missing:
        raise ValueError(f"{module_name}.__all__ names {missing}, defined nowhere in the package")
    return [definitions[n] for n in names]


def api_reference(module_name: str) -> str:
    blocks = [f"## API reference\n\nEverything `{module_name}` exports (`__all__`)."]
    for path in public_api(module_name):
        blocks.append(f"::: {path}")
    return "\n\n".join(blocks)


def package_page(folder: Path, page: str, repo_url: str) -> str:
    parts = [
        rewrite_links((folder / "README.md").read_text(), folder / "README.md", page, repo_url)
    ]
    parts.append(api_reference(import_name(folder)))
    changelog = folder / "CHANGELOG.md"
    if changelog.exists():
        parts.append(
            demote_headings(rewrite_links(changelog.read_text(), changelog, page, repo_url))
        )
    return "\n\n".join(parts) + "\n"


def stub(title: str, command: str, what: str) -> str:
    return (
        f"# {title}\n\n"
        f"Not generated in this checkout yet. `{command}` writes this page: {what}.\n\n"
        f"```bash\npython3 -m pip install nox && python3 -m nox -s {command.split()[-1]}\n```\n"
    )


# -- MkDocs hooks --------------------------------------------------------------------------------


def on_config(config: Any) -> Any:
    """Expand the ``Plugins`` nav entry into one page per package."""
    plugins = [{p.name: f"plugins/{p.name}.md"} for p in PACKAGES]
    for index, item in enumerate(config["nav"] or []):
        if isinstance(item, dict) and "Plugins" in item:
            config["nav"][index] = {"Plugins": plugins}
    return config


def on_files(files: Files, config: Any) -> Files:
    repo_url = config["repo_url"]

    def add(page: str, content: str) -> None:
        files.append(File.generated(config, page, content=content))

    readme = ROOT / "README.md"
    add("index.md", rewrite_links(readme.read_text(), readme, "index.md", repo_url))
    for package in PACKAGES:
        page = f"plugins/{package.name}.md"
        add(page, package_page(package, page, repo_url))
    add("harness.md", package_page(HARNESS, "harness.md", repo_url))
    for page, (title, command, what) in STUBS.items():
        if files.get_file_from_path(page) is None:
            add(page, stub(title, command, what))
    return files
