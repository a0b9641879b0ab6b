"""keras-gan-arch: GAN architectures from DCGAN to SELF-MOD on every backend.

Keras is imported on first access to a public name (``keras_plugin_harness.lazy_exports``),
so discovering plugins stays cheap.
"""

from keras_plugin_harness import lazy_exports

__version__ = "0.1.0"

# public name -> the submodule that defines it
_WHERE = {
    "GAN": "gan",
    "LOSSES": "losses",
    "ClassProjection": "blocks",
    "ConditionalBatchNormalization": "normalization",
    "CrossReplicaBatchNormalization": "normalization",
    "DiscriminatorResBlock": "blocks",
    "GeneratorResBlock": "blocks",
    "SelfModulatedBatchNormalization": "normalization",
    "dcgan_discriminator": "discriminators",
    "dcgan_generator": "generators",
    "discriminator_loss": "losses",
    "generator_loss": "losses",
    "projection_discriminator": "discriminators",
    "resnet_discriminator": "discriminators",
    "resnet_generator": "generators",
    "selfmod_generator": "generators",
    "upsample_generator": "generators",
    "upsampling_steps": "generators",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
