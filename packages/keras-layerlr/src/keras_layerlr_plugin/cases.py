"""Conformance cases: tiny models whose optimizer is a `LayerLR` with groups and transforms.

Also `halve_gradient`, the registered user function of the `FromCallable` example.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_layerlr import (
    LayerLR,
    adaptive_grad_clip,
    centralize_gradients,
    chain,
    clip_by_norm,
    clip_by_value,
    layerwise_lr_decay,
)
from keras_plugin_harness import ConformanceCase, Misuse


def make_data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(48, 6)).astype("float32")
    w = rng.normal(size=(6, 1)).astype("float32")
    y = (np.tanh(x @ w) + 0.1 * rng.normal(size=(48, 1))).astype("float32")
    return x, y


def _mlp(names):
    layers = [keras.Input((6,))]
    layers += [keras.layers.Dense(8, activation="tanh", name=n) for n in names[:-1]]
    layers.append(keras.layers.Dense(1, name=names[-1]))
    return keras.Sequential(layers, name="mlp")


def build_sgd_momentum():
    model = _mlp(["encoder", "head"])
    optimizer = LayerLR(
        keras.optimizers.SGD(0.05, momentum=0.9),
        {"encoder/*": 0.3, "head/*": 1.0},
        {"encoder/*": chain(clip_by_value(0.5), clip_by_norm(1.0))},
    )
    model.compile(optimizer=optimizer, loss="mse")
    return model


def build_adamw_llrd():
    model = _mlp(["block_0", "block_1", "head"])
    multipliers = layerwise_lr_decay(["block_0/*", "block_1/*"], decay=0.7, head=["head/*"])
    optimizer = LayerLR(
        keras.optimizers.AdamW(0.01, weight_decay=0.01),
        multipliers,
        {"re:(^|/)block_\\d+/kernel$": chain(centralize_gradients(), adaptive_grad_clip(0.1))},
    )
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _misuses():
    def unmatched():
        model = _mlp(["encoder", "head"])
        LayerLR(keras.optimizers.SGD(0.1), {"encodr/*": 0.1}).build(model.trainable_variables)

    return [
        Misuse(
            "multipliers",
            lambda: LayerLR(keras.optimizers.SGD(0.1), {"a/*": -1.0}),
            description="negative multiplier",
        ),
        Misuse("multipliers", unmatched, description="pattern matching no variable"),
        Misuse(
            "overlap",
            lambda: LayerLR(keras.optimizers.SGD(0.1), overlap="last"),
            description="unknown overlap policy",
        ),
        Misuse("optimizer", lambda: LayerLR("sgd"), description="not an optimizer instance"),
        Misuse("decay", lambda: layerwise_lr_decay(["a/*"], 1.5), description="decay above 1"),
    ]


def sgd_momentum_case():
    return ConformanceCase(
        name="sgd-momentum",
        build_model=build_sgd_momentum,
        make_data=make_data,
        misuses=_misuses(),
        batch_size=16,
        epochs=3,
    )


def adamw_case():
    return ConformanceCase(
        name="adamw-llrd",
        build_model=build_adamw_llrd,
        make_data=make_data,
        misuses=_misuses(),
        batch_size=16,
        epochs=3,
    )


@keras.saving.register_keras_serializable(package="keras_layerlr")
def halve_gradient(gradient, variable):
    """A registered user transform for `FromCallable` examples: ``gradient / 2``."""
    return gradient * 0.5
