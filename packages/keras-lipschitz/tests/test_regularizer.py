"""SpectralNormRegularizer: value, gradient, a persistent `u` that trains, saves and reloads."""

import os

import keras
import numpy as np
import pytest

from keras_lipschitz import SpectralNormRegularizer
from keras_lipschitz._input_gradient import input_gradient


def _matrix_with_close_top_singular_values():
    """A (4, 5) kernel with singular values 3.0, 2.85, 1, 0.5: power iteration converges slowly
    (ratio 0.95 per step), so a persistent `u` is visibly better than a fresh start."""
    rng = np.random.RandomState(0)
    left, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    right, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    return (left @ np.diag([3.0, 2.85, 1.0, 0.5]) @ right[:4]).astype("float32")


def _frozen_model(regularizer, kernel):
    """Dense(5) on 4 features with a fixed kernel (lr 0): only `u` changes during fit."""
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, use_bias=False, kernel_regularizer=regularizer)]
    )
    model.layers[0].kernel.assign(kernel)
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    return model


def test_value_on_a_plain_tensor_and_misuse():
    w = np.random.RandomState(0).standard_normal((3, 3, 4, 5)).astype("float32")
    reg = SpectralNormRegularizer(0.2, warmup_iterations=60)
    sigma = np.linalg.norm(w.reshape(-1, 5), 2)
    np.testing.assert_allclose(float(reg(w)), 0.1 * sigma**2, rtol=1e-4)
    assert SpectralNormRegularizer.from_config(reg.get_config()).get_config() == reg.get_config()
    with pytest.raises(ValueError, match="`strength` must be a number >= 0"):
        SpectralNormRegularizer(-1)
    with pytest.raises(ValueError, match="`power_iterations` must be >= 1"):
        SpectralNormRegularizer(0.1, power_iterations=0)
    with pytest.raises(TypeError, match="`warmup_iterations` must be an int"):
        SpectralNormRegularizer(0.1, warmup_iterations=2.0)
    with pytest.raises(ValueError, match="`eps` must be a number > 0"):
        SpectralNormRegularizer(0.1, eps=0)


def test_gradient_is_strength_sigma_times_top_singular_pair():
    w = _matrix_with_close_top_singular_values()
    reg = SpectralNormRegularizer(0.3, warmup_iterations=400)
    _, gradient = input_gradient(reg, keras.ops.convert_to_tensor(w))
    left, s, right = np.linalg.svd(w)
    expected = 0.3 * s[0] * np.outer(left[:, 0], right[0])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gradient), expected, atol=1e-4)


def test_persistent_u_refines_each_step_and_converges_to_the_top_singular_value():
    w = _matrix_with_close_top_singular_values()
    reg = SpectralNormRegularizer(0.1, warmup_iterations=1)
    model = _frozen_model(reg, w)
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 5), "float32")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # u created, then one step
    kernel = model.layers[0].kernel
    (u,) = model.non_trainable_variables  # tracked by the layer: JAX threads it, .keras saves it
    assert [s.u for s in reg._slots] == [u]
    early = float(reg.sigma(kernel))
    assert early < 3.0 - 1e-3  # two power iterations from a fixed start: not there yet
    model.fit(x, y, batch_size=1, epochs=40, verbose=0)  # 320 steps, one iteration each
    np.testing.assert_allclose(float(reg.sigma(kernel)), 3.0, rtol=1e-4)
    top = np.linalg.svd(w)[2][0]
    np.testing.assert_allclose(np.abs(keras.ops.convert_to_numpy(u)), np.abs(top), atol=1e-3)
    # The penalty Keras adds to the loss is strength / 2 * sigma^2 with that u.
    np.testing.assert_allclose(float(model.losses[0]), 0.05 * 9.0, rtol=1e-3)


def test_shared_regularizer_saves_and_reloads_with_u_intact(tmp_path):
    keras.utils.set_random_seed(0)
    reg = SpectralNormRegularizer(0.01)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu", kernel_regularizer=reg, name="hidden"),
            keras.layers.Dense(3, kernel_regularizer=reg, name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.random.RandomState(1).standard_normal((32, 6)).astype("float32")
    y = np.random.RandomState(2).standard_normal((32, 3)).astype("float32")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert [s.key for s in reg._slots] == ["hidden-kernel", "out-kernel"]
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    again = loaded.layers[0].kernel_regularizer
    assert again is loaded.layers[1].kernel_regularizer  # still one regularizer, two `u`s
    for a, b in zip(reg._slots, again._slots):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(a.u), keras.ops.convert_to_numpy(b.u)
        )
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    assert [s.kernel is not None for s in again._slots] == [True, True]  # bound, not re-created
    assert len(loaded.weights) == len(model.weights)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-6
        )
