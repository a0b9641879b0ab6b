"""The keras-plugin-harness entry point of keras-gan-arch (``keras_plugins`` group, name
``gan_arch``).

Loaded by the harness only. Importing it does not import Keras or ``keras_gan_arch`` (whose
``__init__`` imports Keras): the hooks import them when called, so listing plugins stays cheap.
"""

from importlib.metadata import version
from typing import Any

from keras_plugin_harness import ConformanceCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-gan-arch",
        version("keras-gan-arch"),
        "GAN architectures from DCGAN to SELF-MOD on every backend",
    )


@hookimpl
def register_components(registry: Any) -> None:
    import keras_gan_arch as g
    from keras_gan_arch._keras_compat import OptimizerPair
    from keras_gan_arch.images import SampleGrid

    def tiny_gan() -> Any:
        return g.GAN(
            g.dcgan_generator((8, 8, 1), 4, 4, 2),
            g.dcgan_discriminator((8, 8, 1), 4),
            num_classes=None,
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
        example=lambda: SampleGrid("/tmp/grids", 16, seed=3, every=2, scale=2),
    )
    # Not a Keras object: what `GAN.optimizer` is (both optimizers' variables for the trainers).
    registry.add(OptimizerPair)


@hookimpl
def conformance_cases() -> list[ConformanceCase]:
    from keras_gan_arch_plugin import cases  # imports Keras and keras_gan_arch

    return cases.cases()
