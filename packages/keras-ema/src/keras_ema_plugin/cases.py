"""Conformance cases: a Dense regressor and a small CNN with BatchNormalization on digits."""

from __future__ import annotations

from typing import Any

import numpy as np

from keras_plugin_harness import ConformanceCase, Misuse


def dense_model() -> Any:
    import keras

    from keras_ema import EMAModel

    # EMAModel: the EMA state is in the model's config, so a bare `load_model` restores it.
    model = EMAModel(
        keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)]
        )
    )
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def dense_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 1)) + 0.1 * x[:, :1] ** 2).astype("float32")
    return x, y


def dense_callbacks() -> list[Any]:
    from keras_ema import ExponentialMovingAverage

    return [ExponentialMovingAverage(decay=0.9, warmup="ratio")]


def cnn_bn_model() -> Any:
    import keras

    from keras_ema import EMAModel

    inner = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, padding="same"),
            # Synchronized: under MirroredStrategy each replica would normalize half a batch.
            keras.layers.BatchNormalization(synchronized=keras.backend.backend() == "tensorflow"),
            keras.layers.ReLU(),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model = EMAModel(inner)
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "sparse_categorical_crossentropy")
    return model


def digits_data(samples: int = 64) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images[:samples] / 16.0).astype("float32")[..., None]
    return x, digits.target[:samples].astype("int32")


def cnn_bn_callbacks() -> list[Any]:
    from keras_ema import ExponentialMovingAverage

    return [
        ExponentialMovingAverage(
            decay=0.8, warmup="power", start_step=1, every_n_steps=2, zero_debias=True
        )
    ]


def ema_state(model: Any) -> dict[str, Any]:
    """The EMA state the callbacks attached to ``model`` (empty if there is none)."""
    from keras_ema.state import attached_state

    state = attached_state(model, "ema")
    if state is None or not state.built_for_variables:
        return {}
    found = {"step": state.step.value, "decay_product": state.decay_product.value}
    found.update({f"average[{i}]": a.value for i, a in enumerate(state.averages)})
    return found


def _unbuilt_attach() -> None:
    import keras

    from keras_ema import ExponentialMovingAverage

    ExponentialMovingAverage().attach(keras.Sequential([keras.layers.Dense(2)]))


def _mismatched_variables() -> None:
    from keras_ema import ExponentialMovingAverage

    model = cnn_bn_model()
    ExponentialMovingAverage(include_non_trainable=True).attach(model)
    ExponentialMovingAverage(include_non_trainable=False).attach(model)


def misuses() -> list[Misuse]:
    from keras_ema import ExponentialMovingAverage as EMA

    return [
        Misuse("decay", lambda: EMA(decay=1.0), description="decay of 1"),
        Misuse("decay", lambda: EMA(decay=-0.1), description="negative decay"),
        Misuse(
            "warmup_power",
            lambda: EMA(warmup="power", warmup_power=-1.0),
            description="negative warm-up power",
        ),
        Misuse(
            "warmup_gamma",
            lambda: EMA(warmup="power", warmup_gamma=0.0),
            description="zero warm-up time scale",
        ),
        Misuse("warmup", lambda: EMA(warmup="linear"), description="unknown warm-up"),
        Misuse("start_step", lambda: EMA(start_step=-1), description="negative start step"),
        Misuse("every_n_steps", lambda: EMA(every_n_steps=0), description="zero period"),
        Misuse("model", _unbuilt_attach, description="used before the model is built"),
        Misuse("variables", _mismatched_variables, description="state of other variables"),
        Misuse(
            "target",
            lambda: EMA(target="missing").attach(dense_model()),
            description="unknown sub-layer",
        ),
    ]


def dense_case() -> ConformanceCase:
    return ConformanceCase(
        name="dense",
        build_model=dense_model,
        make_data=dense_data,
        callbacks=dense_callbacks,
        plugin_state=ema_state,
        misuses=misuses(),
        batch_size=16,
        epochs=3,
    )


def cnn_bn_case() -> ConformanceCase:
    return ConformanceCase(
        name="cnn-bn",
        build_model=cnn_bn_model,
        make_data=digits_data,
        callbacks=cnn_bn_callbacks,
        plugin_state=ema_state,
        misuses=misuses()[:1] + misuses()[7:9],
        batch_size=16,
        epochs=3,
    )
