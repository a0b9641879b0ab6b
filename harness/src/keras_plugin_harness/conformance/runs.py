"""Building, training and reading back one conformance case; shared by every check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import keras
import numpy as np

from ..cases import ConformanceCase


def build(case: ConformanceCase) -> Any:
    keras.utils.set_random_seed(case.seed)
    return case.build_model()


def data(case: ConformanceCase) -> tuple[Any, Any]:
    keras.utils.set_random_seed(case.seed)
    return case.make_data()


def fit(case: ConformanceCase, model: Any, epochs: int | None = None) -> dict[str, list[float]]:
    x, y = data(case)
    history = model.fit(
        x,
        y,
        batch_size=case.batch_size,
        epochs=epochs or case.epochs,
        shuffle=False,
        callbacks=case.callbacks(),
        verbose=0,
    )
    return dict(history.history)


def train(case: ConformanceCase, **model_settings: Any) -> tuple[Any, dict[str, list[float]]]:
    """Build and fit ``case``; ``model_settings`` are set as model attributes before fitting."""
    model = build(case)
    for name, value in model_settings.items():
        setattr(model, name, value)
    return model, fit(case, model)


_REFERENCE_RUNS: dict[int, tuple[Any, dict[str, list[float]]]] = {}


def reference(case: ConformanceCase) -> tuple[Any, dict[str, list[float]]]:
    """The case trained once with default settings, shared by every check that only reads it
    (trains, seeded, jit, distributed): fits are most of the suite's time."""
    if id(case) not in _REFERENCE_RUNS:
        _REFERENCE_RUNS[id(case)] = train(case)
    return _REFERENCE_RUNS[id(case)]


def arrays(values: Any) -> list[np.ndarray]:
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in keras.tree.flatten(values)]


def predictions(case: ConformanceCase, model: Any) -> list[np.ndarray]:
    x, _ = data(case)
    return arrays(model.predict(x, batch_size=case.batch_size, verbose=0))


def weights(model: Any) -> dict[str, np.ndarray]:
    """Every model and optimizer variable, keyed by position and short name (full paths carry
    auto-numbered layer names such as ``dense_4`` that differ between two builds)."""
    found = {f"model[{i}]:{v.name}": v for i, v in enumerate(model.weights)}
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "built", False):
        found.update({f"optimizer[{i}]": v for i, v in enumerate(optimizer.variables)})
    return {name: np.asarray(keras.ops.convert_to_numpy(v)) for name, v in found.items()}


def state(case: ConformanceCase, model: Any) -> dict[str, np.ndarray]:
    """``weights`` plus the case's own plugin state."""
    found = weights(model)
    if case.plugin_state is not None:
        for name, value in case.plugin_state(model).items():
            found[f"plugin:{name}"] = np.asarray(keras.ops.convert_to_numpy(value))
    return found


def mismatches(
    expected: dict[str, np.ndarray], actual: dict[str, np.ndarray], atol: float, rtol: float = 1e-5
) -> list[str]:
    """Human-readable differences between two ``state`` dicts (empty: they agree)."""
    problems = []
    if list(expected) != list(actual):
        missing = sorted(set(expected) - set(actual))
        extra = sorted(set(actual) - set(expected))
        problems.append(f"different variables: missing {missing[:5]}, unexpected {extra[:5]}")
    for name in expected.keys() & actual.keys():
        a, b = expected[name], actual[name]
        if a.shape != b.shape:
            problems.append(f"{name}: shape {a.shape} != {b.shape}")
        elif a.dtype.kind in "fc" and not np.allclose(a, b, atol=atol, rtol=rtol, equal_nan=True):
            diff = float(np.max(np.abs(a.astype("float64") - b.astype("float64"))))
            problems.append(f"{name}: max abs diff {diff:.3g} > atol {atol:g}")
        elif a.dtype.kind not in "fc" and not np.array_equal(a, b):
            problems.append(f"{name}: values differ")
    return problems


def assert_close(expected: Any, actual: Any, what: str, atol: float, rtol: float = 1e-5) -> None:
    if isinstance(expected, list):
        expected = {f"output {i}": v for i, v in enumerate(expected)}
        actual = {f"output {i}": v for i, v in enumerate(actual)}
    problems = mismatches(expected, actual, atol, rtol)
    if problems:
        shown = "; ".join(problems[:6])
        raise AssertionError(f"{what}: {len(problems)} difference(s): {shown}")


@contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
