"""Sample grids as PNG files (pure python zlib, no imaging dependency) and the callback that
writes one per epoch."""

from __future__ import annotations

import os
import struct
import zlib

import keras
import numpy as np


def image_grid(images, columns=None, padding=1):
    """Tile images in ``[-1, 1]`` into one uint8 picture.

    Args:
        images: array ``(n, height, width, channels)`` with 1 or 3 channels, values in
            ``[-1, 1]`` (clipped).
        columns: images per row (>= 1); default ``ceil(sqrt(n))``.
        padding: pixels of black between tiles (>= 0). Default 1.

    Returns:
        uint8 array ``(rows * (height + padding) + padding, ..., channels)``.

    >>> image_grid(np.ones((4, 2, 2, 1))).shape
    (7, 7, 1)
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            "`images` must be (n, height, width, 1 or 3 channels). "
            f"Received: images shape {images.shape}"
        )
    n, height, width, channels = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    if columns < 1 or padding < 0:
        raise ValueError(
            f"`columns` must be >= 1 and `padding` >= 0. Received: columns={columns}, "
            f"padding={padding}"
        )
    rows = int(np.ceil(n / columns))
    grid = np.zeros(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels),
        "uint8",
    )
    pixels = np.round((np.clip(images, -1.0, 1.0) + 1.0) * 127.5).astype("uint8")
    for i in range(n):
        top = padding + (i // columns) * (height + padding)
        left = padding + (i % columns) * (width + padding)
        grid[top : top + height, left : left + width] = pixels[i]
    return grid


def write_png(path, picture):
    """Write a uint8 ``(height, width, 1 or 3)`` array as an 8-bit grayscale/RGB PNG."""
    picture = np.ascontiguousarray(picture, dtype="uint8")
    height, width, channels = picture.shape
    color_type = {1: 0, 3: 2}[channels]
    raw = b"".join(b"\x00" + picture[row].tobytes() for row in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def save_image_grid(path, images, columns=None, scale=1):
    """Tile ``images`` (in ``[-1, 1]``) and write them to ``path`` as PNG, each pixel
    enlarged ``scale`` times (>= 1)."""
    picture = image_grid(images, columns)
    if scale > 1:
        picture = picture.repeat(scale, axis=0).repeat(scale, axis=1)
    write_png(path, picture)
    return path


@keras.saving.register_keras_serializable(package="keras_gan_arch")
class SampleGrid(keras.callbacks.Callback):
    """Write a PNG grid of samples of a :class:`~keras_gan_arch.GAN` at the end of epochs.

    The same ``seed`` is used every time, so the grids show one fixed set of latent vectors
    evolving through training. To draw them with an EMA of the generator, list keras-ema's
    ``ExponentialMovingAverage(..., target=gan.generator.name, save_averages=True)`` before
    this callback: it swaps the averages in at the end of every epoch.

    Args:
        directory: folder for ``epoch_001.png``, ``epoch_002.png``, ... (created if missing).
        num_samples: images per grid (>= 1). Default 64.
        seed: seed of the latent vectors. Default 0.
        every: write every ``every`` epochs (>= 1). Default 1.
        scale: pixel enlargement factor (>= 1). Default 4.

    >>> callback = SampleGrid("/tmp/grids", num_samples=16)
    >>> callback.get_config()["num_samples"]
    16
    """

    def __init__(self, directory, num_samples=64, seed=0, every=1, scale=4):
        super().__init__()
        for name, value in (("num_samples", num_samples), ("every", every), ("scale", scale)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
        if not isinstance(directory, (str, os.PathLike)):
            raise TypeError(f"`directory` must be a path. Received: directory={directory!r}")
        self.directory = os.fspath(directory)
        self.num_samples = num_samples
        self.seed = seed
        self.every = every
        self.scale = scale
        self.written = []

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        os.makedirs(self.directory, exist_ok=True)
        images = self.model.sample(self.num_samples, seed=self.seed)
        path = os.path.join(self.directory, f"epoch_{epoch + 1:03d}.png")
        self.written.append(save_image_grid(path, images, scale=self.scale))

    def get_config(self):
        return {
            "directory": self.directory,
            "num_samples": self.num_samples,
            "seed": self.seed,
            "every": self.every,
            "scale": self.scale,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
