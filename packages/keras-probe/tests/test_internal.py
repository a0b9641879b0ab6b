"""AddLoss / AddMetric / the VAE example: numbers against numpy, History and evaluate."""

import keras
import numpy as np
import pytest

from keras_probe import AddLoss, AddMetric
from keras_probe._vae import Sampling, build_vae


def test_add_loss_by_hand():
    layer = AddLoss(weight=0.5)
    out = layer([np.ones((2, 2), "float32"), np.array([1.0, 3.0], "float32")])
    assert out.shape == (2, 2)
    np.testing.assert_allclose(float(layer.losses[0]), 0.5 * 2.0, atol=1e-6)


def _metric_model(jit_compile):
    inputs = keras.Input((3,))
    h = keras.layers.Dense(2, kernel_initializer="ones", use_bias=False)(inputs)
    h = AddMetric("h_mean")([h, h])
    model = keras.Model(inputs, h)
    model.compile(keras.optimizers.SGD(0.0), "mse", jit_compile=jit_compile)
    return model


@pytest.mark.parametrize("jit_compile", [False, True])
def test_metric_is_aggregated_over_the_epoch_not_last_batch(jit_compile):
    model = _metric_model(jit_compile)
    x = np.arange(30, dtype="float32").reshape(10, 3)
    y = np.zeros((10, 2), "float32")
    # dense of ones: h = row sum, twice. Batches of 4, 4, 2: the epoch mean weighs every
    # sample once; the last batch alone, or the mean of the batch means, differ from it.
    expected = x.sum(1).mean()
    assert not np.isclose(expected, x[8:].sum(1).mean())
    assert not np.isclose(expected, np.mean([x[i : i + 4].sum(1).mean() for i in (0, 4, 8)]))
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["h_mean"], [expected, expected], rtol=1e-6)
    logs = model.evaluate(x, y, batch_size=3, return_dict=True, verbose=0)
    np.testing.assert_allclose(logs["h_mean"], expected, rtol=1e-6)
    # a second evaluate starts from a reset state
    logs = model.evaluate(x[:2], y[:2], return_dict=True, verbose=0)
    np.testing.assert_allclose(logs["h_mean"], x[:2].sum(1).mean(), rtol=1e-6)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_batch_logs_show_the_running_mean(jit_compile):
    # On JAX the step computes these logs from metric variables only (keras-team/keras#21639);
    # AddMetric mirrors its state into one through the model's compute_loss.
    model = _metric_model(jit_compile)
    x = np.arange(30, dtype="float32").reshape(10, 3)
    seen = {"train": [], "test": []}
    callback = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen["train"].append(float(logs["h_mean"])),
        on_test_batch_end=lambda batch, logs: seen["test"].append(float(logs["h_mean"])),
    )
    y = np.zeros((10, 2), "float32")
    for _ in range(2):  # the second epoch starts from a reset state
        model.fit(x, y, batch_size=4, shuffle=False, verbose=0, callbacks=[callback])
        running = [x[:n].sum(1).mean() for n in (4, 8, 10)]
        np.testing.assert_allclose(seen["train"], running, rtol=1e-6)
        model.evaluate(x[4:], y[4:], batch_size=3, verbose=0, callbacks=[callback])
        np.testing.assert_allclose(
            seen["test"], [x[4:7].sum(1).mean(), x[4:].sum(1).mean()], rtol=1e-6
        )
        seen = {"train": [], "test": []}


def test_train_and_test_on_batch_log_the_batch_mean():
    model = _metric_model(True)
    x = np.arange(30, dtype="float32").reshape(10, 3)
    y = np.zeros((10, 2), "float32")
    # Keras resets the metrics at each *_on_batch call
    first = model.train_on_batch(x[:4], y[:4], return_dict=True)["h_mean"]
    second = model.train_on_batch(x[4:], y[4:], return_dict=True)["h_mean"]
    np.testing.assert_allclose([first, second], [x[:4].sum(1).mean(), x[4:].sum(1).mean()])
    logs = model.test_on_batch(x[:2], y[:2], return_dict=True)
    np.testing.assert_allclose(logs["h_mean"], x[:2].sum(1).mean(), rtol=1e-6)
    # called directly, after the steps: the metric follows the layer's state
    model(x[:1])
    expected = np.mean(x[[0, 1, 0]].sum(1))
    np.testing.assert_allclose(float(model.metrics[-1].result()), expected, rtol=1e-6)


def test_metric_with_validation_data_reports_both_means():
    model = _metric_model(True)
    x = np.arange(30, dtype="float32").reshape(10, 3)
    y = np.zeros((10, 2), "float32")
    history = model.fit(
        x[:6], y[:6], validation_data=(x[6:], y[6:]), batch_size=4, shuffle=False, verbose=0
    ).history
    np.testing.assert_allclose(history["h_mean"], [x[:6].sum(1).mean()], rtol=1e-6)
    np.testing.assert_allclose(history["val_h_mean"], [x[6:].sum(1).mean()], rtol=1e-6)


def test_metric_state_is_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        layer = AddMetric("m")
        out = layer(np.ones((2, 3), "float16"))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert [v.dtype for v in layer.non_trainable_variables] == ["float32", "float32"]
    assert out.shape == (2, 3)
    np.testing.assert_allclose(float(layer.tracker.result()), 1.0)


def test_misuse():
    with pytest.raises(ValueError, match="`weight` must be a float >= 0"):
        AddLoss(weight=-1.0)
    with pytest.raises(ValueError, match="`metric_name` must be a non-empty string"):
        AddMetric("")
    with pytest.raises(ValueError, match="`latent_dim` must be an int >= 1"):
        build_vae(latent_dim=0)
    with pytest.raises(TypeError, match="`seed` must be an int"):
        Sampling(seed=1.5)
    with pytest.raises(ValueError, match="`inputs` must be a tensor of values or a list"):
        AddLoss()([np.ones(2), np.ones(2), np.ones(2)])


def test_vae_trains_with_loss_none_and_reports_its_terms():
    keras.utils.set_random_seed(0)
    vae = build_vae(input_dim=6, hidden=8, kl_weight=0.1)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2), loss=None)
    x = np.random.default_rng(0).random((40, 6)).astype("float32")
    history = vae.fit(x, epochs=4, batch_size=8, shuffle=False, verbose=0).history
    assert sorted(history) == ["kl", "loss", "reconstruction"]
    assert history["loss"][-1] < history["loss"][0]
    logs = vae.evaluate(x, batch_size=8, return_dict=True, verbose=0)
    # loss = reconstruction + 0.1 kl, all aggregated over the same samples
    np.testing.assert_allclose(logs["loss"], logs["reconstruction"] + 0.1 * logs["kl"], rtol=1e-4)
    # inference is deterministic (Sampling returns the mean)
    np.testing.assert_allclose(vae.predict(x, verbose=0), vae.predict(x, verbose=0), atol=0)


def test_custom_jax_train_step_without_compute_loss_logs_nan_never_a_wrong_mean():
    if keras.backend.backend() != "jax":
        pytest.skip("the stateless train_step signature is JAX's")
    import jax

    class NoComputeLoss(keras.Model):
        def train_step(self, state, data):
            trainable, non_trainable, optimizer_vars, metric_vars = state
            x, y = data

            def loss_fn(trainable, non_trainable):
                y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x)
                return keras.ops.mean((y_pred - y) ** 2), non_trainable

            (_, non_trainable), grads = jax.value_and_grad(loss_fn, has_aux=True)(
                trainable, non_trainable
            )
            trainable, optimizer_vars = self.optimizer.stateless_apply(
                optimizer_vars, grads, trainable
            )
            with keras.StatelessScope(list(zip(self.metrics_variables, metric_vars))):
                logs = {m.name: m.result() for m in self.metrics}
            return logs, (trainable, non_trainable, optimizer_vars, metric_vars)

    x = np.arange(30, dtype="float32").reshape(10, 3)
    inputs = keras.Input((3,))
    h = keras.layers.Dense(2, kernel_initializer="ones", use_bias=False)(inputs)
    model = NoComputeLoss(inputs, AddMetric("h_mean")([h, h]))
    model.compile(keras.optimizers.SGD(0.0))
    seen = []
    callback = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(float(logs["h_mean"]))
    )
    history = model.fit(
        x,
        np.zeros((10, 2), "float32"),
        batch_size=4,
        shuffle=False,
        verbose=0,
        callbacks=[callback],
    )
    assert np.isnan(seen).all() and len(seen) == 3
    np.testing.assert_allclose(history.history["h_mean"], [x.sum(1).mean()], rtol=1e-6)
