"""The EMA state survives model.save, load_weights, BackupAndRestore and ModelCheckpoint."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_ema import ExponentialMovingAverage


def model_and_data():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(6, activation="tanh"),
        keras.layers.BatchNormalization(), keras.layers.Dense(1),
    ])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return model, x, x.sum(1, keepdims=True) ** 2


def ema():
    return ExponentialMovingAverage(decay=0.9, warmup="ratio", zero_debias=True)


def test_model_save_then_attach_and_load_weights_in_a_fresh_process(tmp_path):
    model, x, y = model_and_data()
    callback = ema()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[callback])
    path = tmp_path / "model.keras"
    model.save(path)
    script = f"""
import json, keras, numpy as np
from keras_plugin_harness import discover
from keras_ema import ExponentialMovingAverage
model = keras.saving.load_model({str(path)!r}, custom_objects=discover().custom_objects())
ema = ExponentialMovingAverage(decay=0.9, warmup="ratio", zero_debias=True).attach(model)
model.load_weights({str(path)!r})
print(json.dumps({{"step": ema.step, "averages": [w.tolist() for w in ema.average_weights()]}}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=dict(os.environ), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    reloaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert reloaded["step"] == callback.step == 8
    for got, want in zip(reloaded["averages"], callback.average_weights()):
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)


class StopAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


def test_interrupted_training_resumes_to_the_same_averages(tmp_path):
    model, x, y = model_and_data()
    uninterrupted = ema()
    model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0, callbacks=[uninterrupted])

    backup = str(tmp_path / "backup")
    model, x, y = model_and_data()
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0,
                  callbacks=[ema(), keras.callbacks.BackupAndRestore(backup), StopAt(2)])
    # A new process would rebuild the model: do the same with a fresh model and fresh callbacks.
    model, x, y = model_and_data()
    resumed = ema()
    model.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0,
              callbacks=[resumed, keras.callbacks.BackupAndRestore(backup)])
    assert resumed.step == uninterrupted.step == 16
    for got, want in zip(resumed.average_weights(), uninterrupted.average_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_model_checkpoint_saves_averages_when_asked(tmp_path):
    model, x, y = model_and_data()
    callback = ExponentialMovingAverage(decay=0.8, save_averages=True)
    path = str(tmp_path / "best.weights.h5")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0,
              callbacks=[callback, keras.callbacks.ModelCheckpoint(path, save_weights_only=True)])
    fresh, _, _ = model_and_data()
    fresh.load_weights(path)
    in_file = ExponentialMovingAverage().attach(fresh).variables  # same order as callback's
    for got, want in zip([keras.ops.convert_to_numpy(v.value) for v in in_file],
                         callback.average_weights()):
        np.testing.assert_allclose(got, want, atol=1e-7)
    # and training ends with the raw weights in the model
    raw = [keras.ops.convert_to_numpy(v.value) for v in callback.variables]
    assert not all(np.allclose(a, b) for a, b in zip(raw, callback.average_weights()))


def test_state_of_other_variables_is_refused_on_load(tmp_path):
    model, x, y = model_and_data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0,
              callbacks=[ExponentialMovingAverage(include_non_trainable=True)])
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    other, _, _ = model_and_data()
    ExponentialMovingAverage(include_non_trainable=False).attach(other)
    with pytest.raises(ValueError, match="`variables`"):
        other.load_weights(path)
