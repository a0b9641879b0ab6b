import os

import keras
import numpy as np
import pytest

from keras_ema import ExponentialMovingAverage
from keras_gan_arch import (
    GAN,
    dcgan_discriminator,
    dcgan_generator,
    projection_discriminator,
    resnet_generator,
    upsample_generator,
)
from keras_gan_arch.digits_fid import load_digits_images
from keras_gan_arch.images import SampleGrid, save_image_grid

SHAPE = (8, 8, 1)


def _data(n=16):
    images, labels = load_digits_images("train")
    return images[:n], labels[:n] % 3


def _gan(loss="non-saturating", n_critic=1, gp=0.0, generator=None):
    keras.utils.set_random_seed(0)
    gan = GAN(generator or dcgan_generator(SHAPE, 4, 4, 2), dcgan_discriminator(SHAPE, 4), seed=1)
    gan.compile(
        keras.optimizers.Adam(1e-3),
        keras.optimizers.SGD(1e-2),
        loss=loss,
        n_critic=n_critic,
        gradient_penalty_weight=gp,
    )
    return gan


def test_fit_counts_steps_and_updates_batchnorm_state():
    gan = _gan(n_critic=3)
    moving = next(v for v in gan.generator.non_trainable_variables if "moving_mean" in v.path)
    before = keras.ops.convert_to_numpy(moving)
    history = gan.fit(_data()[0], batch_size=8, epochs=2, verbose=0)
    assert sorted(history.history) == ["d_loss", "g_loss", "loss"]
    assert all(np.isfinite(history.history["loss"]))
    assert int(gan.discriminator_optimizer.iterations) == 3 * 4  # n_critic * steps
    assert int(gan.generator_optimizer.iterations) == 4
    assert not np.allclose(
        keras.ops.convert_to_numpy(moving), before
    )  # BN statistics reach the variables


def _numpy(variables):
    return [keras.ops.convert_to_numpy(v) for v in variables]


def test_ema_callback_follows_generator_by_the_formula():
    # keras-ema's callback on the GAN's own train step (JAX: its state rides in `metrics`).
    decay = 0.75
    gan = _gan()
    ema = ExponentialMovingAverage(decay, target=gan.generator.name)
    generator = gan.generator.trainable_variables + gan.generator.non_trainable_variables
    before = _numpy(generator)
    history = gan.fit(_data(8)[0], batch_size=8, epochs=1, verbose=0, callbacks=[ema])
    assert history.history["loss"][0] == pytest.approx(history.history["d_loss"][0])
    assert ema.step == 1  # exactly one step
    assert [id(v) for v in ema.variables] == [id(v) for v in generator]
    after = _numpy(generator)
    for average, w0, w1 in zip(ema.average_weights(), before, after, strict=True):
        np.testing.assert_allclose(average, decay * w0 + (1 - decay) * w1, atol=1e-6)
    raw = gan.sample(4, seed=0)
    with ema.swapped():
        averaged = gan.sample(4, seed=0)
    assert not np.allclose(averaged, raw)
    np.testing.assert_array_equal(gan.sample(4, seed=0), raw)  # raw weights are back
    assert not set(map(id, gan.discriminator.weights)) & set(map(id, ema.variables))


def test_save_reload_keeps_samples_and_optimizer_state(tmp_path):
    gan = _gan(loss="hinge")
    ema = ExponentialMovingAverage(0.5, target=gan.generator.name)
    gan.fit(_data()[0], batch_size=8, epochs=1, verbose=0, callbacks=[ema])
    path = os.path.join(tmp_path, "gan.keras")
    gan.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(gan.sample(6, seed=3), loaded.sample(6, seed=3))
    for a, b in zip(gan.optimizer.variables, loaded.optimizer.variables, strict=False):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert loaded.loss_kind == "hinge" and loaded.get_compile_config() == gan.get_compile_config()
    assert len(loaded.optimizer.variables) == len(gan.optimizer.variables) > 2
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(gan.seed_generator.state),
        keras.ops.convert_to_numpy(loaded.seed_generator.state),
    )
    # The EMA's state is in the file; keras-ema reads it back into a GAN once attached.
    reloaded_ema = ExponentialMovingAverage(0.5, target=loaded.generator.name).attach(loaded)
    loaded.load_weights(path)
    assert reloaded_ema.step == ema.step == 2
    for a, b in zip(ema.average_weights(), reloaded_ema.average_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    with ema.swapped(), reloaded_ema.swapped():
        np.testing.assert_array_equal(gan.sample(6, seed=3), loaded.sample(6, seed=3))


def test_conditional_fit_and_sample():
    keras.utils.set_random_seed(0)
    g = resnet_generator(SHAPE, 4, 4, 2, normalization="conditional", num_classes=3)
    gan = GAN(g, projection_discriminator(SHAPE, 3, 4), num_classes=3, seed=2)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), loss="hinge")
    images, labels = _data()
    gan.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    samples = gan.sample(6, seed=0, labels=[0, 0, 1, 1, 2, 2])
    assert samples.shape == (6, 8, 8, 1)
    with pytest.raises(ValueError, match="`y`"):
        gan.fit(images, labels[:-2], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`y`"):
        gan.fit(images, labels + 3, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`labels`"):
        gan.generate(np.zeros((2, 4), "float32"), labels=[0])


def test_wgan_gp_trains():
    gan = _gan(loss="wgan-gp", n_critic=2, gp=10.0, generator=upsample_generator(SHAPE, 4, 4, 2))
    history = gan.fit(_data()[0], batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(history.history["d_loss"]))


@pytest.mark.parametrize(
    "call,argument",
    [
        (lambda gan: gan.fit(np.zeros((4, 64), "float32"), verbose=0), "`x`"),
        (lambda gan: gan.fit(np.zeros((4, 16, 16, 1), "float32"), verbose=0), "`x`"),
        (lambda gan: gan.fit(*_data(), verbose=0), "`y`"),
        (lambda gan: gan.compile(loss="bce"), "`loss`"),
        (lambda gan: gan.compile(n_critic=0), "`n_critic`"),
        (lambda gan: gan.compile(loss="wgan-gp"), "`gradient_penalty_weight`"),
        (lambda gan: gan.sample(0), "`num_samples`"),
    ],
)
def test_gan_misuse(call, argument):
    gan = _gan()
    with pytest.raises(ValueError, match=argument):
        call(gan)


def test_constructor_misuse():
    g = resnet_generator(SHAPE, 4, 4, 2, normalization="conditional", num_classes=3)
    with pytest.raises(ValueError, match="`discriminator`"):
        GAN(g, dcgan_discriminator(SHAPE, 4), num_classes=3)
    with pytest.raises(ValueError, match="`num_classes`"):
        GAN(g, projection_discriminator(SHAPE, 3, 4))
    with pytest.raises(TypeError, match="`generator`"):
        GAN("dcgan", dcgan_discriminator(SHAPE, 4))


def test_sample_grid_after_an_ema_with_save_averages_draws_the_averages(tmp_path):
    gan = _gan()
    ema = ExponentialMovingAverage(0.5, target=gan.generator.name, save_averages=True)
    grid = SampleGrid(str(tmp_path / "grids"), num_samples=4, scale=1)
    gan.fit(_data()[0], batch_size=8, epochs=1, verbose=0, callbacks=[ema, grid])

    def png(name, images):
        with open(save_image_grid(str(tmp_path / name), images), "rb") as f:
            return f.read()

    with open(grid.written[0], "rb") as f:
        written = f.read()
    with ema.swapped():
        assert written == png("averaged.png", gan.sample(4, seed=0))
    assert written != png("raw.png", gan.sample(4, seed=0))
