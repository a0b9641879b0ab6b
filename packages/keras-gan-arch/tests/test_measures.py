import os

import numpy as np
import pytest

from keras_gan_arch.checkerboard import checkerboard_score, high_frequency_share
from keras_gan_arch.digits_fid import (
    density_coverage,
    digits_predict,
    evaluate_digits,
    frechet_distance,
    load_digits_images,
    precision_recall,
)
from keras_gan_arch.images import SampleGrid, image_grid, write_png


def test_frechet_distance_matches_scipy():
    linalg = pytest.importorskip("scipy.linalg", reason="scipy gives the reference sqrtm")
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 5))
    b = rng.normal(size=(300, 5)) @ rng.normal(size=(5, 5)) + 0.5
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    ref = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca + cb - 2 * linalg.sqrtm(ca @ cb).real)
    assert frechet_distance(a, b) == pytest.approx(ref, rel=1e-6)


def test_shipped_classifier_is_accurate():
    images, labels = load_digits_images("test")
    assert (digits_predict(images) == labels).mean() > 0.97


def test_digits_fid_validation():
    test, labels = load_digits_images("test")
    rng = np.random.default_rng(0)
    real = evaluate_digits(test)
    noise = evaluate_digits(rng.uniform(-1, 1, test.shape))
    collapsed = evaluate_digits(np.repeat(test[:1], len(test), axis=0))
    one_class = evaluate_digits(test[labels == 3])
    assert real["fid"] < 5 and real["precision"] > 0.8 and real["recall"] > 0.8
    assert noise["fid"] > 100 and noise["precision"] < 0.05
    assert collapsed["fid"] > 100 and collapsed["recall"] < 0.05 and collapsed["coverage"] < 0.05
    assert one_class["fid"] > 100 and one_class["recall"] < 0.3


def test_precision_recall_density_coverage_by_hand():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    fake = np.array([[0.5], [10.0]])
    # k=1 radii of real: 1 each; 0.5 lies in balls of 0 and 1, 10 in none
    assert precision_recall(real, fake, k=1)[0] == pytest.approx(0.5)
    density, coverage = density_coverage(real, fake, k=1)
    assert density == pytest.approx(1.0) and coverage == pytest.approx(0.5)


def test_checkerboard_scores_by_hand():
    board = (np.indices((8, 8)).sum(0) % 2)[None, :, :, None].astype(float)
    stripes = (np.indices((8, 8))[1] % 2)[None, :, :, None].astype(float)
    smooth = np.linspace(0, 1, 8)[None, :, None, None] * np.ones((1, 8, 8, 1))
    assert checkerboard_score(board) == 1.0 and checkerboard_score(stripes) == 1.0
    assert checkerboard_score(np.ones((2, 8, 8, 1))) == 0.0
    assert checkerboard_score(smooth) < 0.05
    assert high_frequency_share(board) == 1.0
    with pytest.raises(ValueError, match="`images`"):
        checkerboard_score(np.ones((8, 8)))


def test_png_round_trip(tmp_path):
    image = pytest.importorskip("PIL.Image", reason="Pillow reads the PNG back")
    images = np.linspace(-1, 1, 4 * 2 * 3).reshape(4, 2, 3, 1)
    grid = image_grid(images, columns=2, padding=1)
    assert grid.shape == (7, 9, 1) and grid[0].max() == 0
    path = os.path.join(tmp_path, "grid.png")
    write_png(path, grid)
    np.testing.assert_array_equal(np.array(image.open(path)), grid[..., 0])


def test_sample_grid_callback_writes_png(tmp_path):
    import keras

    from keras_gan_arch import GAN, dcgan_discriminator, dcgan_generator

    gan = GAN(dcgan_generator((8, 8, 1), 4, 4, 2), dcgan_discriminator((8, 8, 1), 4), seed=0)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    callback = SampleGrid(str(tmp_path), num_samples=4, every=2)
    gan.fit(
        load_digits_images("test")[0][:8], batch_size=8, epochs=2, verbose=0, callbacks=[callback]
    )
    assert [os.path.basename(p) for p in callback.written] == ["epoch_002.png"]
    with open(callback.written[0], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="`every`"):
        SampleGrid(str(tmp_path), every=0)
