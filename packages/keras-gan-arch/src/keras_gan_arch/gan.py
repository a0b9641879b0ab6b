"""`GAN`: a `keras.Model` that trains a generator against a discriminator with `fit`.

The model lives here: its two networks and their checks, ``compile``, saving, sampling. One
training step (its objectives in `_objectives`, the per-backend gradients in `_train_steps`) is
not. An EMA of the generator is a callback: keras-ema's
``ExponentialMovingAverage(target=gan.generator.name)``.

References:
    Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    Heusel et al., "GANs Trained by a Two Time-Scale Update Rule", NeurIPS 2017 (TTUR).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from . import _train_steps
from ._keras_compat import OptimizerPair
from .losses import LOSSES, check_loss


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class GAN(keras.Model):
    """A generator and a discriminator trained adversarially by ``fit(images[, labels])``.

    ``compile`` takes two optimizers (use different learning rates for TTUR), the adversarial
    ``loss`` (``"non-saturating"``, ``"hinge"``, ``"wgan-gp"``, ``"least-squares"``),
    ``n_critic`` discriminator steps per generator step (each reuses the batch's real images
    with fresh z) and an optional gradient penalty from ``keras_lipschitz``. Calling the model
    scores images with the discriminator; :meth:`generate` and :meth:`sample` make images.
    ``fit`` logs ``d_loss``, ``g_loss`` and ``loss`` (= ``d_loss``, the monitored value).

    To sample from an exponential moving average of the generator's weights (Yazici et al.,
    2019), train with keras-ema's callback and swap the averages in to sample::

        ema = keras_ema.ExponentialMovingAverage(0.999, target=gan.generator.name)
        gan.fit(images, callbacks=[ema])
        with ema.swapped():
            images = gan.sample(64)

    Args:
        generator: a Keras model ``z -> images`` (``[z, labels] -> images`` if conditional).
        discriminator: a Keras model ``images -> (batch, 1)`` (``[images, labels]`` if
            conditional); must be conditional exactly when the generator is.
        num_classes: number of classes of a conditional GAN (>= 1); None when unconditional.
        seed: seed of the latent sampling during training (None: from the global seed).

    References:
        Goodfellow et al., 2014; Heusel et al., 2017 (TTUR).

    >>> from keras_gan_arch import dcgan_generator, dcgan_discriminator
    >>> gan = GAN(dcgan_generator((8, 8, 1), 4, 4, 2), dcgan_discriminator((8, 8, 1), 4), seed=1)
    >>> gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(1e-4), loss="hinge")
    >>> images = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
    >>> sorted(gan.fit(images, batch_size=4, epochs=1, verbose=0).history)
    ['d_loss', 'g_loss', 'loss']
    >>> gan.sample(2, seed=0).shape
    (2, 8, 8, 1)
    """

    def __init__(self, generator, discriminator, num_classes=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        for name, model in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(model, keras.Model) or not model.built:
                raise TypeError(
                    f"`{name}` must be a built keras.Model (e.g. a functional model). "
                    f"Received: {name}={model!r}"
                )
        conditional = len(generator.inputs) == 2
        if (len(discriminator.inputs) == 2) != conditional:
            raise ValueError(
                "`discriminator` must take [images, labels] exactly when the generator takes "
                f"[z, labels]. Received: generator inputs={len(generator.inputs)}, "
                f"discriminator inputs={len(discriminator.inputs)}"
            )
        if conditional and (
            isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1
        ):
            raise ValueError(
                "`num_classes` must be a positive integer for a conditional GAN. "
                f"Received: num_classes={num_classes!r}"
            )
        if not conditional and num_classes is not None:
            raise ValueError(
                "`num_classes` must be None for an unconditional generator. "
                f"Received: num_classes={num_classes!r}"
            )
        self.generator = generator
        self.discriminator = discriminator
        self.num_classes = num_classes
        self.seed = seed
        self.conditional = conditional
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.image_shape = tuple(int(s) for s in discriminator.inputs[0].shape[1:])
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.built = True

    # ----------------------------------------------------------------------------------------
    # compile / save
    # ----------------------------------------------------------------------------------------

    def compile(
        self,
        discriminator_optimizer="adam",
        generator_optimizer="adam",
        loss="non-saturating",
        n_critic=1,
        gradient_penalty_weight=0.0,
        **kwargs,
    ):
        """Set the two optimizers, the adversarial loss and the critic schedule.

        Args:
            discriminator_optimizer: optimizer (or name) of the discriminator.
            generator_optimizer: optimizer (or name) of the generator; a separate instance.
            loss: one of ``"non-saturating"`` (default), ``"hinge"``, ``"wgan-gp"``,
                ``"least-squares"``.
            n_critic: discriminator updates per generator update (>= 1). Default 1.
            gradient_penalty_weight: weight (>= 0) of the WGAN-GP penalty
                ``mean((||grad D(x_hat)|| - 1)^2)`` at random interpolates ``x_hat``
                (``keras_lipschitz.gradient_norms``) in the discriminator loss; must be > 0 for
                ``"wgan-gp"``. Default 0.
            **kwargs: ``jit_compile``, ``run_eagerly``, ``steps_per_execution``.
        """
        check_loss(loss)
        if isinstance(n_critic, bool) or not isinstance(n_critic, int) or n_critic < 1:
            raise ValueError(f"`n_critic` must be an integer >= 1. Received: n_critic={n_critic!r}")
        if not isinstance(gradient_penalty_weight, (int, float)) or gradient_penalty_weight < 0:
            raise ValueError(
                "`gradient_penalty_weight` must be a number >= 0. "
                f"Received: gradient_penalty_weight={gradient_penalty_weight!r}"
            )
        if loss == "wgan-gp" and gradient_penalty_weight <= 0:
            raise ValueError(
                "`gradient_penalty_weight` must be > 0 with loss='wgan-gp' (10 in the paper). "
                f"Received: gradient_penalty_weight={gradient_penalty_weight!r}"
            )
        unknown = set(kwargs) - {"jit_compile", "run_eagerly", "steps_per_execution"}
        if unknown:
            raise TypeError(f"Unknown arguments to `compile`: {sorted(unknown)}")
        d_opt = keras.optimizers.get(discriminator_optimizer)
        g_opt = keras.optimizers.get(generator_optimizer)
        if d_opt is g_opt:
            raise ValueError(
                "`generator_optimizer` must be a different instance from "
                "`discriminator_optimizer` (each keeps its own slots)."
            )
        super().compile(optimizer=None, loss=None, **kwargs)
        self._user_optimizers = (d_opt, g_opt)
        if keras.config.dtype_policy().name == "mixed_float16":
            d_opt = keras.optimizers.LossScaleOptimizer(d_opt)
            g_opt = keras.optimizers.LossScaleOptimizer(g_opt)
        self.discriminator_optimizer = d_opt
        self.generator_optimizer = g_opt
        d_opt.build(self.discriminator.trainable_variables)
        g_opt.build(self.generator.trainable_variables)
        self.optimizer = OptimizerPair(d_opt, g_opt)
        self.loss_kind = loss
        self.n_critic = n_critic
        self.gradient_penalty_weight = float(gradient_penalty_weight)

    def save_own_variables(self, store):
        # The GAN has no weights of its own (the networks save theirs). Keras does not save
        # SeedGenerator states; the z stream must resume after a reload.
        store["seed_generator_state"] = self.seed_generator.state

    def load_own_variables(self, store):
        if "seed_generator_state" in list(store.keys()):
            self.seed_generator.state.assign(store["seed_generator_state"])

    def get_compile_config(self):
        if not self.compiled:
            return None
        d_opt, g_opt = self._user_optimizers
        return {
            "discriminator_optimizer": keras.saving.serialize_keras_object(d_opt),
            "generator_optimizer": keras.saving.serialize_keras_object(g_opt),
            "loss": self.loss_kind,
            "n_critic": self.n_critic,
            "gradient_penalty_weight": self.gradient_penalty_weight,
        }

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("discriminator_optimizer", "generator_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "num_classes": self.num_classes,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # ----------------------------------------------------------------------------------------
    # inference
    # ----------------------------------------------------------------------------------------

    def call(self, inputs, training=False):
        """Discriminator logits for ``images`` (``[images, labels]`` when conditional)."""
        if self.conditional and not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "`inputs` of a conditional GAN must be [images, labels]. "
                f"Received: inputs of shape {tuple(inputs.shape)}"
            )
        return self.discriminator(inputs, training=training)

    def generate(self, z, labels=None, training=False):
        """Images for latent vectors ``z`` (and ``labels`` when conditional), from the
        generator's current weights (inside ``ema.swapped()``: the averaged ones).

        Args:
            z: ``(batch, latent_dim)`` latent vectors.
            labels: integer class labels ``(batch,)``, required exactly when conditional.
            training: run the generator in training mode (batch statistics).

        Returns:
            A backend tensor of images in ``[-1, 1]``.
        """
        return self.generator(self._generator_inputs(z, labels), training=training)

    def sample(self, num_samples, seed=0, labels=None):
        """``num_samples`` images as a numpy array; the same ``seed`` gives the same images.

        z is drawn with numpy (``default_rng(seed).standard_normal``), so samples are identical
        across backends and after a save/reload. Conditional GANs default to labels
        ``arange(num_samples) % num_classes``. Inside ``ema.swapped()`` of a keras-ema callback
        on the generator, the samples come from the averaged weights.
        """
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(
                f"`num_samples` must be a positive integer. Received: num_samples={num_samples!r}"
            )
        z = np.random.default_rng(seed).standard_normal((num_samples, self.latent_dim))
        if self.conditional and labels is None:
            labels = np.arange(num_samples) % self.num_classes
        images = self.generate(z.astype("float32"), labels)
        return ops.convert_to_numpy(images)

    def _generator_inputs(self, z, labels):
        if not self.conditional:
            if labels is not None:
                raise ValueError("`labels` must be None for an unconditional GAN.")
            return z
        if labels is None:
            raise ValueError("`labels` are required for a conditional GAN.")
        labels = np.asarray(labels) if not hasattr(labels, "shape") else labels
        if tuple(labels.shape)[:1] != tuple(z.shape)[:1]:
            raise ValueError(
                f"`labels` must have one label per latent vector. Received: labels shape "
                f"{tuple(labels.shape)} for z shape {tuple(z.shape)}"
            )
        return [z, labels]

    # ----------------------------------------------------------------------------------------
    # training
    # ----------------------------------------------------------------------------------------

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit` on images ``x``; a conditional GAN also takes integer labels, as
        ``y`` or as ``x=[images, labels]``. Arrays are validated first."""
        if self.conditional and y is None and isinstance(x, (list, tuple)) and len(x) == 2:
            self._check_images(x[0])
            self._check_labels(x[1], int(x[0].shape[0]))
        elif isinstance(x, np.ndarray) or (hasattr(x, "shape") and hasattr(x, "dtype")):
            self._check_images(x)
            self._check_labels(y, int(x.shape[0]))
        return super().fit(x, y, *args, **kwargs)

    def _check_images(self, x):
        shape = tuple(x.shape)
        if len(shape) != 4 or shape[1:] != self.image_shape:
            raise ValueError(
                f"`x` must be images of shape (batch,) + {self.image_shape}, the discriminator's "
                f"input. Received: x shape {shape}"
            )

    def _check_labels(self, y, count):
        if not self.conditional:
            if y is not None:
                raise ValueError(
                    "`y` (labels) must be None for an unconditional GAN. "
                    f"Received: y of shape {np.shape(y)}"
                )
            return
        if y is None:
            raise ValueError("`y` must hold one integer label per image for a conditional GAN.")
        labels = np.asarray(y).reshape(-1)
        if labels.shape[0] != count:
            raise ValueError(
                f"`y` must hold one label per image: {count} images. "
                f"Received: y with {labels.shape[0]} labels"
            )
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"`y` labels must be integers in [0, {self.num_classes}). "
                f"Received: labels in [{labels.min()}, {labels.max()}]"
            )

    @property
    def metrics(self):
        # The two loss means first (they make the logs), then any other metric set on the GAN
        # as an attribute, e.g. the state of keras-ema's callback, so that JAX threads its
        # variables through the step. Keras' own `loss` mean stays out: the step never feeds
        # it, and listed it would replace the logged `loss` (= d_loss) with 0.
        own = [self.d_loss_tracker, self.g_loss_tracker]
        attached = [m for m in super().metrics if m.name != "loss" and all(m is not o for o in own)]
        return own + attached

    def train_step(self, *args):
        """One step of ``n_critic`` discriminator updates and one generator update."""
        return _train_steps.train_step(self, *args)


__all__ = ["GAN", "LOSSES"]
