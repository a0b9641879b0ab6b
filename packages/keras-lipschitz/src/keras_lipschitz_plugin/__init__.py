"""The keras-plugin-harness entry point of keras-lipschitz (``keras_plugins`` group, name
``lipschitz``).

Loaded by the harness only. Importing it does not import Keras or ``keras_lipschitz`` (whose
``__init__`` imports Keras): the hooks import them when called, so listing plugins stays cheap.
"""

from importlib.metadata import version
from typing import Any

from keras_plugin_harness import ConformanceCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-lipschitz",
        version("keras-lipschitz"),
        "Spectral normalization done right, spectral-norm regularization, gradient penalties",
    )


@hookimpl
def register_components(registry: Any) -> None:
    import keras

    from keras_lipschitz import SpectralNormalization, SpectralNormRegularizer

    registry.add(
        SpectralNormalization,
        example=lambda: SpectralNormalization(
            keras.layers.Conv2D(3, 3),
            power_iterations=2,
            mode="operator",
            eps=1e-6,
            warmup_iterations=5,
            sigma_gradient=False,
        ),
    )
    registry.add(
        SpectralNormRegularizer,
        example=lambda: SpectralNormRegularizer(
            0.05, power_iterations=3, eps=1e-8, warmup_iterations=5
        ),
    )


@hookimpl
def conformance_cases() -> list[ConformanceCase]:
    from keras_lipschitz_plugin import cases  # imports Keras and keras_lipschitz

    return [cases.dense_case(), cases.conv_operator_case(), cases.regularizer_case()]
