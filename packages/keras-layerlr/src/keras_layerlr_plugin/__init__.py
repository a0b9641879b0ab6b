"""keras-layerlr's entry point for keras-plugin-harness (the `keras_plugins` entry point).

Importing this module imports neither Keras nor `keras_layerlr` (whose ``__init__`` imports
Keras): the hooks import them when the harness calls them, so discovery stays cheap.
"""

from importlib.metadata import version
from typing import Any

from keras_plugin_harness import ConformanceCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-layerlr",
        version("keras-layerlr"),
        "Per-layer learning rates and per-variable gradient transforms for any optimizer",
    )


@hookimpl
def register_components(registry: Any) -> None:
    import keras

    from keras_layerlr import LayerLR, transforms

    from . import cases

    registry.add(
        LayerLR,
        example=lambda: LayerLR(
            keras.optimizers.AdamW(3e-4, weight_decay=0.02),
            {"encoder/*": 0.1, "re:(^|/)head/": 2.0},
            {"encoder/*": transforms.ClipByNorm(1.0)},
            overlap="error",
            allow_unmatched=True,
            name="layer_lr_example",
        ),
    )
    examples = {
        transforms.Chain: lambda: transforms.Chain(
            transforms.ClipByValue(0.5), transforms.AdaptiveGradClip(0.05, 1e-4)
        ),
        transforms.ClipByValue: lambda: transforms.ClipByValue(0.25),
        transforms.ClipByNorm: lambda: transforms.ClipByNorm(2.0),
        transforms.AdaptiveGradClip: lambda: transforms.AdaptiveGradClip(0.05, 1e-4),
        transforms.CentralizeGradients: transforms.CentralizeGradients,
        transforms.AddNoise: lambda: transforms.AddNoise(0.1, 0.3, seed=3),
        transforms.FromCallable: lambda: transforms.FromCallable(cases.halve_gradient),
    }
    for cls, example in examples.items():
        registry.add(cls, example=example)
    registry.add(cases.halve_gradient)


@hookimpl
def conformance_cases() -> list[ConformanceCase]:
    from . import cases

    return [cases.sgd_momentum_case(), cases.adamw_case()]
