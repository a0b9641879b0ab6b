"""Rebuild the two files the digits-FID ships with (needs scikit-learn; run once, from the
repository root, with keras-gan-arch installed editable):

    python packages/keras-gan-arch/tools/train_digits_classifier.py [--out DIR]

``DIR`` defaults to the ``data`` folder of the imported ``keras_gan_arch`` package
(``packages/keras-gan-arch/src/keras_gan_arch/data`` for an editable install).

* ``digits.npz``: scikit-learn's bundled 8x8 digits (UCI, 1797 images, pixel values 0..16,
  uint8) with labels and a fixed train/test split (permutation seed 0, 1200 train / 597 test).
* ``digits_classifier.npz``: an MLP 64 -> 128 -> 64 -> 10 (ReLU) trained with scikit-learn on
  the *train* split, pixels mapped to [-1, 1]. The 64-unit layer is the FID feature space.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import numpy as np


def package_data() -> Path:
    """The ``data`` folder of ``keras_gan_arch``, found without importing it (or Keras)."""
    spec = importlib.util.find_spec("keras_gan_arch")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("keras_gan_arch is not installed; pass --out DIR")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def main(out: Path) -> None:
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    digits = load_digits()
    images = digits.images.astype("uint8")
    labels = digits.target.astype("uint8")
    order = np.random.default_rng(0).permutation(len(images))
    train, test = np.sort(order[:1200]), np.sort(order[1200:])
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / "digits.npz",
        images=images,
        labels=labels,
        train=train.astype("int16"),
        test=test.astype("int16"),
    )
    x = images.reshape(len(images), -1) / 8.0 - 1.0
    classifier = MLPClassifier((128, 64), alpha=1e-3, max_iter=600, random_state=0)
    classifier.fit(x[train], labels[train])
    print("test accuracy", classifier.score(x[test], labels[test]))
    weights = {}
    for i, (kernel, bias) in enumerate(zip(classifier.coefs_, classifier.intercepts_, strict=True)):
        weights[f"kernel_{i}"] = kernel.astype("float32")
        weights[f"bias_{i}"] = bias.astype("float32")
    np.savez_compressed(out / "digits_classifier.npz", **weights)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the two .npz files")
    arguments = parser.parse_args()
    main(arguments.out or package_data())
