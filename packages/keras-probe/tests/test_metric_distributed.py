"""AddMetric under data parallelism: batch logs, History and evaluate: means over every sample.

Two devices must exist before the backend starts, so each run is a fresh interpreter.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

SCRIPT = r"""
import json, os, sys
backend = os.environ["KERAS_BACKEND"]
if backend == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import keras, numpy as np
from keras_probe import AddMetric

if backend == "tensorflow":
    scope = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]).scope()
else:
    import jax
    scope = keras.distribution.DataParallel(devices=jax.devices("cpu")[:2]).scope()
x = np.arange(36, dtype="float32").reshape(12, 3)
y = np.zeros((12, 2), "float32")
with scope:
    inputs = keras.Input((3,))
    h = keras.layers.Dense(2, kernel_initializer="ones", use_bias=False)(inputs)
    model = keras.Model(inputs, AddMetric("h_mean")([h, h]))
    model.compile(keras.optimizers.SGD(0.0), "mse")
    batches = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batches.append(float(logs["h_mean"]))
    )
    history = model.fit(
        x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[record]
    ).history
    logs = model.evaluate(x[:8], y[:8], batch_size=4, return_dict=True, verbose=0)
print(json.dumps({"fit": history["h_mean"], "batches": batches, "evaluate": logs["h_mean"]}))
"""


def test_metric_state_is_summed_over_replicas():
    backend = keras.backend.backend()
    if backend == "torch":
        pytest.skip("Keras has no data-parallel API for the torch backend")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["XLA_FLAGS"] = env.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout.strip().splitlines()[-1])
    x = np.arange(36, dtype="float32").reshape(12, 3)
    np.testing.assert_allclose(found["fit"], [x.sum(1).mean()] * 2, rtol=1e-6)
    running = [x[:n].sum(1).mean() for n in (4, 8, 12)]
    np.testing.assert_allclose(found["batches"], running * 2, rtol=1e-6)
    np.testing.assert_allclose(found["evaluate"], x[:8].sum(1).mean(), rtol=1e-6)
