"""Griffe extension: render this project's docstring conventions as mkdocstrings expects them.

- ``>>>`` examples (doctests, run by ``nox -s tests``) become ``pycon`` code blocks; left as
  they are, Markdown would read ``>`` as a quote and ``[...]`` outputs as links.
- ``a, b, c: as in X`` in an ``Args`` section (one description for several arguments) becomes
  one entry per argument, so griffe can still check every name against the signature.
- An argument described as ``> 0`` or ``>= 1`` keeps its ``>`` (Markdown would quote it).
- Sphinx roles (``:class:`Mixup```) become plain code spans.
- A module attribute without a docstring, assigned an instance of a class of the same module
  (``hookimpl = _HookimplMarker(PROJECT)``), shows that class's docstring: it is what
  ``help(hookimpl)`` prints and what the doctests run.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):`~?([^`]+)`")
SECTION = re.compile(r"^(\s*)(Args|Arguments|Parameters|Keyword Args|Attributes):\s*$")
GROUPED = re.compile(r"^(\s+)(\w+(?:\s*,\s*\w+)+):\s(.*)$")
QUOTE_LIKE = re.compile(r"^(\s+[*\w]+(?: \([^)]*\))?:\s+)(>)")


def fence_doctests(lines: list[str]) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.lstrip().startswith(">>>"):
            out.append(line)
            index += 1
            continue
        indent = line[: len(line) - len(line.lstrip())]
        block = []
        while index < len(lines) and lines[index].strip():
            block.append(
                lines[index][len(indent) :] if lines[index].startswith(indent) else lines[index]
            )
            index += 1
        out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
    return out


def split_grouped_args(lines: list[str]) -> list[str]:
    out: list[str] = []
    in_args = False
    for line in lines:
        if SECTION.match(line):
            in_args = True
        elif line.strip() and not line.startswith((" ", "\t")):
            in_args = False
        if in_args:
            line = QUOTE_LIKE.sub(r"\1\\\2", line)  # "x: > 0" is a range, not a quote
        grouped = GROUPED.match(line) if in_args else None
        if grouped:
            indent, names, text = grouped.groups()
            out += [f"{indent}{name.strip()}: {text}" for name in names.split(",")]
        else:
            out.append(line)
    return out


def rewrite(text: str) -> str:
    lines = ROLE.sub(r"`\1`", text).splitlines()
    return "\n".join(fence_doctests(split_grouped_args(lines)))


def instance_class_docstring(obj: Any) -> str | None:
    """The (already rewritten) docstring of the same-module class ``obj`` is an instance of."""
    value = obj.value
    if not isinstance(value, griffe.ExprCall) or not isinstance(value.function, griffe.ExprName):
        return None
    cls = obj.parent.members.get(value.function.name) if obj.parent is not None else None
    if cls is None or cls.is_alias or not cls.is_class or cls.docstring is None:
        return None
    return str(cls.docstring.value)


class ProjectDocstrings(griffe.Extension):
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
        elif obj.is_attribute and obj.parent is not None and obj.parent.is_module:
            text = instance_class_docstring(obj)
            if text is not None:
                obj.docstring = griffe.Docstring(text, parent=obj)
