"""Conformance cases of keras-probe: an attention model with a probe, a VAE with internal losses
and metrics (imported by the entry point's `conformance_cases` hook)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from keras_plugin_harness import ConformanceCase, Misuse
from keras_probe import AddLoss, AddMetric, ProbedMultiHeadAttention, ProbeRecorder, capture, probe
from keras_probe._vae import build_vae


def _digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    data = load_digits()
    keep = data.target < 3
    x = (data.data[keep][:n] / 16.0).astype("float32")
    return x, data.target[keep][:n].astype("int32")


def build_attention_model() -> keras.Model:
    inputs = keras.Input((8, 8), name="rows")
    h = keras.layers.Dense(8, name="embed")(inputs)
    h = ProbedMultiHeadAttention(num_heads=2, key_dim=4, name="mha")(h, h)
    h = keras.layers.GlobalAveragePooling1D()(h)
    outputs = keras.layers.Dense(3, activation="softmax", name="head")(h)
    model = keras.Model(inputs, outputs, name="probed_attention")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    return model


def attention_data() -> tuple[np.ndarray, np.ndarray]:
    x, y = _digits(48)
    return x.reshape(-1, 8, 8), y


class _TwoShapes(keras.layers.Layer):
    def call(self, x: Any) -> Any:
        probe("twice", x)
        probe("twice", x[:, :1])
        return x


def _reused_name() -> None:
    model = keras.Sequential([keras.Input((3,)), _TwoShapes()])
    with capture(model):
        model.predict(np.ones((2, 3), "float32"), verbose=0)


def _capture_unbuilt() -> None:
    with capture(keras.Sequential([keras.layers.Dense(2)])):
        pass


def attention_case() -> ConformanceCase:
    return ConformanceCase(
        name="attention-probe",
        build_model=build_attention_model,
        make_data=attention_data,
        callbacks=lambda: [ProbeRecorder("attention", reduction="mean")],
        misuses=[
            Misuse("model", _capture_unbuilt, description="capture on an unbuilt model"),
            Misuse("name", _reused_name, description="probe name reused with another shape"),
            Misuse("probe_name", lambda: ProbedMultiHeadAttention(2, 4, probe_name="")),
            Misuse("reduction", lambda: ProbeRecorder("attention", reduction="median")),
            Misuse("names", lambda: ProbeRecorder([])),
        ],
        skip={
            "mixed@jax": "Keras' own MultiHeadAttention inference path (fused "
            'ops.dot_product_attention) fails on JAX CPU under mixed_float16 with "precision '
            "'F16_F16_F32' is not supported by dot_general on CPU\"; not caused by the probe",
        },
        epochs=3,
        atol=1e-4,
    )


def build_vae_model() -> keras.Model:
    model = build_vae(
        input_dim=64, latent_dim=2, hidden=16, kl_weight=0.1, seed=7, stochastic=False
    )
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=None)
    return model


def vae_data() -> tuple[np.ndarray, None]:
    return _digits(48)[0], None


def vae_case() -> ConformanceCase:
    return ConformanceCase(
        name="vae-internal-metric",
        build_model=build_vae_model,
        make_data=vae_data,
        misuses=[
            Misuse("weight", lambda: AddLoss(weight=-1.0)),
            Misuse("metric_name", lambda: AddMetric("")),
            Misuse("latent_dim", lambda: build_vae(latent_dim=0)),
        ],
        epochs=3,
        atol=1e-4,
    )
