"""The callback in `fit` (compiled update) and the plain API, against the numpy reference."""

import keras
import numpy as np
import pytest
from reference import reference_ema

from keras_ema import ExponentialMovingAverage
from keras_ema_plugin import cases


@keras.saving.register_keras_serializable(package="keras_ema_tests")
class CountCalls(keras.layers.Layer):
    """Identity with an int32 counter of training calls (integer state must be copied)."""

    def build(self, input_shape):
        self.calls = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False)

    def call(self, x, training=False):
        if training:
            self.calls.assign(self.calls + 1)
        return x


def small_model():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(6, activation="tanh"),
            keras.layers.BatchNormalization(),
            CountCalls(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "mse")
    return model


def data(n=16):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, x.sum(1, keepdims=True) ** 2


class RecordWeights(keras.callbacks.Callback):
    """Values of the averaged variables before training and after every epoch (= step)."""

    def __init__(self, ema):
        super().__init__()
        self.ema, self.history = ema, []

    def on_train_begin(self, logs=None):
        self.initial = [keras.ops.convert_to_numpy(v.value) for v in self.ema.variables]

    def on_epoch_end(self, epoch, logs=None):
        self.history.append([keras.ops.convert_to_numpy(v.value) for v in self.ema.variables])


SCHEDULES = [
    dict(decay=0.9, warmup="ratio"),
    dict(decay=0.95, warmup="power", start_step=5, every_n_steps=3, zero_debias=True),
]


def options(schedule):
    names = {"gamma": "warmup_gamma", "power": "warmup_power"}
    return {names.get(k, k): v for k, v in schedule.items()}


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
def test_fit_matches_reference_after_50_steps(schedule):
    keras.utils.set_random_seed(0)
    model = small_model()
    x, y = data()
    ema = ExponentialMovingAverage(**options(schedule))
    record = RecordWeights(ema)
    # One step per epoch so the recorder sees the weights after every step on every backend.
    model.fit(x, y, batch_size=16, epochs=50, shuffle=False, verbose=0, callbacks=[ema, record])
    assert ema.step == 50
    want = reference_ema(record.initial, record.history, **schedule)
    got = ema.average_weights()
    for g, w, v in zip(got, want, ema.variables):
        np.testing.assert_allclose(g, w.astype(g.dtype), atol=1e-6, rtol=0, err_msg=v.path)
    counter = [g for g, v in zip(got, ema.variables) if "int" in str(v.dtype)]
    assert [int(c) for c in counter] == [50]  # integer state copied, not averaged


class RecordAfterStep(keras.callbacks.Callback):
    """The model's weights before training (if built by then) and after every batch."""

    def __init__(self):
        super().__init__()
        self.initial, self.history = None, []

    def on_train_begin(self, logs=None):
        if self.model.built and self.model.weights:
            self.initial = [keras.ops.convert_to_numpy(v.value) for v in self.model.weights]

    def on_train_batch_end(self, batch, logs=None):
        self.history.append([keras.ops.convert_to_numpy(v.value) for v in self.model.weights])


def test_model_without_input_is_averaged_from_its_first_step():
    # TensorFlow builds such a model inside the first traced step of `fit`; JAX and PyTorch
    # build it symbolically before `on_train_begin`. Either way the callback must work.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(6, activation="tanh"), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "mse")
    x, y = data(32)
    ema = ExponentialMovingAverage(decay=0.9, warmup="ratio")
    record = RecordAfterStep()
    model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[ema, record])
    assert ema.step == 12
    if keras.backend.backend() == "tensorflow":
        assert record.initial is None  # really the deferred path
        initial = record.history[0]  # averaged from the weights after step 1
    else:
        initial = record.initial
    want = reference_ema(initial, record.history, decay=0.9, warmup="ratio")
    got = ema.average_weights()
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.astype(g.dtype), atol=1e-6, rtol=0)
    raw = record.history[-1]
    assert all(not np.allclose(g, r, atol=1e-4) for g, r in zip(got, raw))  # it did average


def test_model_without_input_trained_one_step_counts_it():
    # TensorFlow: the deferred start happens at the end of training (no later batch).
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    x, _ = data(4)
    ema = ExponentialMovingAverage(decay=0.9)
    model.fit(x, np.ones((4, 2)), batch_size=4, epochs=1, verbose=0, callbacks=[ema])
    assert ema.step == 1
    if keras.backend.backend() == "tensorflow":  # averaged from the weights after step 1
        for average, weight in zip(ema.average_weights(), model.get_weights(), strict=True):
            np.testing.assert_array_equal(average, weight)


def test_batch_end_hooks_left_to_keras():
    # Keras dispatches batch-end callbacks asynchronously (JAX, PyTorch) and converts the logs
    # to Python numbers, a host sync per step, only for callbacks that override these hooks.
    for hook in ("on_batch_end", "on_train_batch_end", "on_test_batch_end"):
        assert getattr(ExponentialMovingAverage, hook) is getattr(keras.callbacks.Callback, hook)


def test_plain_api_update_matches_reference():
    keras.utils.set_random_seed(0)
    model = small_model()
    model.build((None, 4))
    ema = ExponentialMovingAverage(decay=0.9, warmup="ratio").attach(model)
    rng = np.random.default_rng(2)
    initial = [keras.ops.convert_to_numpy(v.value) for v in ema.variables]
    sequence = []
    for _ in range(50):
        values = [
            rng.normal(size=v.shape).astype(v.dtype)
            if "float" in str(v.dtype)
            else np.asarray(rng.integers(0, 9), v.dtype)
            for v in ema.variables
        ]
        for variable, value in zip(ema.variables, values):
            variable.assign(value)
        ema.update()
        sequence.append(values)
    want = reference_ema(initial, sequence, decay=0.9, warmup="ratio")
    for g, w in zip(ema.average_weights(), want):
        np.testing.assert_allclose(g, w.astype(g.dtype), atol=1e-6, rtol=0)


def test_swapped_puts_averages_in_and_restores_raw_weights():
    keras.utils.set_random_seed(0)
    model, (x, y) = small_model(), data()
    ema = ExponentialMovingAverage(decay=0.8)
    model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[ema])
    raw = model.get_weights()
    averages = ema.average_weights()
    with ema.swapped():
        inside = [keras.ops.convert_to_numpy(v.value) for v in ema.variables]
        swapped_loss = model.evaluate(x, y, verbose=0)
    for a, b in zip(inside, averages):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.get_weights(), raw):
        np.testing.assert_array_equal(a, b)
    # evaluate_with_ema gives the swapped result and leaves raw weights in place
    ema_eval = ExponentialMovingAverage(decay=0.8, evaluate_with_ema=True)
    assert model.evaluate(x, y, verbose=0, callbacks=[ema_eval]) == pytest.approx(swapped_loss)
    for a, b in zip(model.get_weights(), raw):
        np.testing.assert_array_equal(a, b)


def test_fit_again_with_and_without_callback():
    """Fitting again works (JAX: no 'donate the same buffer twice'); without the callback the
    average is left alone and the model's own train step is back."""
    keras.utils.set_random_seed(0)
    model, (x, y) = small_model(), data()
    ema = ExponentialMovingAverage(decay=0.8, evaluate_with_ema=True)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[ema], validation_data=(x, y))
    with ema.swapped():
        model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[ema])
    assert ema.step == 8
    assert "train_step" not in vars(model)
    before = ema.average_weights()
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert ema.step == 8
    for a, b in zip(before, ema.average_weights()):
        np.testing.assert_array_equal(a, b)
    # a fresh callback continues from the state on the model
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[ExponentialMovingAverage(0.8)])
    assert ema.step == 12


def test_target_averages_only_the_named_sub_model():
    keras.utils.set_random_seed(0)
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="generator")
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(1)(generator(inputs)))
    model.compile("sgd", "mse")
    ema = ExponentialMovingAverage(decay=0.5, target="generator")
    x, y = data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[ema])
    assert [id(v) for v in ema.variables] == [id(v) for v in generator.weights]


def test_mixed_precision_keeps_float32_averages():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(0)
        model, (x, y) = small_model(), data()
        ema = ExponentialMovingAverage(decay=0.9)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[ema])
    finally:
        keras.config.set_dtype_policy("float32")
    state = model.keras_ema_ema
    floats = [a for a in state.averages if "float" in str(a.dtype)]
    assert floats and all(keras.backend.standardize_dtype(a.dtype) == "float32" for a in floats)
    assert all(np.isfinite(w).all() for w in ema.average_weights() if w.dtype.kind == "f")


def test_state_is_not_in_model_weights():
    keras.utils.set_random_seed(0)
    model = small_model()
    count = len(model.weights)
    ExponentialMovingAverage().attach(model)
    assert len(model.weights) == count
    assert model.get_metrics_result() == {} or "ema_state" not in model.get_metrics_result()


@pytest.mark.parametrize("misuse", cases.misuses(), ids=lambda m: m.description)
def test_misuse_names_the_argument(misuse):
    with pytest.raises((ValueError, TypeError), match=f"`{misuse.argument}`"):
        misuse.call()


def test_api_before_attach_names_model():
    with pytest.raises(ValueError, match="`model`"):
        ExponentialMovingAverage().average_weights()


@pytest.mark.parametrize(
    "argument, value",
    [
        ("decay", True),
        ("zero_debias", 1),
        ("every_n_steps", 1.5),
        ("name", "not valid"),
    ],
)
def test_type_errors_name_the_argument(argument, value):
    with pytest.raises((TypeError, ValueError), match=f"`{argument}`.*Received: {argument}="):
        ExponentialMovingAverage(**{argument: value})


def test_config_round_trip():
    ema = ExponentialMovingAverage(decay=0.5, warmup="power", start_step=3, target="g", name="e2")
    assert ExponentialMovingAverage.from_config(ema.get_config()).get_config() == ema.get_config()
