"""The keras-plugin-harness entry point of keras-ema (``keras_plugins`` group, name ``ema``).

Loaded by the harness only. Importing it does not import Keras or ``keras_ema`` (whose
``__init__`` imports Keras): the hooks import them when called, so listing plugins stays cheap.
"""

from importlib.metadata import version
from typing import Any

from keras_plugin_harness import ConformanceCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-ema", version("keras-ema"), "Weight EMA for any model, any optimizer, any backend"
    )


@hookimpl
def register_components(registry: Any) -> None:
    from keras_ema import EMAModel, EMAState, ExponentialMovingAverage

    registry.add(
        ExponentialMovingAverage,
        example=lambda: ExponentialMovingAverage(
            decay=0.99,
            warmup="power",
            warmup_gamma=2.0,
            warmup_power=0.75,
            start_step=10,
            every_n_steps=2,
            include_non_trainable=False,
            zero_debias=True,
            evaluate_with_ema=True,
            save_averages=True,
            target="generator",
            name="ema_g",
        ),
    )
    registry.add(EMAModel, example=_example_ema_model)
    registry.add(EMAState, example=lambda: EMAState(zero_debias=True, name="state"))


def _example_ema_model() -> Any:
    import keras

    from keras_ema import EMAModel

    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="inner")
    states = [
        {"name": "ema", "target": None, "include_non_trainable": True, "zero_debias": False},
        {"name": "slow", "target": None, "include_non_trainable": False, "zero_debias": True},
    ]
    return EMAModel(inner, states=states, name="ema_model")


@hookimpl
def conformance_cases() -> list[ConformanceCase]:
    from keras_ema_plugin import cases  # imports Keras and keras_ema

    return [cases.dense_case(), cases.cnn_bn_case()]
