"""keras-gan-arch: GAN architectures from DCGAN to SELF-MOD on every backend.

Keras is imported on first access to a public name, so discovering plugins stays cheap.

>>> import keras_gan_arch
>>> "selfmod_generator" in keras_gan_arch.__all__
True
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> the submodule defining it (imported lazily, with Keras, on first access)
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
__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'keras_gan_arch' has no attribute {name!r}")
    return getattr(import_module(f"keras_gan_arch.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
