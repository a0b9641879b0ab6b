"""What keras-gan-arch relies on in Keras beyond its public API, each with why.

Keras' trainers (``fit`` on TensorFlow, JAX and PyTorch) read ``model.optimizer``: its
``variables`` (JAX threads them through the stateless step; saving and the trainers' state
collection read them), ``built``/``build`` (built before the first step), ``iterations`` and
``scale_loss``. That contract is not documented, and a model with two optimizers has no public
way to meet it, so the object that meets it lives here.
"""

from __future__ import annotations

from typing import Any


# Keras' trainers take one `model.optimizer`; a GAN steps two, and no public API says so.
class OptimizerPair:
    """What Keras' trainers see as ``GAN.optimizer``: both optimizers' variables, in order.

    Not a Keras saveable on purpose; the two optimizers are saved as the GAN's attributes.
    """

    def __init__(self, discriminator_optimizer: Any, generator_optimizer: Any) -> None:
        self.discriminator = discriminator_optimizer
        self.generator = generator_optimizer

    @property
    def variables(self) -> list[Any]:
        return list(self.discriminator.variables) + list(self.generator.variables)

    @property
    def built(self) -> bool:
        return bool(self.discriminator.built and self.generator.built)

    @property
    def iterations(self) -> Any:
        return self.generator.iterations

    def build(self, variables: Any = None) -> None:
        """Optimizers are built in `GAN.compile`; nothing is left to build."""

    def scale_loss(self, loss: Any) -> Any:
        return loss
