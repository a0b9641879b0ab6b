"""What one GAN training step computes, written once for every backend: the batch it reads, the
two objectives (with the optional gradient penalty) and the logged metrics.

The objectives are stateful Keras code (BatchNorm statistics, spectral-norm vectors and the seed
generator are updated as they run); `_train_steps` turns them into gradients per backend.

References:
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017 (WGAN-GP).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_lipschitz import gradient_norms

from ._draws import draw
from .losses import discriminator_loss, generator_loss


def unpack(gan: Any, data: Any) -> tuple[Any, Any]:
    """``(real_images, labels or None)`` from a batch of ``fit`` data: ``images``,
    ``(images, labels)`` or ``([images, labels],)``."""
    x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
    if gan.conditional and y is None and isinstance(x, (list, tuple)) and len(x) == 2:
        x, y = x
    # Eager (non-jit) steps may receive numpy; layers refuse [tensor, ndarray] inputs.
    labels = ops.convert_to_tensor(y) if gan.conditional else None
    return ops.convert_to_tensor(x), labels


def discriminator_objective(gan: Any, real: Any, labels: Any) -> Any:
    """The discriminator's loss on one batch (fresh z, the real batch's labels)."""
    fake = ops.stop_gradient(_generate(gan, real, labels))
    real_logits = _discriminate(gan, real, labels, True)
    fake_logits = _discriminate(gan, fake, labels, True)
    loss = discriminator_loss(gan.loss_kind, real_logits, fake_logits)
    if gan.gradient_penalty_weight > 0:
        loss = loss + gan.gradient_penalty_weight * gradient_penalty(gan, real, fake, labels)
    return loss


def generator_objective(gan: Any, real: Any, labels: Any) -> Any:
    """The generator's loss on one batch (fresh z, the real batch's labels)."""
    fake = _generate(gan, real, labels)
    return generator_loss(gan.loss_kind, _discriminate(gan, fake, labels, True))


def gradient_penalty(gan: Any, real: Any, fake: Any, labels: Any) -> Any:
    """WGAN-GP, ``mean((||grad D(x_hat)|| - 1)^2)``, at interpolates ``x_hat`` whose weights
    come from `draw` (``keras_lipschitz.gradient_penalty`` would draw them itself, which
    neither keeps TensorFlow's XLA and eager draws equal nor splits them over replicas)."""
    eps = draw(keras.random.uniform, gan.seed_generator, real, (1,) * (len(real.shape) - 1))
    eps = ops.cast(eps, real.dtype)
    interpolates = eps * real + (1.0 - eps) * ops.cast(fake, real.dtype)
    # training=False: the penalty's inner differentiation must not update state
    # (e.g. power-iteration vectors).
    norms = gradient_norms(lambda x: _discriminate(gan, x, labels, False), interpolates)
    return ops.mean(ops.square(norms - 1.0))


def update_metrics(gan: Any, d_loss: Any, g_loss: Any) -> dict[str, Any]:
    """Add the step's losses to the running means; the logs of ``fit``."""
    gan.d_loss_tracker.update_state(d_loss)
    gan.g_loss_tracker.update_state(g_loss)
    d_mean = gan.d_loss_tracker.result()
    return {"loss": d_mean, "d_loss": d_mean, "g_loss": gan.g_loss_tracker.result()}


def _generate(gan: Any, real: Any, labels: Any) -> Any:
    """As many generated images as ``real`` has, from fresh z, in training mode."""
    z = draw(keras.random.normal, gan.seed_generator, real, (gan.latent_dim,))
    return gan.generator(z if labels is None else [z, labels], training=True)


def _discriminate(gan: Any, images: Any, labels: Any, training: bool) -> Any:
    return gan.discriminator(images if labels is None else [images, labels], training=training)
