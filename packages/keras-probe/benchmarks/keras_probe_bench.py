"""keras-probe benchmarks (run by `keras-plugins bench`, not shipped in the wheel): predict time
of a small attention model without probes, with inactive probes, active."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_plugin_harness import BenchCase
from keras_probe import capture, probe

PLUGIN = "keras-probe"

SAMPLES, LENGTH, WIDTH, BATCH = 512, 16, 32, 128


class _SelfAttention(keras.layers.Layer):
    """One-head self-attention; `probed` decides whether the scores are probed."""

    def __init__(self, probed: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probed = probed

    def build(self, input_shape: Any) -> None:
        width = input_shape[-1]
        self.qkv = self.add_weight(shape=(width, 3 * width), initializer="glorot_uniform")

    def call(self, x: Any) -> Any:
        q, k, v = ops.split(ops.matmul(x, self.qkv), 3, axis=-1)
        scores = ops.softmax(ops.einsum("btd,bsd->bts", q, k) / np.sqrt(q.shape[-1]), axis=-1)
        if self.probed:
            scores = probe("attention", scores)
        return ops.einsum("bts,bsd->btd", scores, v)


def _model(probed: bool) -> tuple[keras.Model, np.ndarray]:
    keras.utils.set_random_seed(0)
    inputs = keras.Input((LENGTH, WIDTH))
    h = inputs
    for _ in range(2):
        h = h + _SelfAttention(probed)(h)
        h = keras.layers.Dense(WIDTH, activation="relu")(h)
    outputs = keras.layers.Dense(4)(keras.layers.GlobalAveragePooling1D()(h))
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(0).normal(size=(SAMPLES, LENGTH, WIDTH)).astype("float32")
    return model, x


def predict_plain() -> Callable[[], object]:
    model, x = _model(probed=False)
    return lambda: model.predict(x, batch_size=BATCH, verbose=0)


def predict_probed_inactive() -> Callable[[], object]:
    model, x = _model(probed=True)
    return lambda: model.predict(x, batch_size=BATCH, verbose=0)


def predict_probed_active() -> Callable[[], object]:
    model, x = _model(probed=True)
    context = capture(model)
    captured = context.__enter__()  # stays active for the whole benchmark

    def step() -> object:
        captured.clear()
        outputs = model.predict(x, batch_size=BATCH, verbose=0)
        # read the scores as a user would: their host copy is part of the cost
        return outputs, [captured[name] for name in captured]

    # keep the context alive: a collected generator would exit the capture
    step.context = context  # type: ignore[attr-defined]
    return step


def bench_cases(images: Path) -> list[BenchCase]:
    """The cases of `keras-plugins bench --plugin keras-probe` (``images``: unused, this plugin
    draws no figures)."""
    return [
        BenchCase(
            "predict-inactive",
            "predict time: attention model with a probe, no capture active, vs no probe",
            baseline=predict_plain,
            candidate=predict_probed_inactive,
            max_ratio=1.02,
            # the two graphs are identical (tests/test_inactive_cost.py); a 2% budget needs
            # many blocks before the median of a shared machine's noise settles
            blocks=21,
        ),
        BenchCase(
            "predict-active",
            "predict time: same model inside `capture` (scores returned) vs no probe",
            baseline=predict_plain,
            candidate=predict_probed_active,
            max_ratio=1.15,
        ),
    ]
