"""Read (title, content) pairs from JSONL or TSV files.

CSL-style files (``{"title": ..., "abst": ...}`` per line, or ``title<TAB>content`` rows) and
LCSTS-style files (``{"summary": ..., "content": ...}``) load as they are: when the configured
field is missing, the usual aliases are tried. A malformed line raises :class:`DataFormatError`
naming the file and the line number.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass

TITLE_ALIASES = ("title", "summary", "headline")
CONTENT_ALIASES = ("content", "abst", "abstract", "text", "article", "body")
FORMATS = ("jsonl", "tsv")


class DataFormatError(ValueError):
    """A line of a data file could not be read; the message names file and line.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.jsonl")
    >>> with open(path, "w") as f:
    ...     _ = f.write('{"title": "t", "content": "c"}\\n{"title": \\n')
    >>> try:
    ...     load_pairs(path)
    ... except DataFormatError as error:
    ...     print(str(error).replace(path, "bad.jsonl"))
    bad.jsonl:2: not valid JSON (Expecting value at column 11)
    """


@dataclass(frozen=True)
class Pair:
    """One training example: the ``title`` to write for ``content``.

    >>> Pair("Sort the list.", "The sort is stable.").title
    'Sort the list.'
    """

    title: str
    content: str


def _field_name(
    record: dict, field: str | None, aliases: tuple[str, ...], where: str, what: str
) -> str:
    names = (field,) if field else aliases
    for name in names:
        if name in record:
            return name
    raise DataFormatError(
        f"{where}: no {what} field (looked for {', '.join(map(repr, names))}; "
        f"the line has {sorted(record)}); set `{what}_field`"
    )


def _pick(record: dict, field: str | None, aliases: tuple[str, ...], where: str, what: str) -> str:
    name = _field_name(record, field, aliases, where, what)
    value = record[name]
    if not isinstance(value, str):
        raise DataFormatError(
            f"{where}: field {name!r} must be a string, got {type(value).__name__}"
        )
    return value


def load_pairs(
    path: str | os.PathLike,
    format: str | None = None,
    title_field: str | None = None,
    content_field: str | None = None,
    header: bool | None = None,
    skip_empty: bool = True,
) -> list[Pair]:
    """Load (title, content) pairs.

    Args:
        path: a ``.jsonl``/``.json`` (one JSON object per line) or ``.tsv``/``.txt`` file.
        format: ``"jsonl"`` or ``"tsv"``; by default from the file extension.
        title_field: JSON key or TSV header name of the title. Defaults to the first present
            of ``title``, ``summary``, ``headline``; for TSV without header, column 0.
        content_field: likewise for the content (``content``, ``abst``, ``abstract``, ``text``,
            ``article``, ``body``); for TSV without header, column 1.
        header: TSV only: whether the first row names the columns. Defaults to True when the
            first row contains one of the known field names.
        skip_empty: drop pairs whose title or content is blank. Defaults to True.

    Returns:
        list of :class:`Pair`, in file order.

    Raises:
        DataFormatError: a line is not valid JSON / has too few columns / lacks a field; the
            message starts with ``path:line``.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "lcsts.jsonl")
    >>> with open(path, "w", encoding="utf-8") as f:
    ...     _ = f.write('{"summary": "标题", "content": "正文"}\\n')
    >>> load_pairs(path)
    [Pair(title='标题', content='正文')]
    """
    path = os.fspath(path)
    if format is None:
        format = "tsv" if path.endswith((".tsv", ".txt", ".csv")) else "jsonl"
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {FORMATS}. Received: format={format!r}")
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    pairs = (_read_jsonl if format == "jsonl" else _read_tsv)(
        path, lines, title_field, content_field, header
    )
    if skip_empty:
        pairs = [p for p in pairs if p.title.strip() and p.content.strip()]
    return pairs


def _read_jsonl(path, lines, title_field, content_field, header):
    pairs = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataFormatError(
                f"{where}: not valid JSON ({error.msg} at column {error.colno})"
            ) from None
        if not isinstance(record, dict):
            raise DataFormatError(f"{where}: expected a JSON object, got {type(record).__name__}")
        pairs.append(
            Pair(
                _pick(record, title_field, TITLE_ALIASES, where, "title"),
                _pick(record, content_field, CONTENT_ALIASES, where, "content"),
            )
        )
    return pairs


def _read_tsv(path, lines, title_field, content_field, header):
    rows = list(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))
    first = rows[0] if rows else []
    if header is None:
        header = bool({title_field, content_field, *TITLE_ALIASES, *CONTENT_ALIASES} & set(first))
    title_col, content_col, start = 0, 1, 1
    if header:
        names = {name: i for i, name in enumerate(first)}
        title_col = names[_field_name(names, title_field, TITLE_ALIASES, f"{path}:1", "title")]
        content_col = names[
            _field_name(names, content_field, CONTENT_ALIASES, f"{path}:1", "content")
        ]
        start = 2
    pairs = []
    for number, row in enumerate(rows[start - 1 :], start=start):
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(title_col, content_col):
            raise DataFormatError(
                f"{path}:{number}: expected at least "
                f"{max(title_col, content_col) + 1} tab-separated columns, "
                f"got {len(row)}"
            )
        pairs.append(Pair(row[title_col], row[content_col]))
    return pairs


def save_jsonl(pairs: list[Pair], path: str | os.PathLike) -> None:
    """Write pairs as JSONL with ``title``/``content`` keys (UTF-8, non-ASCII kept).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "pairs.jsonl")
    >>> save_jsonl([Pair("标题", "some content")], path)
    >>> open(path, encoding="utf-8").read()
    '{"title": "标题", "content": "some content"}\\n'
    >>> load_pairs(path) == [Pair("标题", "some content")]
    True
    """
    with open(path, "w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(
                json.dumps({"title": pair.title, "content": pair.content}, ensure_ascii=False)
                + "\n"
            )
