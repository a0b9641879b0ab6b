"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import BenchCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-gan-arch",
        version("keras-gan-arch"),
        "GAN architectures from DCGAN to SELF-MOD on every backend",
    )


@hookimpl
def register_components(registry):
    import keras_gan_arch as g
    from keras_gan_arch.gan import _OptimizerPair
    from keras_gan_arch.images import SampleGrid

    def tiny_gan():
        return g.GAN(
            g.dcgan_generator((8, 8, 1), 4, 4, 2),
            g.dcgan_discriminator((8, 8, 1), 4),
            ema_decay=0.5,
            seed=3,
        )

    registry.add(g.GAN, example=tiny_gan)
    registry.add(
        g.CrossReplicaBatchNormalization,
        example=lambda: g.CrossReplicaBatchNormalization(momentum=0.8, center=False, scale=False),
    )
    registry.add(
        g.ConditionalBatchNormalization,
        example=lambda: g.ConditionalBatchNormalization(7, momentum=0.8, epsilon=1e-3),
    )
    registry.add(
        g.SelfModulatedBatchNormalization,
        example=lambda: g.SelfModulatedBatchNormalization(16, momentum=0.8, epsilon=1e-3),
    )
    registry.add(
        g.GeneratorResBlock,
        example=lambda: g.GeneratorResBlock(
            8, normalization="conditional", num_classes=5, hidden_units=4, upsample=False
        ),
    )
    registry.add(
        g.DiscriminatorResBlock,
        example=lambda: g.DiscriminatorResBlock(
            8, downsample=False, preactivation=False, spectral_normalization=False
        ),
    )
    registry.add(g.ClassProjection, example=lambda: g.ClassProjection(5))
    registry.add(
        SampleGrid,
        example=lambda: SampleGrid("/tmp/grids", 16, seed=3, every=2, use_ema=False, scale=2),
    )
    # Not a Keras object: what `GAN.optimizer` is (both optimizers' variables for the trainers).
    registry.add(_OptimizerPair)


@hookimpl
def conformance_cases():
    from keras_gan_arch import _cases

    return _cases.cases()


@hookimpl
def bench_cases():
    from keras_gan_arch import _bench

    return [
        BenchCase(
            "digits-fid",
            "DCGAN vs upsample vs SNGAN-ResNet vs SELF-MOD on 8x8 digits "
            "(same budget): digits-FID, precision/recall, checkerboard",
            measure=_bench.measure_architectures,
            backends=("tensorflow",),
        ),
        BenchCase(
            "fid-validation",
            "digits-FID sanity: real test vs train, noise, collapsed",
            measure=_bench.measure_fid_validation,
            backends=("tensorflow",),
        ),
    ]
