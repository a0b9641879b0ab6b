"""The EMA state survives model.save, load_weights, BackupAndRestore and ModelCheckpoint."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_ema import EMAModel, ExponentialMovingAverage


def model_and_data():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(6, activation="tanh"),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.Adam(0.01), "mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    return model, x, x.sum(1, keepdims=True) ** 2


def ema():
    return ExponentialMovingAverage(decay=0.9, warmup="ratio", zero_debias=True)


def wrapped_model_and_data():
    model, x, y = model_and_data()
    wrapped = EMAModel(model)
    wrapped.compile(keras.optimizers.Adam(0.01), "mse")
    return wrapped, x, y


FRESH_PROCESS = """
import json, sys, keras, numpy as np
from keras_plugin_harness import discover
from keras_ema import EMAModel, ExponentialMovingAverage
plain, wrapped, data = sys.argv[1:4]
objects = discover().custom_objects()
out = {}
# plain model: attach, then read the file again
model = keras.saving.load_model(plain, custom_objects=objects)
ema = ExponentialMovingAverage(decay=0.9, warmup="ratio", zero_debias=True).attach(model)
model.load_weights(plain)
out["plain"] = {"step": ema.step, "averages": [w.tolist() for w in ema.average_weights()]}
# EMAModel: load_model alone, then one more epoch with a fresh callback
model = keras.saving.load_model(wrapped, custom_objects=objects)
ema = ExponentialMovingAverage(decay=0.9, warmup="ratio", zero_debias=True)
out["wrapped"] = {"step": ema.attach(model).step,
                  "averages": [w.tolist() for w in ema.average_weights()]}
x, y = np.load(data)["x"], np.load(data)["y"]
model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[ema])
out["resumed"] = {"step": ema.step, "averages": [w.tolist() for w in ema.average_weights()],
                  "weights": [w.tolist() for w in model.get_weights()]}
print(json.dumps(out))
"""


def test_load_model_in_a_fresh_process(tmp_path):
    """EMAModel: `load_model` alone restores the state and training continues identically.
    Plain model: `attach` then `load_weights` restores it."""
    plain, x, y = model_and_data()
    plain_ema = ema()
    plain.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[plain_ema])
    plain.save(tmp_path / "plain.keras")
    wrapped, x, y = wrapped_model_and_data()
    wrapped_ema = ema()
    wrapped.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[wrapped_ema])
    wrapped.save(tmp_path / "wrapped.keras")
    np.savez(tmp_path / "data.npz", x=x, y=y)
    saved = {"step": wrapped_ema.step, "averages": wrapped_ema.average_weights()}

    paths = [str(tmp_path / n) for n in ("plain.keras", "wrapped.keras", "data.npz")]
    out = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, *paths],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    reloaded = json.loads(out.stdout.strip().splitlines()[-1])

    assert reloaded["plain"]["step"] == plain_ema.step == 8
    for got, want in zip(reloaded["plain"]["averages"], plain_ema.average_weights()):
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)
    assert reloaded["wrapped"]["step"] == saved["step"] == 8
    for got, want in zip(reloaded["wrapped"]["averages"], saved["averages"]):
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)
    wrapped.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0, callbacks=[ema()])
    assert reloaded["resumed"]["step"] == 12
    for got, want in zip(reloaded["resumed"]["averages"], wrapped_ema.average_weights()):
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)
    for got, want in zip(reloaded["resumed"]["weights"], wrapped.get_weights()):
        np.testing.assert_allclose(np.asarray(got), want, atol=1e-6)


def test_ema_model_records_its_states_in_the_config():
    wrapped, x, y = wrapped_model_and_data()
    assert wrapped.get_config()["states"] == []
    last = wrapped.inner.layers[-1].name  # a sub-layer of the wrapped model
    wrapped.fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=0,
        callbacks=[
            ema(),
            ExponentialMovingAverage(name="slow", target=last, include_non_trainable=False),
        ],
    )
    states = wrapped.get_config()["states"]
    assert states == [
        {"name": "ema", "target": None, "include_non_trainable": True, "zero_debias": True},
        {"name": "slow", "target": last, "include_non_trainable": False, "zero_debias": False},
    ]
    clone = EMAModel.from_config(json.loads(json.dumps(wrapped.get_config())))
    # same variable sets as the original: 8 (Dense 2, BN 4 with moving stats, Dense 2) and 2
    assert [len(_state(clone, n).averages) for n in ("ema", "slow")] == [8, 2]
    assert len(clone.weights) == len(wrapped.weights) == len(wrapped.inner.weights)


def _state(model, name):
    from keras_ema.state import attached_state

    return attached_state(model, name)


@pytest.mark.parametrize(
    "call, error, argument",
    [
        (lambda: EMAModel("not a model"), TypeError, "`model`"),
        (lambda: EMAModel(keras.layers.Dense(1), states={"name": "ema"}), TypeError, "`states`"),
        (lambda: EMAModel(keras.layers.Dense(1), states=[{"name": "ema"}]), ValueError, "`states`"),
    ],
)
def test_ema_model_misuse_names_the_argument(call, error, argument):
    with pytest.raises(error, match=argument):
        call()


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
        model.fit(
            x,
            y,
            batch_size=8,
            epochs=4,
            shuffle=False,
            verbose=0,
            callbacks=[ema(), keras.callbacks.BackupAndRestore(backup), StopAt(2)],
        )
    # A new process would rebuild the model: do the same with a fresh model and fresh callbacks.
    model, x, y = model_and_data()
    resumed = ema()
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=4,
        shuffle=False,
        verbose=0,
        callbacks=[resumed, keras.callbacks.BackupAndRestore(backup)],
    )
    assert resumed.step == uninterrupted.step == 16
    for got, want in zip(resumed.average_weights(), uninterrupted.average_weights()):
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_model_checkpoint_saves_averages_when_asked(tmp_path):
    model, x, y = model_and_data()
    callback = ExponentialMovingAverage(decay=0.8, save_averages=True)
    path = str(tmp_path / "best.weights.h5")
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        verbose=0,
        callbacks=[callback, keras.callbacks.ModelCheckpoint(path, save_weights_only=True)],
    )
    fresh, _, _ = model_and_data()
    fresh.load_weights(path)
    in_file = ExponentialMovingAverage().attach(fresh).variables  # same order as callback's
    for got, want in zip(
        [keras.ops.convert_to_numpy(v.value) for v in in_file], callback.average_weights()
    ):
        np.testing.assert_allclose(got, want, atol=1e-7)
    # and training ends with the raw weights in the model
    raw = [keras.ops.convert_to_numpy(v.value) for v in callback.variables]
    assert not all(np.allclose(a, b) for a, b in zip(raw, callback.average_weights()))


def test_state_of_other_variables_is_refused_on_load(tmp_path):
    model, x, y = model_and_data()
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=1,
        verbose=0,
        callbacks=[ExponentialMovingAverage(include_non_trainable=True)],
    )
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    other, _, _ = model_and_data()
    ExponentialMovingAverage(include_non_trainable=False).attach(other)
    with pytest.raises(ValueError, match="`variables`"):
        other.load_weights(path)
