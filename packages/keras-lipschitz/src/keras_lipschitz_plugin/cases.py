"""Conformance cases of keras-lipschitz: tiny models exercising the plugin (built after the
backend is chosen; imported by the entry point's `conformance_cases` hook)."""

import keras
import numpy as np

from keras_lipschitz.regularizer import SpectralNormRegularizer
from keras_lipschitz.spectral_normalization import SpectralNormalization
from keras_plugin_harness import ConformanceCase, Misuse


def _plugin_state(model):
    """The power-iteration vectors of every wrapper (also in model.weights; compared by name)."""
    state = {}
    for layer in model.layers:
        if isinstance(layer, SpectralNormalization):
            state[f"{layer.name}/u"] = keras.ops.convert_to_numpy(layer.u)
            state[f"{layer.name}/v"] = keras.ops.convert_to_numpy(layer.v)
    return state


def _regularizer_state(model):
    """The persistent `u` of every regularized kernel (also in model.weights; named by kernel)."""
    state = {}
    for layer in model.layers:
        regularizer = getattr(layer, "kernel_regularizer", None)
        for slot in getattr(regularizer, "_slots", []):
            state[slot.key] = keras.ops.convert_to_numpy(slot.u)
    return state


def dense_data():
    rng = np.random.RandomState(0)
    x = rng.standard_normal((48, 6)).astype("float32")
    y = (x[:, :1] - 0.5 * x[:, 1:2] > 0).astype("float32")
    return x, y


def build_dense_sn():
    model = keras.Sequential(
        [
            keras.Input((6,)),
            SpectralNormalization(keras.layers.Dense(16, activation="relu"), name="sn_hidden"),
            SpectralNormalization(keras.layers.Dense(1), power_iterations=2, name="sn_out"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return model


def conv_data():
    rng = np.random.RandomState(1)
    x = rng.standard_normal((32, 8, 8, 2)).astype("float32")
    y = (x[:, :4, :, 0].mean(axis=(1, 2)) > 0).astype("float32")[:, None]
    return x, y


def build_conv_operator_sn():
    model = keras.Sequential(
        [
            keras.Input((8, 8, 2)),
            SpectralNormalization(
                keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
                mode="operator",
                warmup_iterations=20,
                name="sn_conv",
            ),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return model


def build_regularized():
    regularizer = SpectralNormRegularizer(0.01, power_iterations=3)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(
                16, activation="relu", kernel_regularizer=regularizer, name="reg_hidden"
            ),
            keras.layers.Dense(1, kernel_regularizer=regularizer, name="reg_out"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    return model


def _wrap_dropout():
    return SpectralNormalization(keras.layers.Dropout(0.5))(np.zeros((2, 3), "float32"))


def _operator_unknown_shape():
    layer = SpectralNormalization(keras.layers.Conv2D(2, 3), mode="operator")
    return layer.build((None, None, None, 3))


def dense_case():
    return ConformanceCase(
        name="dense-sn",
        build_model=build_dense_sn,
        make_data=dense_data,
        plugin_state=_plugin_state,
        misuses=[
            Misuse(
                "power_iterations",
                lambda: SpectralNormalization(keras.layers.Dense(2), power_iterations=0),
                description="power_iterations < 1",
            ),
            Misuse("layer", _wrap_dropout, description="wrapped layer has no kernel"),
            Misuse(
                "mode",
                lambda: SpectralNormalization(keras.layers.Dense(2), mode="svd"),
                description="unknown mode",
            ),
        ],
        epochs=3,
    )


def conv_operator_case():
    return ConformanceCase(
        name="conv-sn-operator",
        build_model=build_conv_operator_sn,
        make_data=conv_data,
        plugin_state=_plugin_state,
        misuses=[
            Misuse(
                "mode", _operator_unknown_shape, description="operator mode, unknown input shape"
            ),
            Misuse(
                "eps",
                lambda: SpectralNormalization(keras.layers.Conv2D(2, 3), eps=0.0),
                description="eps <= 0",
            ),
        ],
        epochs=3,
    )


def regularizer_case():
    return ConformanceCase(
        name="dense-sn-regularizer",
        build_model=build_regularized,
        make_data=dense_data,
        plugin_state=_regularizer_state,
        misuses=[
            Misuse(
                "strength", lambda: SpectralNormRegularizer(-1.0), description="negative strength"
            ),
            Misuse(
                "power_iterations",
                lambda: SpectralNormRegularizer(0.1, power_iterations=0),
                description="power_iterations < 1",
            ),
        ],
        epochs=3,
    )
