"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    summary = "mixup, CutMix, SamplePairing and manifold mixup for any input and any labels"
    return PluginInfo("keras-mixup", version("keras-mixup"), summary)


@hookimpl
def register_components(registry):  # type: ignore[no-untyped-def]
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
def conformance_cases():  # type: ignore[no-untyped-def]
    from keras_mixup import _cases

    return _cases.cases()


@hookimpl
def bench_cases():  # type: ignore[no-untyped-def]
    from keras_mixup import _bench

    return _bench.cases()
