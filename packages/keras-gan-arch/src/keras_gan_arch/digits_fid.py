"""Digits-FID: Fréchet distance in the feature space of a small digits classifier, plus
precision/recall and density/coverage, for GANs trained on scikit-learn's 8x8 digits.

The classifier (an MLP 64-128-64-10, 98.5% test accuracy) and the digits themselves ship with
the package (``data/*.npz``, rebuilt by ``tools/train_digits_classifier.py`` in the source tree);
features are its 64-unit hidden layer, computed in numpy, so scores do not depend on the Keras
backend. Images are in ``[-1, 1]`` (pixel / 8 - 1). Reference statistics are from the train split
(1200 images); the fixed test split (597) is held out.

References:
    Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
    Equilibrium", NeurIPS 2017 (FID).
    Kynkäänniemi et al., "Improved Precision and Recall Metric for Assessing Generative
    Models", NeurIPS 2019.
    Naeem et al., "Reliable Fidelity and Diversity Metrics for Generative Models", ICML 2020.
"""

from __future__ import annotations

import functools
import os

import numpy as np

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


@functools.lru_cache(maxsize=1)
def _digits():
    with np.load(os.path.join(_DATA, "digits.npz")) as data:
        return {key: data[key] for key in data.files}


@functools.lru_cache(maxsize=1)
def _classifier():
    with np.load(os.path.join(_DATA, "digits_classifier.npz")) as data:
        return [(data[f"kernel_{i}"], data[f"bias_{i}"]) for i in range(3)]


def load_digits_images(split="train"):
    """The bundled 8x8 digits as ``(images (n, 8, 8, 1) float32 in [-1, 1], labels int32)``.

    Args:
        split: ``"train"`` (1200), ``"test"`` (597) or ``"all"`` (1797).

    >>> images, labels = load_digits_images("test")
    >>> images.shape, float(images.min()), float(images.max())
    ((597, 8, 8, 1), -1.0, 1.0)
    """
    if split not in ("train", "test", "all"):
        raise ValueError(f"`split` must be 'train', 'test' or 'all'. Received: split={split!r}")
    data = _digits()
    index = np.arange(len(data["images"])) if split == "all" else data[split]
    images = data["images"][index].astype("float32") / 8.0 - 1.0
    return images[..., None], data["labels"][index].astype("int32")


def digits_features(images):
    """64-d features (second hidden layer of the shipped classifier) of 8x8 digit images.

    Args:
        images: ``(n, 8, 8)`` or ``(n, 8, 8, 1)`` in ``[-1, 1]``.

    Returns:
        float64 array ``(n, 64)``.
    """
    images = np.asarray(images, dtype="float64")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (8, 8):
        raise ValueError(
            "`images` must be 8x8 digits, (n, 8, 8) or (n, 8, 8, 1). "
            f"Received: images shape {images.shape}"
        )
    h = images.reshape(len(images), 64)
    for kernel, bias in _classifier()[:2]:
        h = np.maximum(h @ kernel + bias, 0.0)
    return h


def digits_predict(images):
    """Class predictions of the shipped classifier (to check generated digits' class mix)."""
    kernel, bias = _classifier()[2]
    return np.argmax(digits_features(images) @ kernel + bias, axis=1)


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two feature sets.

    ``|mu_a - mu_b|^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2))``; the trace of the matrix square
    root is the sum of square roots of the eigenvalues of ``S_a S_b`` (real, >= 0 for PSD S).

    >>> a = np.random.default_rng(0).normal(size=(500, 3))
    >>> round(frechet_distance(a, a + 2.0), 6)
    12.0
    """
    a, b = np.asarray(features_a, "float64"), np.asarray(features_b, "float64")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b)
    sqrt_trace = np.sqrt(np.clip(eigenvalues.real, 0.0, None)).sum()
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * sqrt_trace
    return float(max(value, 0.0))


def _distances(a, b):
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.clip(squared, 0.0, None))


def _radii(features, k):
    # distance to the k-th nearest neighbour, excluding the point itself
    return np.sort(_distances(features, features), axis=1)[:, k]


def precision_recall(real_features, fake_features, k=3):
    """Improved precision and recall (k-NN manifolds, Kynkäänniemi et al. 2019).

    precision: share of fakes inside some real sample's k-NN ball; recall: share of reals
    inside some fake sample's k-NN ball.
    """
    real, fake = np.asarray(real_features, "float64"), np.asarray(fake_features, "float64")
    cross = _distances(real, fake)
    precision = (cross <= _radii(real, k)[:, None]).any(axis=0).mean()
    recall = (cross <= _radii(fake, k)[None, :]).any(axis=1).mean()
    return float(precision), float(recall)


def density_coverage(real_features, fake_features, k=5):
    """Density and coverage (Naeem et al. 2020); both ~1 for a sample of the real distribution.

    density: mean number of real k-NN balls containing each fake, divided by k; coverage:
    share of real samples whose k-NN ball contains at least one fake.
    """
    real, fake = np.asarray(real_features, "float64"), np.asarray(fake_features, "float64")
    inside = _distances(real, fake) <= _radii(real, k)[:, None]
    return float(inside.sum(0).mean() / k), float(inside.any(axis=1).mean())


def evaluate_digits(images, reference="train", num_samples=None):
    """Digits-FID, precision, recall, density and coverage of ``images`` against a split.

    Args:
        images: ``(n, 8, 8[, 1])`` generated (or real) digits in ``[-1, 1]``.
        reference: ``"train"`` (default) or ``"test"`` split as the real distribution.
        num_samples: use the first ``num_samples`` images (default: all); the benchmark uses
            a fixed 1000 from seeded z.

    Returns:
        ``{"fid", "precision", "recall", "density", "coverage"}`` floats.

    >>> test, _ = load_digits_images("test")
    >>> evaluate_digits(test)["fid"] < 5.0
    True
    """
    if num_samples is not None:
        images = np.asarray(images)[:num_samples]
    real, _ = load_digits_images(reference)
    real_features, fake_features = digits_features(real), digits_features(images)
    precision, recall = precision_recall(real_features, fake_features)
    density, coverage = density_coverage(real_features, fake_features)
    return {
        "fid": frechet_distance(real_features, fake_features),
        "precision": precision,
        "recall": recall,
        "density": density,
        "coverage": coverage,
    }
