"""`lr_table`: the effective learning rate of every trainable variable, as data and as text."""

from __future__ import annotations

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


def lr_table(model_or_variables, optimizer):
    """Effective learning rate per trainable variable under ``optimizer``.

    Works before training (the optimizer need not be built): patterns are resolved the way
    `LayerLR.build` will resolve them, and unmatched patterns are ignored here. The learning
    rate is the wrapped optimizer's current one (a schedule evaluated at the current step)
    times the group multiplier.

    Args:
        model_or_variables: a model (its ``trainable_variables``) or a list of variables.
        optimizer: a `LayerLR`, a `LossScaleOptimizer` around one, or any Keras optimizer
            (every multiplier is then 1).

    Returns:
        An `LRTable`: a list of row dicts; ``print(table)`` shows it aligned.

    >>> import keras
    >>> from keras_layerlr import LayerLR
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="head")],
    ...                          name="net")
    >>> rows = lr_table(model, LayerLR(keras.optimizers.SGD(0.1), {"bias": 0.0}))
    >>> [(r["path"], r["learning_rate"]) for r in rows]
    [('net/head/kernel', 0.1), ('net/head/bias', 0.0)]
    """
    import keras
    from keras import ops

    from .layer_lr import LayerLR

    variables = getattr(model_or_variables, "trainable_variables", model_or_variables)
    while isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = optimizer.inner_optimizer
    base_lr = float(ops.convert_to_numpy(optimizer.learning_rate))
    paths = [getattr(v, "path", v.name) for v in variables]
    multipliers, transforms = {}, {}
    overlap = "first"
    if isinstance(optimizer, LayerLR):
        multipliers, transforms = optimizer.multipliers, optimizer._transforms
        overlap = optimizer.overlap
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
                "learning_rate": float(f"{base_lr * multiplier:.7g}"),
                "transform": "-" if tgroup is None else _describe(transforms[tpatterns[tgroup]]),
            }
        )
    return table


def _describe(transform):
    inner = getattr(transform, "transforms", None)
    if inner is not None:
        return " > ".join(_describe(t) for t in inner)
    return type(transform).__name__
