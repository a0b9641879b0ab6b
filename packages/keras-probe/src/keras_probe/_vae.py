"""Example: a small VAE trained with `compile(loss=None)`, its losses and metrics from inside."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_probe._internal import AddLoss, AddMetric


@keras.saving.register_keras_serializable(package="keras_probe")
class Sampling(keras.layers.Layer):
    """Reparameterised draw `z = mean + exp(log_var / 2) * eps`; returns `mean` at inference.

    Args:
        seed: int seed of the layer's `keras.random.SeedGenerator`; default 0.

    Returns:
        `z` with the shape of `mean`.

    Example:

    >>> import numpy as np
    >>> mean = np.zeros((2, 3), "float32")
    >>> tuple(Sampling(seed=1)([mean, mean], training=False).shape)
    (2, 3)
    """

    def __init__(self, seed: int = 0, **kwargs: Any) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"`seed` must be an int. Received: seed={seed!r}")
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        mean, log_var = inputs
        if not training:
            return mean
        eps = keras.random.normal(ops.shape(mean), dtype=mean.dtype, seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]

    # Keras does not save seed-generator state; save it so a reloaded VAE draws the same noise.
    def save_own_variables(self, store: Any) -> None:
        store["seed_state"] = keras.ops.convert_to_numpy(self.seed_generator.state.value)

    def load_own_variables(self, store: Any) -> None:
        if "seed_state" in store:
            self.seed_generator.state.assign(store["seed_state"])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "seed": self.seed}


def build_vae(
    input_dim: int = 16,
    latent_dim: int = 2,
    hidden: int = 32,
    kl_weight: float = 0.1,
    seed: int = 0,
    stochastic: bool = True,
) -> keras.Model:
    """A Functional VAE whose only output is the reconstruction; its loss lives inside.

    The reconstruction error and the KL divergence are added with `AddLoss` and reported as
    the metrics `reconstruction` and `kl` with `AddMetric`; the latent mean is probed as
    `"z_mean"`. Compile it with `loss=None` and fit it on `x` alone.

    Args:
        input_dim: features per sample (>= 1).
        latent_dim: size of the latent code (>= 1).
        hidden: width of the hidden layers (>= 1).
        kl_weight: weight of the KL term (>= 0).
        seed: seed of the sampling layer.
        stochastic: sample `z` while training (default); `False` decodes `z_mean`, a
            deterministic variant (random draws differ between XLA and non-XLA kernels and
            across replicas, which the conformance `jit`/`distributed` checks would flag).

    Returns:
        An uncompiled `keras.Model` mapping `x` to its reconstruction.

    Example:

    >>> import numpy as np
    >>> vae = build_vae(input_dim=4, latent_dim=2, hidden=8)
    >>> vae.compile(optimizer="adam", loss=None)
    >>> history = vae.fit(np.random.rand(32, 4), epochs=2, verbose=0)
    >>> sorted(history.history)
    ['kl', 'loss', 'reconstruction']
    """
    for arg, value in (("input_dim", input_dim), ("latent_dim", latent_dim), ("hidden", hidden)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be an int >= 1. Received: {arg}={value!r}")
    x = keras.Input((input_dim,), name="x")
    h = keras.layers.Dense(hidden, activation="relu")(x)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(h)
    z = Sampling(seed=seed)([z_mean, z_log_var]) if stochastic else z_mean
    h = keras.layers.Dense(hidden, activation="relu")(z)
    x_hat = keras.layers.Dense(input_dim, name="x_hat")(h)
    reconstruction = ops.sum(ops.square(ops.cast(x, "float32") - ops.cast(x_hat, "float32")), -1)
    kl = -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
    x_hat = AddLoss(1.0, name="reconstruction_loss")([x_hat, reconstruction])
    x_hat = AddLoss(kl_weight, name="kl_loss")([x_hat, kl])
    x_hat = AddMetric("reconstruction")([x_hat, reconstruction])
    x_hat = AddMetric("kl")([x_hat, kl])
    return keras.Model(x, x_hat, name="vae")
