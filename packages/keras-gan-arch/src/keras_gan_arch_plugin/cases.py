"""Conformance cases of keras-gan-arch: one tiny generator + discriminator per architecture
family (loaded by the harness through ``keras_gan_arch_plugin``).

The dcgan and selfmod cases train with an EMA of the generator from keras-ema (the ``ema``
extra), so every check also runs keras-ema's callback on a GAN's own train step.
"""

from __future__ import annotations

import tempfile

import keras
import numpy as np

from keras_gan_arch import (
    GAN,
    dcgan_discriminator,
    dcgan_generator,
    projection_discriminator,
    resnet_discriminator,
    resnet_generator,
    selfmod_generator,
    upsample_generator,
)
from keras_gan_arch.digits_fid import load_digits_images
from keras_gan_arch.images import SampleGrid
from keras_plugin_harness import ConformanceCase, Misuse

SHAPE = (8, 8, 1)
LATENT = 4


def _images():
    images, labels = load_digits_images("train")
    return images[:32], labels[:32] % 3


def _gan(generator, discriminator, loss, n_critic=1, gp=0.0, num_classes=None):
    gan = GAN(generator, discriminator, num_classes=num_classes, seed=7)
    gan.compile(
        keras.optimizers.Adam(2e-3, beta_1=0.5),
        keras.optimizers.Adam(1e-3, beta_1=0.5),
        loss=loss,
        n_critic=n_critic,
        gradient_penalty_weight=gp,
    )
    return gan


def _builder(generator, discriminator, loss, generator_kwargs=None, **gan_kwargs):
    """A case's ``build_model``: a tiny ``generator`` (4 base filters from 2x2) against
    ``discriminator(SHAPE, ...)``; ``gan_kwargs`` go to `_gan`."""
    num_classes = gan_kwargs.get("num_classes")

    def build():
        g = generator(SHAPE, LATENT, 4, 2, **(generator_kwargs or {}))
        d = discriminator(SHAPE, *([num_classes] if num_classes else []), 4)
        return _gan(g, d, loss, **gan_kwargs)

    return build


build_dcgan = _builder(dcgan_generator, dcgan_discriminator, "non-saturating")
build_upsample = _builder(upsample_generator, dcgan_discriminator, "wgan-gp", n_critic=2, gp=10.0)
build_resnet = _builder(resnet_generator, resnet_discriminator, "hinge")
build_selfmod = _builder(
    selfmod_generator,
    resnet_discriminator,
    "least-squares",
    generator_kwargs={"hidden_units": 8},
)
build_conditional = _builder(
    resnet_generator,
    projection_discriminator,
    "hinge",
    generator_kwargs={"normalization": "conditional", "num_classes": 3},
    num_classes=3,
)


def unconditional_data():
    return _images()[0], None


def conditional_data():
    images, labels = _images()
    return [images, labels], None


def ema_callbacks(decay, generator_name):
    """A case's ``callbacks``: keras-ema's EMA of the generator called ``generator_name``."""

    def callbacks():
        from keras_ema import ExponentialMovingAverage

        return [ExponentialMovingAverage(decay, target=generator_name)]

    return callbacks


def ema_sample_grid_callbacks():
    """The EMA of the generator, and a grid of samples every second epoch."""
    grid = SampleGrid(tempfile.mkdtemp(prefix="gan-grid-"), num_samples=4, every=2)
    return [*ema_callbacks(0.9, "dcgan_generator")(), grid]


def seed_state(model):
    return {
        "seed_generator": model.seed_generator.state,
        "d_iterations": model.discriminator_optimizer.iterations,
    }


def _misuses_generators():
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
    return {}


def cases():
    """Every conformance case of the plugin."""

    def mismatched():
        GAN(
            resnet_generator(SHAPE, LATENT, 4, 2, normalization="conditional", num_classes=3),
            dcgan_discriminator(SHAPE, 4),
            num_classes=3,
        )

    unconditional_y = lambda labels: labels  # noqa: E731 - labels given to an unconditional GAN
    # XLA vs eager rounding in the spectrally normalized ResNet discriminators (measured 4e-4
    # on JAX, jit and DataParallel alike), amplified by Adam and power iteration over 8 steps.
    resnet_atol = 2e-3
    return [
        _case(
            "dcgan",
            build_dcgan,
            _misuses_generators()
            + _misuses_fit(build_dcgan, unconditional_y)
            + _misuses_compile(build_dcgan, loss="minimax"),
            torch_half_conv=False,
            callbacks=ema_sample_grid_callbacks,
        ),
        _case(
            "upsample-wgan-gp",
            build_upsample,
            _misuses_compile(build_upsample, loss="wgan-gp")
            + _misuses_compile(build_upsample, n_critic=0),
            atol=resnet_atol,  # the gradient penalty's double backward rounds alike
        ),
        _case("sngan-resnet", build_resnet, _misuses_generators(), atol=resnet_atol),
        _case(
            "selfmod",
            build_selfmod,
            [
                Misuse(
                    "hidden_units",
                    lambda: selfmod_generator(SHAPE, LATENT, 4, 2, hidden_units=0),
                    description="zero-width modulation MLP",
                )
            ],
            callbacks=ema_callbacks(0.5, "selfmod_generator"),
        ),
        _case(
            "conditional-projection",
            build_conditional,
            [
                *_misuses_fit(build_conditional, lambda labels: labels[:-1]),
                Misuse(
                    "discriminator",
                    mismatched,
                    description="conditional generator with unconditional discriminator",
                ),
            ],
            make_data=conditional_data,
            atol=resnet_atol,
        ),
    ]


def _case(name, build, misuses, torch_half_conv=True, make_data=unconditional_data, **options):
    """A case with what every GAN case shares: 4 epochs, the seed state compared, the skips."""
    return ConformanceCase(
        name,
        build,
        make_data,
        plugin_state=seed_state,
        skip=_skips(torch_half_conv),
        epochs=4,
        misuses=misuses,
        **options,
    )
