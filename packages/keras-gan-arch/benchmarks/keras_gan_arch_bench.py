"""keras-gan-arch benchmarks (run by `keras-plugins bench`, not shipped in the wheel): four
generator architectures on 8x8 digits, same budget, and a sanity check of the digits-FID.

Every architecture gets the same discriminator (SNGAN ResNet with spectral normalization), the
same hinge loss, the same TTUR optimizers, data, batch size, number of epochs and seed, so the
generator is the only difference; an EMA of the generator (keras-ema's callback, decay 0.99)
gives the "FID (EMA)" column. Samples are scored with the digits-FID against the train split
(1000 samples from seeded z), and a sample grid per architecture is written to the runner's
``images`` folder (``docs/images`` in the repository).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import keras
import numpy as np

from keras_ema import ExponentialMovingAverage
from keras_gan_arch import (
    GAN,
    dcgan_generator,
    resnet_discriminator,
    resnet_generator,
    selfmod_generator,
    upsample_generator,
)
from keras_gan_arch.checkerboard import checkerboard_score, high_frequency_share
from keras_gan_arch.digits_fid import evaluate_digits, load_digits_images
from keras_gan_arch.images import save_image_grid
from keras_plugin_harness import BenchCase

PLUGIN = "keras-gan-arch"

ARCHITECTURES = ("dcgan", "upsample", "sngan-resnet", "selfmod")
EPOCHS = int(os.environ.get("GAN_BENCH_EPOCHS", "25"))
SEEDS = tuple(int(s) for s in os.environ.get("GAN_BENCH_SEEDS", "0").split(","))
LATENT, BASE, BATCH, SAMPLES = 32, 32, 64, 1000


def build_generator(architecture):
    shape = (8, 8, 1)
    if architecture == "dcgan":
        return dcgan_generator(shape, LATENT, BASE, 2)
    if architecture == "upsample":
        return upsample_generator(shape, LATENT, BASE, 2)
    if architecture == "sngan-resnet":
        return resnet_generator(shape, LATENT, BASE, 2)
    return selfmod_generator(shape, LATENT, BASE, 2)


def train_architecture(architecture, seed=0, epochs=EPOCHS):
    """Train one architecture on the digits train split with an EMA of its generator; returns
    ``(gan, ema, seconds)``."""
    keras.utils.set_random_seed(seed)
    images, _ = load_digits_images("train")
    gan = GAN(
        build_generator(architecture),
        resnet_discriminator((8, 8, 1), BASE),
        seed=seed,
    )
    ema = ExponentialMovingAverage(0.99, target=gan.generator.name)
    gan.compile(
        keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
        keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9),
        loss="hinge",
    )
    start = time.perf_counter()
    gan.fit(images, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[ema])
    return gan, ema, time.perf_counter() - start


def _row(name, images, seed="-", params="-", seconds="-", ema_fid="-"):
    """One table row: ``images`` scored by the digits-FID and the checkerboard measures."""
    scores = evaluate_digits(images)
    return {
        "architecture": name,
        "seed": seed,
        "generator params": params,
        "epochs": EPOCHS if seed != "-" else "-",
        "train s": seconds,
        "FID": round(scores["fid"], 2),
        "FID (EMA)": ema_fid,
        **{key: round(scores[key], 3) for key in ("precision", "recall", "density", "coverage")},
        "checkerboard": round(checkerboard_score(images), 4),
        "high-freq": round(high_frequency_share(images), 4),
    }


def measure_architectures(images):
    """Rows: architecture, generator size, train time, digits-FID (raw and EMA), P/R, D/C,
    checkerboard and high-frequency shares; plus the real test split as a reference row. The
    grids of EMA samples go to the folder ``images``."""
    rows = [_row("real test digits (reference)", load_digits_images("test")[0])]
    folder = Path(images)
    folder.mkdir(parents=True, exist_ok=True)
    for architecture in ARCHITECTURES:
        for seed in SEEDS:
            gan, averages, seconds = train_architecture(architecture, seed)
            raw = gan.sample(SAMPLES, seed=1234)
            with averages.swapped():
                ema = gan.sample(SAMPLES, seed=1234)
            if seed == SEEDS[0]:
                path = os.fspath(folder / f"gan-arch-{architecture}.png")
                save_image_grid(path, ema[:64], columns=8, scale=4)
            ema_fid = round(evaluate_digits(ema)["fid"], 2)
            params = gan.generator.count_params()
            rows.append(_row(architecture, raw, seed, params, round(seconds, 1), ema_fid))
    return rows


def measure_fid_validation():
    """The digits-FID on inputs whose answer is known: real vs real low, degenerate high."""
    test, labels = load_digits_images("test")
    rng = np.random.default_rng(0)
    inputs = {
        "real test vs train": test,
        "uniform noise": rng.uniform(-1, 1, test.shape).astype("float32"),
        "collapsed (one image repeated)": np.repeat(test[:1], len(test), axis=0),
        "one class only (digit 3)": test[labels == 3],
        "test + N(0, 0.3) noise": np.clip(test + rng.normal(0, 0.3, test.shape), -1, 1),
    }
    return [
        {"input": name, **{k: round(v, 3) for k, v in evaluate_digits(x).items()}}
        for name, x in inputs.items()
    ]


def bench_cases(images: Path) -> list[BenchCase]:
    """The cases `keras-plugins bench` runs; the grids are written to ``images``."""
    return [
        BenchCase(
            "digits-fid",
            "DCGAN vs upsample vs SNGAN-ResNet vs SELF-MOD on 8x8 digits "
            "(same budget): digits-FID, precision/recall, checkerboard",
            measure=lambda: measure_architectures(images),
            backends=("tensorflow",),
        ),
        BenchCase(
            "fid-validation",
            "digits-FID sanity: real test vs train, noise, collapsed",
            measure=measure_fid_validation,
            backends=("tensorflow",),
        ),
    ]
