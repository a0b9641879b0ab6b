"""Route variables to groups: glob / ``re:`` regex patterns on ``variable.path``, or layers.

Pure python (no Keras import) so the rules can be tested and documented on their own.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

REGEX_PREFIX = "re:"
OVERLAP_POLICIES = ("first", "error")


def pattern_key(key: Any, argument: str) -> str:
    """Return the string pattern for a mapping key: a string as is, a layer as ``"<path>/*"``.

    Args:
        key: a glob (``"encoder/*"``), a regex prefixed with ``"re:"`` or a Keras layer.
        argument: the constructor argument the key came from, for error messages.

    Returns:
        The pattern string stored in the config.
    """
    if isinstance(key, str):
        if not key:
            raise ValueError(f"`{argument}` keys must be non-empty patterns. Received: key={key!r}")
        if key.startswith(REGEX_PREFIX):
            try:
                re.compile(key[len(REGEX_PREFIX) :])
            except re.error as error:
                raise ValueError(
                    f"`{argument}` key {key!r} is not a valid regular expression ({error}). "
                    f"Received: key={key!r}"
                ) from None
        return key
    name = getattr(key, "name", None)
    if isinstance(name, str) and hasattr(key, "weights"):
        # Every variable a layer creates lives under the layer's name scope; the name (not the
        # full path) survives `load_model`, which may rebuild the model under another scope.
        return f"{name}/*"
    raise TypeError(
        f"`{argument}` keys must be glob strings, 're:' regex strings or Keras layers. "
        f"Received: key={key!r} of type {type(key).__name__}"
    )


def variable_path(variable: Any) -> str:
    """The string patterns are matched against: ``variable.path`` (``name`` where it has none).

    Also the key `LayerLR` routes a `keras.Variable` by: its group is a function of its path.
    """
    return getattr(variable, "path", variable.name)  # type: ignore[no-any-return]


def matches(pattern: str, path: str) -> bool:
    """Whether ``pattern`` selects the variable at ``path``.

    A glob (:func:`fnmatch.fnmatchcase`, ``*`` also crosses ``/``) matches the full path or any
    tail of it that starts after a ``/``: ``"encoder/*"`` selects ``"encoder/kernel"`` and
    ``"model/encoder/kernel"`` alike, because the same model's variable paths carry the model
    name or not depending on how it was built or loaded. A ``"re:"`` pattern is a
    :func:`re.search` on the full path (prefer ``(^|/)head/`` over ``^head/``).

    >>> matches("encoder/*", "net/encoder/kernel"), matches("re:bias$", "head/bias")
    (True, True)
    >>> matches("coder/*", "net/encoder/kernel")
    False
    """
    if pattern.startswith(REGEX_PREFIX):
        return re.search(pattern[len(REGEX_PREFIX) :], path) is not None
    if fnmatch.fnmatchcase(path, pattern):
        return True
    return any(fnmatch.fnmatchcase(path[i + 1 :], pattern) for i, c in enumerate(path) if c == "/")


def assign_groups(
    patterns: Sequence[str],
    paths: Sequence[str],
    *,
    argument: str,
    overlap: str = "first",
    allow_unmatched: bool = False,
) -> list[int | None]:
    """Assign each path to the index of the pattern that selects it (``None``: no pattern).

    Args:
        patterns: patterns in priority order.
        paths: variable paths.
        argument: constructor argument the patterns came from, for error messages.
        overlap: ``"first"`` (the first matching pattern wins) or ``"error"`` (a path matched
            by two patterns raises).
        allow_unmatched: if False, a pattern that selects no path raises, listing the closest
            paths.

    Returns:
        One group index (or None) per path.
    """
    groups: list[int | None] = []
    used = [False] * len(patterns)
    for path in paths:
        hits = [i for i, pattern in enumerate(patterns) if matches(pattern, path)]
        if len(hits) > 1 and overlap == "error":
            raise ValueError(
                f"`{argument}`: variable {path!r} is matched by several patterns "
                f"{[patterns[i] for i in hits]} and overlap='error'. Make the patterns disjoint "
                "or pass overlap='first' (the first matching pattern wins)."
            )
        groups.append(hits[0] if hits else None)
        if hits:
            used[hits[0]] = True
    if not allow_unmatched:
        for pattern, was_used in zip(patterns, used, strict=True):
            if not was_used:
                raise ValueError(unmatched_message(pattern, paths, argument))
    return groups


def unmatched_message(pattern: str, paths: Iterable[str], argument: str) -> str:
    """Error text for a pattern that selects nothing, naming the closest variable paths."""
    paths = list(paths)
    bare = pattern[len(REGEX_PREFIX) :] if pattern.startswith(REGEX_PREFIX) else pattern
    closest = difflib.get_close_matches(bare.strip("^$*"), paths, n=5, cutoff=0.0)
    return (
        f"`{argument}` pattern {pattern!r} matches no trainable variable (or only variables "
        f"already claimed by an earlier pattern). Closest variable paths: {closest}. Patterns "
        "are globs on `variable.path` (or 're:' regexes); pass allow_unmatched=True to ignore."
    )


def check_multiplier(value: Any, argument: str = "multipliers") -> float:
    """Validate one learning-rate multiplier: a real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)  # numpy scalars
        except (TypeError, ValueError):
            raise TypeError(
                f"`{argument}` values must be numbers >= 0. Received: {argument}={value!r}"
            ) from None
    value = float(value)
    if not value >= 0.0 or value == float("inf"):
        raise ValueError(
            f"`{argument}` values must be finite numbers >= 0 (0 freezes the group). "
            f"Received: {argument}={value!r}"
        )
    return value


def normalize(mapping: Mapping[Any, Any] | None, argument: str) -> dict[str, Any]:
    """Turn a ``{pattern or layer: value}`` mapping into ``{pattern: value}``."""
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise TypeError(
            f"`{argument}` must be a dict of {{pattern: value}}. Received: {argument}={mapping!r}"
        )
    result: dict[str, Any] = {}
    for key, value in mapping.items():
        pattern = pattern_key(key, argument)
        if pattern in result:
            raise ValueError(f"`{argument}` lists the pattern {pattern!r} twice.")
        result[pattern] = value
    return result
