"""keras-gan-arch: GAN architectures from DCGAN to SELF-MOD on every backend."""

from keras_gan_arch.blocks import ClassProjection, DiscriminatorResBlock, GeneratorResBlock
from keras_gan_arch.discriminators import (
    dcgan_discriminator,
    projection_discriminator,
    resnet_discriminator,
)
from keras_gan_arch.gan import GAN
from keras_gan_arch.generators import (
    dcgan_generator,
    resnet_generator,
    selfmod_generator,
    upsample_generator,
    upsampling_steps,
)
from keras_gan_arch.losses import LOSSES, discriminator_loss, generator_loss
from keras_gan_arch.normalization import (
    ConditionalBatchNormalization,
    CrossReplicaBatchNormalization,
    SelfModulatedBatchNormalization,
)

__version__ = "0.1.0"

__all__ = [
    "GAN",
    "LOSSES",
    "ClassProjection",
    "ConditionalBatchNormalization",
    "CrossReplicaBatchNormalization",
    "DiscriminatorResBlock",
    "GeneratorResBlock",
    "SelfModulatedBatchNormalization",
    "dcgan_discriminator",
    "dcgan_generator",
    "discriminator_loss",
    "generator_loss",
    "projection_discriminator",
    "resnet_discriminator",
    "resnet_generator",
    "selfmod_generator",
    "upsample_generator",
    "upsampling_steps",
]
