"""Conformance cases: one tiny generator + discriminator per architecture family."""

from __future__ import annotations

import tempfile

import keras
import numpy as np

from keras_plugin_harness import ConformanceCase, Misuse

SHAPE = (8, 8, 1)
LATENT = 4


def _images():
    from .digits_fid import load_digits_images

    images, labels = load_digits_images("train")
    return images[:32], labels[:32] % 3


def _gan(generator, discriminator, loss, ema_decay=None, n_critic=1, gp=0.0, num_classes=None):
    from .gan import GAN

    gan = GAN(generator, discriminator, num_classes=num_classes, ema_decay=ema_decay, seed=7)
    gan.compile(
        keras.optimizers.Adam(2e-3, beta_1=0.5),
        keras.optimizers.Adam(1e-3, beta_1=0.5),
        loss=loss,
        n_critic=n_critic,
        gradient_penalty_weight=gp,
    )
    return gan


def build_dcgan():
    from . import dcgan_discriminator, dcgan_generator

    return _gan(
        dcgan_generator(SHAPE, LATENT, 4, 2),
        dcgan_discriminator(SHAPE, 4),
        "non-saturating",
        ema_decay=0.9,
    )


def build_upsample():
    from . import dcgan_discriminator, upsample_generator

    return _gan(
        upsample_generator(SHAPE, LATENT, 4, 2),
        dcgan_discriminator(SHAPE, 4),
        "wgan-gp",
        n_critic=2,
        gp=10.0,
    )


def build_resnet():
    from . import resnet_discriminator, resnet_generator

    return _gan(resnet_generator(SHAPE, LATENT, 4, 2), resnet_discriminator(SHAPE, 4), "hinge")


def build_selfmod():
    from . import resnet_discriminator, selfmod_generator

    return _gan(
        selfmod_generator(SHAPE, LATENT, 4, 2, hidden_units=8),
        resnet_discriminator(SHAPE, 4),
        "least-squares",
        ema_decay=0.5,
    )


def build_conditional():
    from . import projection_discriminator, resnet_generator

    generator = resnet_generator(SHAPE, LATENT, 4, 2, normalization="conditional", num_classes=3)
    return _gan(generator, projection_discriminator(SHAPE, 3, 4), "hinge", num_classes=3)


def unconditional_data():
    return _images()[0], None


def conditional_data():
    images, labels = _images()
    return [images, labels], None


def sample_grid_callbacks():
    from .images import SampleGrid

    return [SampleGrid(tempfile.mkdtemp(prefix="gan-grid-"), num_samples=4, every=2)]


def seed_state(model):
    return {
        "seed_generator": model.seed_generator.state,
        "d_iterations": model.discriminator_optimizer.iterations,
    }


def _misuses_generators():
    from . import dcgan_generator, resnet_generator

    return [
        Misuse(
            "output_shape",
            lambda: dcgan_generator((12, 12, 1), initial_size=4),
            description="12x12 not reachable from 4x4 by doubling",
        ),
        Misuse(
            "normalization",
            lambda: resnet_generator(SHAPE, normalization="layer"),
            description="unknown normalization",
        ),
    ]


def _misuses_fit(build, bad_y):
    def fit_vectors():
        build().fit(np.zeros((8, 64), "float32"), epochs=1, verbose=0)

    def fit_labels():
        images, labels = _images()
        build().fit(images, bad_y(labels), epochs=1, verbose=0)

    return [
        Misuse("x", fit_vectors, description="non-image data"),
        Misuse("y", fit_labels, description="labels that do not match the images"),
    ]


def _misuses_compile(build, **compile_kwargs):
    def compile_bad():
        build().compile(keras.optimizers.Adam(), keras.optimizers.Adam(), **compile_kwargs)

    argument = next(iter(compile_kwargs)) if "loss" not in compile_kwargs else "loss"
    if compile_kwargs.get("loss") == "wgan-gp":
        argument = "gradient_penalty_weight"
    return [Misuse(argument, compile_bad, description=f"compile({compile_kwargs})")]


TORCH_CPU_HALF_CONV = (
    "torch 2.13's CPU float16 conv2d backward raises 'slow_conv2d: grad_weight must be "
    "contiguous' on these generators' upsample+conv stacks (a torch CPU kernel limit; dcgan's "
    "transposed convs run, and every other backend runs this check)"
)


def _skips(torch_half_conv=False):
    """Checks that cannot hold for a GAN on the current backend, with the reason."""
    if keras.backend.backend() == "torch" and torch_half_conv:
        return {"mixed": TORCH_CPU_HALF_CONV}
    if keras.backend.backend() != "tensorflow":
        return {}
    return {
        "jit": "TensorFlow draws different latent vectors (keras.random in train_step) under "
        "XLA than without it, so jit and non-jit GAN runs diverge from the first step",
        "distributed": "under MirroredStrategy every replica draws the same z from the mirrored "
        "seed state and BatchNorm uses per-replica statistics, so a GAN cannot match "
        "single-device training (JAX DataParallel does, and is checked)",
    }


def cases():
    """Every conformance case of the plugin."""
    from . import dcgan_discriminator, resnet_generator

    def mismatched():
        from .gan import GAN

        GAN(
            resnet_generator(SHAPE, LATENT, 4, 2, normalization="conditional", num_classes=3),
            dcgan_discriminator(SHAPE, 4),
            num_classes=3,
        )

    unconditional_y = lambda labels: labels  # noqa: E731 - labels given to an unconditional GAN
    return [
        ConformanceCase(
            "dcgan",
            build_dcgan,
            unconditional_data,
            callbacks=sample_grid_callbacks,
            plugin_state=seed_state,
            skip=_skips(),
            epochs=4,
            misuses=_misuses_generators()
            + _misuses_fit(build_dcgan, unconditional_y)
            + _misuses_compile(build_dcgan, loss="minimax"),
        ),
        ConformanceCase(
            "upsample-wgan-gp",
            build_upsample,
            unconditional_data,
            plugin_state=seed_state,
            skip=_skips(torch_half_conv=True),
            # XLA vs eager rounding, amplified by Adam and power iteration over 8 steps
            atol=2e-3,
            epochs=4,
            misuses=_misuses_compile(build_upsample, loss="wgan-gp")
            + _misuses_compile(build_upsample, n_critic=0),
        ),
        ConformanceCase(
            "sngan-resnet",
            build_resnet,
            unconditional_data,
            plugin_state=seed_state,
            skip=_skips(torch_half_conv=True),
            # XLA vs eager rounding, amplified by Adam and power iteration over 8 steps
            atol=2e-3,
            epochs=4,
            misuses=_misuses_generators(),
        ),
        ConformanceCase(
            "selfmod",
            build_selfmod,
            unconditional_data,
            plugin_state=seed_state,
            skip=_skips(torch_half_conv=True),
            epochs=4,
            misuses=[
                Misuse(
                    "hidden_units",
                    lambda: __import__("keras_gan_arch").selfmod_generator(
                        SHAPE, LATENT, 4, 2, hidden_units=0
                    ),
                    description="zero-width modulation MLP",
                )
            ],
        ),
        ConformanceCase(
            "conditional-projection",
            build_conditional,
            conditional_data,
            plugin_state=seed_state,
            skip=_skips(torch_half_conv=True),
            # the same SN ResNet as sngan-resnet: XLA vs eager rounding (measured 4e-4 on JAX,
            # jit and DataParallel alike), amplified by Adam and power iteration over 8 steps
            atol=2e-3,
            epochs=4,
            misuses=[
                *_misuses_fit(build_conditional, lambda labels: labels[:-1]),
                Misuse(
                    "discriminator",
                    mismatched,
                    description="conditional generator with unconditional discriminator",
                ),
            ],
        ),
    ]
