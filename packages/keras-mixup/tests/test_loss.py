"""MixupLoss: loss interpolation for packed integer labels."""

import keras
import numpy as np
import pytest

from keras_mixup import Mixup, MixupLoss


def cross_entropy(labels, probs):
    return -np.log(probs[np.arange(len(labels)), labels])


def test_interpolates_the_loss_like_numpy():
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]], "float32")
    y_a, y_b, lam = np.array([0, 2, 1]), np.array([1, 0, 1]), np.array([0.75, 0.5, 0.1])
    packed = np.stack([y_a, y_b, lam], -1).astype("float32")
    expected = lam * cross_entropy(y_a, probs) + (1 - lam) * cross_entropy(y_b, probs)
    got = float(MixupLoss()(packed, probs))
    assert got == pytest.approx(expected.mean(), abs=1e-5)


def test_equals_cross_entropy_of_mixed_one_hot_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(9, 4)).astype("float32")
    labels = rng.integers(0, 4, 9)
    x = np.zeros((9, 2), "float32")
    _, packed = Mixup(alpha=1.0, mode="elem", seed=3)(x, labels)
    _, soft = Mixup(alpha=1.0, mode="elem", seed=3, num_classes=4)(x, labels)
    sparse = MixupLoss(keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    dense = keras.losses.CategoricalCrossentropy(from_logits=True)
    assert float(sparse(packed, logits)) == pytest.approx(float(dense(soft, logits)), abs=1e-5)


def test_plain_labels_get_the_plain_loss():
    probs = np.array([[0.7, 0.3], [0.4, 0.6]], "float32")
    labels = np.array([0, 1])
    expected = cross_entropy(labels, probs).mean()
    assert float(MixupLoss()(labels, probs)) == pytest.approx(expected, abs=1e-6)


def test_sequence_labels():
    probs = np.full((2, 3, 4), 0.25, "float32")
    x = np.zeros((2, 3, 1), "float32")
    _, packed = Mixup(alpha=1.0, seed=0)(x, np.array([[0, 1, 2], [3, 2, 1]]))
    assert tuple(packed.shape) == (2, 3, 3)
    assert float(MixupLoss()(packed, probs)) == pytest.approx(np.log(4.0), abs=1e-5)


def test_bad_loss_names_the_argument():
    with pytest.raises(ValueError, match=r"`loss` must name a Keras loss.*Received: loss="):
        MixupLoss("no_such_loss")
