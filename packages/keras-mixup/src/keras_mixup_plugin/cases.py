"""Conformance cases: a tabular MLP with sparse labels and a small CNN with CutMix (imported by
the hooks only; the data are scikit-learn's bundled sets)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from keras_mixup import CutMix, Mixup, MixupModel
from keras_plugin_harness import ConformanceCase, Misuse


def _tabular_data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True)
    rows = np.random.default_rng(0).permutation(len(x))[:45]
    x = (x - x.mean(0)) / x.std(0)
    return x[rows].astype("float32"), y[rows].astype("int32")


def build_tabular() -> Any:
    inner = keras.Sequential(
        [
            keras.Input((13,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model = MixupModel(inner, Mixup(alpha=0.4, mode="elem", seed=7))
    model.compile(
        keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def _digits_data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x[:32] / 16.0).reshape(-1, 8, 8, 1).astype("float32")
    return x, np.eye(10, dtype="float32")[y[:32]]


def build_cnn() -> Any:
    inner = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    mixer = Mixup(alpha=0.2, cutmix_alpha=1.0, switch_prob=0.5, mode="pair", seed=3)
    model = MixupModel(inner, mixer)
    model.compile(keras.optimizers.Adam(0.02), "categorical_crossentropy")
    return model


def _misuses() -> list[Misuse]:
    x = np.ones((4, 3), "float32")

    def no_place() -> Any:
        return MixupModel(keras.Sequential([keras.layers.Dense(2)]), Mixup(), mix_input=False)

    return [
        Misuse("alpha", lambda: Mixup(alpha=0.0), description="alpha <= 0"),
        Misuse("alpha", lambda: CutMix(alpha=-1.0), description="CutMix alpha < 0"),
        Misuse("mode", lambda: Mixup(mode="batches"), description="unknown mode"),
        Misuse("prob", lambda: Mixup(prob=1.5), description="prob above 1"),
        Misuse("cutmix_alpha", lambda: CutMix()(x), description="CutMix on rank-2 input"),
        Misuse("y", lambda: Mixup()(x, np.zeros((5,), "int32")), description="label batch"),
        Misuse("mix_input", no_place, description="nowhere to mix"),
    ]


def _skips() -> dict[str, str]:
    if keras.backend.backend() == "tensorflow":
        return {
            "distributed": "MirroredStrategy mixes inside each replica's half batch, so the "
            "partners differ from single-device training by design (JAX DataParallel mixes "
            "the global batch and is checked)"
        }
    return {}


def cases() -> list[ConformanceCase]:
    return [
        ConformanceCase(
            "tabular-sparse",
            build_tabular,
            _tabular_data,
            misuses=_misuses(),
            batch_size=15,
            epochs=4,
            skip=_skips(),
        ),
        ConformanceCase(
            "cnn-cutmix",
            build_cnn,
            _digits_data,
            misuses=_misuses(),
            batch_size=16,
            epochs=4,
            skip=_skips(),
        ),
    ]
