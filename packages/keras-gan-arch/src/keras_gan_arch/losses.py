"""Adversarial losses on discriminator logits: non-saturating, hinge, WGAN, least squares.

Each kind is a pair of functions of logits (float32 scalars, means over the batch). The WGAN
gradient penalty is added by :class:`~keras_gan_arch.GAN` (``gradient_penalty_weight``), not here.

References:
    Goodfellow et al., "Generative Adversarial Nets", 2014 (non-saturating).
    Lim & Ye, "Geometric GAN", 2017; Miyato et al., 2018 (hinge).
    Gulrajani et al., "Improved Training of Wasserstein GANs", 2017 (WGAN-GP).
    Mao et al., "Least Squares Generative Adversarial Networks", 2017.
"""

from __future__ import annotations

from keras import ops

LOSSES = ("non-saturating", "hinge", "wgan-gp", "least-squares")


def check_loss(loss):
    """Raise a ValueError naming ``loss`` unless it is one of :data:`LOSSES`."""
    if loss not in LOSSES:
        raise ValueError(f"`loss` must be one of {LOSSES}. Received: loss={loss!r}")


def discriminator_loss(loss, real_logits, fake_logits):
    """The discriminator's (critic's) loss for ``loss`` kind, averaged over the batch.

    Args:
        loss: one of ``"non-saturating"`` (``softplus(-real) + softplus(fake)``), ``"hinge"``
            (``relu(1 - real) + relu(1 + fake)``), ``"wgan-gp"`` (``fake - real``) or
            ``"least-squares"`` (``((real - 1)**2 + fake**2) / 2``).
        real_logits: discriminator outputs on real images, any shape.
        fake_logits: discriminator outputs on generated images.

    Returns:
        A float32 scalar.

    >>> import numpy as np
    >>> float(discriminator_loss("hinge", np.array([2.0, 0.0]), np.array([-2.0, 0.5])))
    1.25
    """
    check_loss(loss)
    real = ops.cast(real_logits, "float32")
    fake = ops.cast(fake_logits, "float32")
    if loss == "non-saturating":
        per_real, per_fake = ops.softplus(-real), ops.softplus(fake)
    elif loss == "hinge":
        per_real, per_fake = ops.relu(1.0 - real), ops.relu(1.0 + fake)
    elif loss == "wgan-gp":
        per_real, per_fake = -real, fake
    else:
        per_real, per_fake = 0.5 * ops.square(real - 1.0), 0.5 * ops.square(fake)
    return ops.mean(per_real) + ops.mean(per_fake)


def generator_loss(loss, fake_logits):
    """The generator's loss for ``loss`` kind, averaged over the batch.

    Args:
        loss: ``"non-saturating"`` (``softplus(-fake)``), ``"hinge"`` and ``"wgan-gp"``
            (``-fake``) or ``"least-squares"`` (``(fake - 1)**2 / 2``).
        fake_logits: discriminator outputs on generated images.

    Returns:
        A float32 scalar.

    >>> import numpy as np
    >>> float(generator_loss("least-squares", np.array([1.0, 3.0])))
    1.0
    """
    check_loss(loss)
    fake = ops.cast(fake_logits, "float32")
    if loss == "non-saturating":
        return ops.mean(ops.softplus(-fake))
    if loss == "least-squares":
        return ops.mean(0.5 * ops.square(fake - 1.0))
    return -ops.mean(fake)
