"""The keras-plugin-harness entry point of keras-mixup (``keras_plugins`` group, name ``mixup``).

Loaded by the harness only. Importing it imports neither Keras nor ``keras_mixup`` (whose
``__init__`` imports Keras): the hooks import them when called, so listing plugins stays cheap.
"""

from importlib.metadata import version
from typing import Any

from keras_plugin_harness import ConformanceCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    summary = "mixup, CutMix, SamplePairing and manifold mixup for any input and any labels"
    return PluginInfo("keras-mixup", version("keras-mixup"), summary)


@hookimpl
def register_components(registry: Any) -> None:
    import keras

    from keras_mixup import CutMix, ManifoldMixup, Mixup, MixupLoss, MixupModel, SamplePairing

    def example_model() -> MixupModel:
        inner = keras.Sequential([keras.Input((4,)), ManifoldMixup(), keras.layers.Dense(2)])
        return MixupModel(inner, SamplePairing(start_step=2, seed=1), mix_input=False)

    registry.add(
        Mixup,
        example=lambda: Mixup(
            alpha=0.4,
            cutmix_alpha=1.0,
            prob=0.8,
            switch_prob=0.3,
            mode="pair",
            label_smoothing=0.1,
            num_classes=10,
            seed=3,
        ),
    )
    registry.add(CutMix, example=lambda: CutMix(alpha=0.5, prob=0.5, mode="elem", seed=2))
    registry.add(
        SamplePairing,
        example=lambda: SamplePairing(
            prob=0.5, start_step=10, on_steps=8, off_steps=2, stop_step=100, seed=4
        ),
    )
    registry.add(ManifoldMixup, example=lambda: ManifoldMixup(name="mix_here"))
    registry.add(MixupModel, example=example_model)
    registry.add(
        MixupLoss,
        example=lambda: MixupLoss(
            keras.losses.SparseCategoricalCrossentropy(from_logits=True), name="mixed"
        ),
    )


@hookimpl
def conformance_cases() -> list[ConformanceCase]:
    from keras_mixup_plugin import cases  # imports Keras and keras_mixup

    return cases.cases()
