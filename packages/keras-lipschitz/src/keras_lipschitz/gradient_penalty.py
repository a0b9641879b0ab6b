"""Gradient penalties for GAN critics: WGAN-GP, one-sided GP, R1, R2 and WGAN-div.

Each penalty is returned *unweighted*; multiply it by its usual coefficient in the critic loss
(10 for WGAN-GP, gamma/2 for R1/R2, k=2 for WGAN-div). The input gradient is computed by
`keras_lipschitz._input_gradient.input_gradient`, so the penalty is differentiable with respect
to the critic's weights inside a custom ``train_step`` on TensorFlow, JAX and PyTorch.

References:
    Gulrajani et al., "Improved Training of Wasserstein GANs", 2017 (WGAN-GP).
    Petzka et al., "On the regularization of Wasserstein GANs", 2018 (one-sided).
    Mescheder et al., "Which Training Methods for GANs do actually Converge?", 2018 (R1, R2).
    Wu et al., "Wasserstein Divergence for GANs", 2018 (WGAN-div).
"""

import keras
from keras import ops

from keras_lipschitz._input_gradient import input_gradient

#: kind -> which samples the gradient is taken at.
KINDS = {
    "wgan-gp": "interpolates",
    "one-sided": "interpolates",
    "r1": "real",
    "r2": "fake",
    "wgan-div": "real and fake",
}

_NORM_EPS = 1e-12


def gradient_norms(critic_fn, x):
    """Per-sample L2 norm of ``d critic_fn(x) / dx`` (differentiable w.r.t. the weights).

    Args:
        critic_fn: callable ``x -> scores`` (one score per sample).
        x: batch of inputs.

    Returns:
        Float32 tensor of shape ``(batch,)``.

    Example:

    >>> import numpy as np, keras
    >>> critic = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    >>> critic.set_weights([np.array([[3.0], [4.0]])])
    >>> norms = gradient_norms(critic, np.zeros((3, 2), "float32"))
    >>> [round(float(n), 4) for n in keras.ops.convert_to_numpy(norms)]
    [5.0, 5.0, 5.0]
    """
    return ops.sqrt(_squared_norms(critic_fn, x) + _NORM_EPS)


def _squared_norms(critic_fn, x):
    _, gradient = input_gradient(critic_fn, x)
    gradient = ops.cast(gradient, "float32")
    gradient = ops.reshape(gradient, (ops.shape(gradient)[0], -1))
    return ops.sum(ops.square(gradient), axis=1)


def interpolate(real, fake, seed_generator=None):
    """Random points on the segments between paired ``real`` and ``fake`` samples.

    Args:
        real: batch of real samples.
        fake: batch of generated samples, same shape as ``real``.
        seed_generator: `keras.random.SeedGenerator` (needed inside a traced JAX step);
            ``None`` uses Keras' global generator.

    Returns:
        ``eps * real + (1 - eps) * fake`` with one ``eps ~ U[0, 1]`` per sample.

    Example:

    >>> import numpy as np, keras
    >>> real, fake = np.ones((4, 3), "float32"), np.zeros((4, 3), "float32")
    >>> x = keras.ops.convert_to_numpy(interpolate(real, fake, keras.random.SeedGenerator(0)))
    >>> x.shape, bool(((x >= 0) & (x <= 1)).all()), bool((x == x[:, :1]).all())  # one eps a row
    ((4, 3), True, True)
    """
    real = ops.convert_to_tensor(real)
    fake = ops.cast(fake, real.dtype)
    shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
    eps = keras.random.uniform(shape, dtype=real.dtype, seed=seed_generator)
    return eps * real + (1.0 - eps) * fake


def gradient_penalty(
    critic_fn, real, fake=None, *, kind="wgan-gp", target=1.0, seed_generator=None, power=6.0
):
    """Gradient penalty of a critic, averaged over the batch (unweighted).

    ``g(x) = ||d critic_fn(x) / dx||_2`` per sample; ``x_hat`` are random interpolates of
    ``real`` and ``fake`` (see `interpolate`).

    | kind | samples | value |
    |------|---------|-------|
    | ``"wgan-gp"`` | real, fake -> x_hat | ``mean((g(x_hat) - target)^2)`` |
    | ``"one-sided"`` | real, fake -> x_hat | ``mean(max(0, g(x_hat) - target)^2)`` |
    | ``"r1"`` | real only | ``mean(g(real)^2)`` |
    | ``"r2"`` | fake only | ``mean(g(fake)^2)`` |
    | ``"wgan-div"`` | real and fake | ``(mean(g(real)^p) + mean(g(fake)^p)) / 2`` |

    Args:
        critic_fn: callable ``x -> scores``, e.g. ``lambda x: critic(x, training=True)``. Its
            samples must not interact (no batch normalization in training mode).
        real: batch of real samples (unused by ``"r2"``, which takes ``fake``).
        fake: batch of generated samples, same shape as ``real``; required except for ``"r1"``.
        kind: one of ``"wgan-gp"``, ``"one-sided"``, ``"r1"``, ``"r2"``, ``"wgan-div"``.
        target: the gradient norm aimed at (> 0, default 1.0) for ``"wgan-gp"`` and
            ``"one-sided"``; ignored by the others.
        seed_generator: `keras.random.SeedGenerator` drawing the interpolation weights; pass one
            inside a traced JAX ``train_step``.
        power: exponent ``p`` of ``"wgan-div"`` (> 0, default 6 as in the paper).

    Returns:
        Scalar float32 tensor, differentiable with respect to the critic's weights.

    Example:

    >>> import numpy as np, keras
    >>> critic = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    >>> critic.set_weights([np.array([[3.0], [0.0], [4.0]])])
    >>> real, fake = np.ones((2, 3), "float32"), np.zeros((2, 3), "float32")
    >>> float(gradient_penalty(critic, real, fake, kind="wgan-gp"))  # (5 - 1)^2
    16.0
    >>> float(gradient_penalty(critic, real, kind="r1"))
    25.0
    """
    if kind not in KINDS:
        raise ValueError(f"`kind` must be one of {sorted(KINDS)}. Received: kind={kind!r}")
    if not target > 0:
        raise ValueError(f"`target` must be > 0. Received: target={target}")
    if not power > 0:
        raise ValueError(f"`power` must be > 0. Received: power={power}")
    if kind != "r1" and fake is None:
        raise ValueError(
            f"`fake` is required for kind={kind!r} (it uses {KINDS[kind]}). Received: fake=None"
        )
    if kind == "r1":
        return ops.mean(_squared_norms(critic_fn, real))
    if kind == "r2":
        return ops.mean(_squared_norms(critic_fn, fake))
    if kind == "wgan-div":
        half = power / 2.0
        real_term = ops.mean(ops.power(_squared_norms(critic_fn, real) + _NORM_EPS, half))
        fake_term = ops.mean(ops.power(_squared_norms(critic_fn, fake) + _NORM_EPS, half))
        return 0.5 * (real_term + fake_term)
    norms = gradient_norms(critic_fn, interpolate(real, fake, seed_generator))
    excess = norms - target
    if kind == "one-sided":
        excess = ops.maximum(excess, 0.0)
    return ops.mean(ops.square(excess))
