"""`LRTable`: the effective learning rate of every trainable variable, as data and as text.

Pure Python (no Keras, no `LayerLR` import): `keras_layerlr.lr_table` reads a `LayerLR` and
hands its patterns to `rows` here, so the dependency runs one way (``layer_lr`` -> ``table``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import _matching


class LRTable(list):
    """A list of row dicts (``path``, ``shape``, ``group``, ``multiplier``, ``learning_rate``,
    ``transform``) that prints as an aligned text table.

    `lr_table` returns one; ``group`` and ``transform`` are ``"-"`` where no pattern matched.

    >>> import keras
    >>> from keras_layerlr import ClipByNorm, LayerLR, LRTable, lr_table
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="head")],
    ...                          name="net")
    >>> optimizer = LayerLR(keras.optimizers.SGD(0.1), {"bias": 0.5},
    ...                     transforms={"kernel": ClipByNorm(1.0)})
    >>> table = lr_table(model, optimizer)
    >>> isinstance(table, LRTable), table[1]["learning_rate"]
    (True, 0.05)
    >>> print(table)
    path             shape  group  multiplier  learning_rate  transform
    ---------------  -----  -----  ----------  -------------  ----------
    net/head/kernel  2x1    -      1           0.1            ClipByNorm
    net/head/bias    1      bias   0.5         0.05           -
    """

    columns = ("path", "shape", "group", "multiplier", "learning_rate", "transform")

    def __str__(self):
        cells = [list(self.columns)]
        for row in self:
            cells.append(
                [
                    row["path"],
                    "x".join(str(d) for d in row["shape"]) or "scalar",
                    row["group"],
                    f"{row['multiplier']:g}",
                    f"{row['learning_rate']:.3g}",
                    row["transform"],
                ]
            )
        widths = [max(len(str(r[i])) for r in cells) for i in range(len(self.columns))]
        lines = [
            "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in cells
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)


def rows(
    variables: Sequence[Any],
    learning_rate: float,
    multipliers: Mapping[str, float] | None = None,
    transforms: Mapping[str, Any] | None = None,
    overlap: str = "first",
) -> LRTable:
    """One row per variable: its group, multiplier, ``learning_rate * multiplier``, transform.

    The rows behind `keras_layerlr.lr_table`, which reads the arguments off a `LayerLR`.
    Patterns are resolved the way `LayerLR.build` resolves them; unmatched ones are ignored.

    Args:
        variables: the variables (anything with ``path`` or ``name``, and ``shape``).
        learning_rate: the wrapped optimizer's current learning rate.
        multipliers: ``{pattern: multiplier}`` in priority order.
        transforms: ``{pattern: GradientTransform}`` in priority order.
        overlap: ``"first"`` or ``"error"``, as in `LayerLR`.

    Returns:
        An `LRTable`.
    """
    multipliers, transforms = dict(multipliers or {}), dict(transforms or {})
    paths = [_matching.variable_path(v) for v in variables]
    patterns, tpatterns = list(multipliers), list(transforms)
    groups = _matching.assign_groups(
        patterns, paths, argument="multipliers", overlap=overlap, allow_unmatched=True
    )
    tgroups = _matching.assign_groups(
        tpatterns, paths, argument="transforms", overlap=overlap, allow_unmatched=True
    )
    table = LRTable()
    for variable, path, group, tgroup in zip(variables, paths, groups, tgroups, strict=True):
        multiplier = 1.0 if group is None else multipliers[patterns[group]]
        table.append(
            {
                "path": path,
                "shape": tuple(variable.shape),
                "group": "-" if group is None else patterns[group],
                "multiplier": multiplier,
                # float32 values shown to float32 precision (0.1, not 0.10000000149).
                "learning_rate": float(f"{learning_rate * multiplier:.7g}"),
                "transform": "-" if tgroup is None else _describe(transforms[tpatterns[tgroup]]),
            }
        )
    return table


def _describe(transform: Any) -> str:
    inner = getattr(transform, "transforms", None)
    if inner is not None:
        return " > ".join(_describe(t) for t in inner)
    return type(transform).__name__
