"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version
from typing import Any

from keras_plugin_harness import BenchCase, ConformanceCase, PluginInfo, hookimpl


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

    from keras_layerlr import _cases, transforms
    from keras_layerlr.layer_lr import LayerLR

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
        transforms.FromCallable: lambda: transforms.FromCallable(_cases.halve_gradient),
    }
    for cls, example in examples.items():
        registry.add(cls, example=example)
    registry.add(_cases.halve_gradient)


@hookimpl
def conformance_cases() -> list[ConformanceCase]:
    from keras_layerlr import _cases

    return [_cases.sgd_momentum_case(), _cases.adamw_case()]


@hookimpl
def bench_cases() -> list[BenchCase]:
    from keras_layerlr import _bench

    return _bench.cases()
