"""probe/capture/ProbeRecorder against numpy references (atol 1e-5), on every backend."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_probe import ProbedMultiHeadAttention, ProbeRecorder, capture, is_probing, probe

ATOL = 1e-5
RNG = np.random.default_rng(0)
X = RNG.normal(size=(10, 4, 3)).astype("float32")


class Attention(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], input_shape[-1]))

    def call(self, x):
        scores = ops.softmax(ops.einsum("btd,bsd->bts", ops.matmul(x, self.w), x), axis=-1)
        probe("attention", scores)
        return ops.einsum("bts,bsd->btd", scores, x)


def numpy_scores(w, x):
    logits = np.einsum("btd,bsd->bts", x @ w, x)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.attention = Attention()
        self.pool = keras.layers.GlobalAveragePooling1D()

    def call(self, x):
        return self.pool(self.attention(x))


def build(kind):
    if kind == "functional":
        inputs = keras.Input((4, 3))
        return keras.Model(inputs, keras.layers.GlobalAveragePooling1D()(Attention()(inputs)))
    if kind == "sequential":
        return keras.Sequential(
            [keras.Input((4, 3)), Attention(), keras.layers.GlobalAveragePooling1D()]
        )
    model = Subclassed()
    model(X[:1])
    return model


# jit (XLA / jax.jit / torch.compile) once: compiling is the slow part of this suite
@pytest.mark.parametrize(
    ("kind", "jit"),
    [("functional", True), ("functional", False), ("sequential", False), ("subclassed", False)],
)
def test_capture_concatenates_batches_and_matches_numpy(kind, jit):
    model = build(kind)
    model.compile(jit_compile=jit)
    plain = model.predict(X, batch_size=4, verbose=0)
    with capture(model) as captured:
        assert not is_probing()  # collectors exist only while a step runs
        outputs = model.predict(X, batch_size=4, verbose=0)
    w = keras.ops.convert_to_numpy(model.weights[0])
    np.testing.assert_allclose(captured["attention"], numpy_scores(w, X), atol=ATOL)
    np.testing.assert_allclose(outputs, plain, atol=ATOL)
    # after the block the original predict function is back and records nothing
    assert "predict_step" not in model.__dict__
    np.testing.assert_allclose(model.predict(X, batch_size=4, verbose=0), plain, atol=ATOL)


def test_names_filter_and_missing_key_message():
    model = build("functional")
    with capture(model, names=["other"]) as captured:
        model.predict(X, verbose=0)
    assert len(captured) == 0
    with pytest.raises(KeyError, match="No probe named 'attention'"):
        captured["attention"]


def test_probed_multi_head_attention_matches_return_attention_scores():
    layer = ProbedMultiHeadAttention(num_heads=2, key_dim=3)
    x = RNG.normal(size=(5, 4, 6)).astype("float32")
    inputs = keras.Input((4, 6))
    model = keras.Model(inputs, layer(inputs, inputs))
    plain = model.predict(x, verbose=0)
    _, reference = layer(x, x, return_attention_scores=True)
    with capture(model) as captured:
        outputs = model.predict(x, batch_size=2, verbose=0)
    assert captured["attention"].shape == (5, 2, 4, 4)
    np.testing.assert_allclose(captured["attention"], ops.convert_to_numpy(reference), atol=ATOL)
    np.testing.assert_allclose(outputs, plain, atol=1e-4)


@pytest.mark.parametrize("masking", ["none", "causal", "attention_mask"])
def test_probed_multi_head_attention_without_capture_is_the_stock_layer(masking):
    """No capture active: bit-identical to `MultiHeadAttention` with the same weights (its own
    code runs, the fused and the causal kernels included)."""
    x = RNG.normal(size=(3, 5, 6)).astype("float32")
    kwargs = {
        "none": {},
        "causal": {"use_causal_mask": True},
        "attention_mask": {"attention_mask": np.tril(np.ones((3, 5, 5), bool))},
    }[masking]
    stock = keras.layers.MultiHeadAttention(num_heads=2, key_dim=3)
    probed = ProbedMultiHeadAttention(num_heads=2, key_dim=3)
    stock(x, x)
    probed(x, x)
    probed.set_weights(stock.get_weights())
    np.testing.assert_array_equal(
        ops.convert_to_numpy(probed(x, x, **kwargs)), ops.convert_to_numpy(stock(x, x, **kwargs))
    )


class Twice(keras.layers.Layer):
    def __init__(self, second_shape_same=True, **kwargs):
        super().__init__(**kwargs)
        self.same = second_shape_same

    def call(self, x):
        probe("h", x)
        probe("h", 2.0 * x if self.same else x[:, :1])
        return x


def test_repeated_name_is_numbered():
    model = keras.Sequential([keras.Input((3,)), Twice()])
    x = X[:, 0, :]
    with capture(model) as captured:
        model.predict(x, verbose=0)
    np.testing.assert_allclose(captured["h_1"], 2.0 * captured["h"], atol=ATOL)
    np.testing.assert_allclose(captured["h"], x, atol=ATOL)


def test_reused_name_with_other_shape_is_an_error():
    model = keras.Sequential([keras.Input((3,)), Twice(second_shape_same=False)])
    with (
        pytest.raises(ValueError, match=r"Probe name `h` was reused with a different shape"),
        capture(model),
    ):
        model.predict(X[:, 0, :], verbose=0)


def test_capture_misuse():
    with (
        pytest.raises(ValueError, match=r"`model` must be built"),
        capture(keras.Sequential([keras.layers.Dense(2)])),
    ):
        pass
    with (
        pytest.raises(TypeError, match=r"`model` must be a `keras.Model`"),
        capture(keras.layers.Dense(2)),
    ):
        pass
    with (
        pytest.raises(TypeError, match=r"`names` must be None or a non-empty list"),
        capture(build("functional"), names=[3]),
    ):
        pass
    with pytest.raises(TypeError, match="`name` must be a non-empty string"):
        probe("", X)


@pytest.mark.parametrize("reduction", ["last", "mean", "concat"])
def test_recorder_records_training_probes(reduction):
    keras.utils.set_random_seed(1)
    model = build("functional")
    # lr 0: weights never change, so every batch's scores are known in closed form
    # torch.compile of a train step takes ~70 s on CPU: jit on the other backends only
    jit = reduction == "mean" and keras.backend.backend() != "torch"
    model.compile(keras.optimizers.SGD(0.0), "mse", jit_compile=jit)
    recorder = ProbeRecorder("attention", reduction=reduction)
    y = np.zeros((10, 3), "float32")
    model.fit(X, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    scores = numpy_scores(keras.ops.convert_to_numpy(model.weights[0]), X)
    expected = {"last": scores[8:], "mean": scores.mean(0), "concat": scores}[reduction]
    assert len(recorder.history["attention"]) == 2
    np.testing.assert_allclose(recorder.history["attention"][1], expected, atol=ATOL)
    assert "train_step" not in model.__dict__


def test_recorder_and_capture_misuse():
    with pytest.raises(ValueError, match="`reduction` must be one of"):
        ProbeRecorder("a", reduction="median")
    with pytest.raises(TypeError, match="`names` must be None or a non-empty list"):
        ProbeRecorder([])
    model = build("functional")
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="never recorded: \\['nope'\\]"):
        model.fit(X, np.zeros((10, 3)), epochs=1, verbose=0, callbacks=[ProbeRecorder("nope")])
    assert "train_step" not in model.__dict__
