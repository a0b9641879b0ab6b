"""How much of an image's energy sits at the highest spatial frequencies.

Transposed convolutions with stride 2 paint a period-2 pattern on their output (Odena et al.):
in the 2-D spectrum that pattern lives on the Nyquist row and column. ``checkerboard_score`` is
the share of (non-DC) spectral energy there; ``high_frequency_share`` widens the band.

References:
    Odena, Dumoulin, Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016.
"""

from __future__ import annotations

import numpy as np


def _spectra(images):
    images = np.asarray(images, dtype="float64")
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be (n, height, width, channels). Received: images shape {images.shape}"
        )
    planes = np.moveaxis(images, -1, 1)  # (n, c, h, w)
    planes = planes - planes.mean(axis=(-2, -1), keepdims=True)  # remove DC
    power = np.abs(np.fft.fft2(planes)) ** 2
    height, width = images.shape[1:3]
    fy = np.abs(np.fft.fftfreq(height))[:, None] * 2.0  # 1.0 == Nyquist
    fx = np.abs(np.fft.fftfreq(width))[None, :] * 2.0
    return power, np.maximum(fy, fx)


def high_frequency_share(images, cutoff=0.5):
    """Mean share of spectral energy at normalized frequency ``> cutoff`` (1 = Nyquist).

    Args:
        images: ``(n, height, width, channels)``.
        cutoff: in ``[0, 1)``; the band is ``max(|fy|, |fx|) > cutoff``. Default 0.5.

    Returns:
        A float in ``[0, 1]`` averaged over images and channels (flat planes count as 0).

    >>> high_frequency_share(np.ones((1, 8, 8, 1)))
    0.0
    """
    if not 0.0 <= cutoff < 1.0:
        raise ValueError(f"`cutoff` must be in [0, 1). Received: cutoff={cutoff!r}")
    power, radius = _spectra(images)
    return _share(power, radius > cutoff + 1e-9)


def checkerboard_score(images):
    """Mean share of spectral energy on the Nyquist row/column (period-2 patterns).

    Args:
        images: ``(n, height, width, channels)`` with even height and width.

    Returns:
        A float in ``[0, 1]``: 1 for a pure checkerboard or stripes of period 2, 0 for flat
        images; natural images score low.

    >>> board = np.indices((8, 8)).sum(0) % 2
    >>> checkerboard_score(board[None, :, :, None])
    1.0
    """
    power, radius = _spectra(images)
    return _share(power, radius >= 1.0 - 1e-9)


def _share(power, band):
    total = power.sum(axis=(-2, -1))
    inside = (power * band).sum(axis=(-2, -1))
    share = np.where(total > 1e-12, inside / np.maximum(total, 1e-12), 0.0)
    return float(np.round(share.mean(), 12))
