"""MixupModel in fit; ManifoldMixup; SamplePairing's schedule; tf.data and PyDataset."""

import keras
import numpy as np
import pytest

from keras_mixup import (
    CutMix,
    ManifoldMixup,
    Mixup,
    MixupDataset,
    MixupLoss,
    MixupModel,
    SamplePairing,
    _context,
)
from keras_mixup._sample_pairing import schedule_active

X = np.random.default_rng(0).normal(size=(21, 5)).astype("float32")
Y = (np.arange(21) % 3).astype("int32")


def mlp(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


def weights(model):
    return [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_sparse_loss_interpolation_equals_mixed_one_hot_training(reduction):
    # the interpolated loss is one evaluation over the batch stacked twice, scaled per reduction
    # (two evaluations for mean_with_sample_weight); each must equal mixing one-hot labels
    sparse = MixupModel(mlp(), Mixup(alpha=0.5, mode="elem", seed=1))
    sparse.compile("sgd", keras.losses.SparseCategoricalCrossentropy(reduction=reduction))
    dense = MixupModel(mlp(), Mixup(alpha=0.5, mode="elem", seed=1))
    dense.compile("sgd", keras.losses.CategoricalCrossentropy(reduction=reduction))
    sparse.fit(X, Y, batch_size=7, epochs=2, shuffle=False, verbose=0)
    dense.fit(X, np.eye(3, dtype="float32")[Y], batch_size=7, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(weights(sparse), weights(dense), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum"])
def test_weighted_sparse_loss_is_the_interpolation_of_weighted_losses(reduction):
    # lam * w_i * L(y_i) + (1 - lam) * w_j * L(y_j): each label keeps its own sample's weight
    x, y = X[:7], Y[:7]
    w = np.array([0.0, 1.0, 2.0, 0.5, 3.0, 0.0, 1.5], "float32")
    model = MixupModel(mlp(), Mixup(alpha=0.5, mode="elem", seed=4))
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(reduction=reduction))
    inner = mlp()  # the same initial weights, for the expected value
    key = keras.ops.convert_to_tensor(np.asarray(model.mixer.generator.state), "int32")
    got = model.train_on_batch(x, y, sample_weight=w, return_dict=True)["loss"]

    params = {k: np.asarray(v) for k, v in model.mixer.draw(x, seed=key).items()}
    lam, index = params["lam_y"], params["index"]
    mixed = lam[:, None] * x + (1.0 - lam[:, None]) * x[index]
    probs = np.asarray(inner.predict(mixed, verbose=0), "float64")
    rows = np.arange(7)
    own, partner = -np.log(probs[rows, y]), -np.log(probs[rows, y[index]])
    per_sample = lam * w * own + (1.0 - lam) * w[index] * partner
    expected = per_sample.sum() / (7 if reduction == "sum_over_batch_size" else 1)
    # a draw that tests something: partly mixed samples whose partner has another weight
    assert np.any((lam > 0.05) & (lam < 0.95) & (w != w[index]) & (y != y[index]))
    assert float(got) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum"])
def test_sparse_loss_per_time_step_skips_masked_steps(reduction):
    # sequence tagging: (N, T) integer labels, a Masking layer, per-step weights (as Keras
    # wants them for per-step losses)
    rng = np.random.default_rng(8)
    x = rng.normal(size=(6, 5, 3)).astype("float32")
    x[:, 3:] = 0.0  # padded steps, masked in every mixed sequence too
    y = rng.integers(0, 4, size=(6, 5)).astype("int32")
    w = rng.uniform(0.0, 2.0, size=(6, 5)).astype("float32")
    w[3] = 0.0

    def tagger():
        keras.utils.set_random_seed(0)
        return keras.Sequential(
            [
                keras.Input((5, 3)),
                keras.layers.Masking(0.0),
                keras.layers.Dense(4, activation="softmax"),
            ]
        )

    model = MixupModel(tagger(), Mixup(alpha=0.5, mode="elem", seed=9))
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(reduction=reduction))
    key = keras.ops.convert_to_tensor(np.asarray(model.mixer.generator.state), "int32")
    got = model.train_on_batch(x, y, sample_weight=w, return_dict=True)["loss"]

    params = {k: np.asarray(v) for k, v in model.mixer.draw(x, seed=key).items()}
    lam, index = params["lam_y"][:, None], params["index"]
    mixed = lam[..., None] * x + (1.0 - lam[..., None]) * x[index]
    probs = np.asarray(tagger().predict(mixed, verbose=0), "float64")
    n, t = np.meshgrid(np.arange(6), np.arange(5), indexing="ij")
    own, partner = -np.log(probs[n, t, y]), -np.log(probs[n, t, y[index]])
    values = lam * w * own + (1.0 - lam) * w[index] * partner
    valid = np.any(mixed != 0.0, axis=-1)
    assert valid.sum() == 6 * 3  # the padded steps, and only they, are masked
    expected = values[valid].sum() / (valid.sum() if reduction == "sum_over_batch_size" else 1)
    assert float(got) == pytest.approx(expected, rel=1e-5)


def test_num_classes_one_hot_encodes_integer_labels_in_fit_and_evaluate():
    encoded = MixupModel(mlp(), Mixup(alpha=0.5, mode="elem", seed=1, num_classes=3))
    encoded.compile("sgd", "categorical_crossentropy")
    one_hot = MixupModel(mlp(), Mixup(alpha=0.5, mode="elem", seed=1))
    one_hot.compile("sgd", "categorical_crossentropy")
    Y1 = np.eye(3, dtype="float32")[Y]
    encoded.train_on_batch(X[:7], Y[:7])
    one_hot.train_on_batch(X[:7], Y1[:7])
    encoded.fit(X, Y, batch_size=7, shuffle=False, verbose=0)
    one_hot.fit(X, Y1, batch_size=7, shuffle=False, verbose=0)
    for a, b in zip(weights(encoded), weights(one_hot), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(
        encoded.evaluate(X, Y, verbose=0), one_hot.evaluate(X, Y1, verbose=0)
    )


def test_mixing_changes_training_but_not_evaluate_or_predict():
    plain = mlp()
    plain.compile("sgd", "sparse_categorical_crossentropy")
    mixed = MixupModel(mlp(), Mixup(alpha=1.0, seed=2))
    mixed.compile("sgd", "sparse_categorical_crossentropy")
    np.testing.assert_allclose(mixed.predict(X, verbose=0), plain.predict(X, verbose=0), atol=1e-6)
    assert mixed.evaluate(X, Y, verbose=0) == pytest.approx(plain.evaluate(X, Y, verbose=0), 1e-6)
    plain.fit(X, Y, batch_size=7, epochs=1, shuffle=False, verbose=0)
    mixed.fit(X, Y, batch_size=7, epochs=1, shuffle=False, verbose=0)
    assert not np.allclose(weights(plain)[0], weights(mixed)[0], atol=1e-6)


def test_zero_sample_weights_leave_the_weights_alone():
    for labels, loss in (
        (Y, "sparse_categorical_crossentropy"),
        (np.eye(3, dtype="float32")[Y], "categorical_crossentropy"),
    ):
        model = MixupModel(mlp(), Mixup(alpha=1.0, mode="elem", seed=3))
        model.compile("sgd", loss)
        before = weights(model)
        model.fit(X, labels, sample_weight=np.zeros(21, "float32"), batch_size=7, verbose=0)
        for a, b in zip(before, weights(model), strict=False):
            np.testing.assert_allclose(a, b, atol=1e-7)


def test_cutmix_cnn_trains_with_odd_batches():
    keras.utils.set_random_seed(0)
    inner = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            keras.layers.Conv2D(4, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model = MixupModel(inner, CutMix(mode="pair", seed=4))
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(1).normal(size=(11, 6, 6, 1)).astype("float32")
    history = model.fit(x, np.arange(11) % 2, batch_size=5, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_manifold_layer_mixes_only_when_chosen():
    layer = ManifoldMixup()
    h = np.arange(8, dtype="float32").reshape(4, 2)
    params = {
        "index": np.array([1, 0, 3, 2], "int32"),
        "lam_x": np.array([0.5, 0.5, 1.0, 0.25], "float32"),
    }
    lam = params["lam_x"][:, None]
    for choice, expected in ((1, lam * h + (1 - lam) * h[params["index"]]), (2, h)):
        _context.set_active({"params": params, "choice": choice, "positions": {id(layer): 1}})
        try:
            got = keras.ops.convert_to_numpy(layer(h, training=True))
        finally:
            _context.set_active(None)
        np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(h, training=True)), h)


def test_manifold_mixup_model_trains_and_predicts_plainly():
    keras.utils.set_random_seed(0)
    inner = keras.Sequential(
        [
            keras.Input((5,)),
            keras.layers.Dense(8, activation="relu"),
            ManifoldMixup(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model = MixupModel(inner, Mixup(alpha=2.0, seed=5), mix_input=False)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(X, Y, batch_size=7, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    np.testing.assert_allclose(model.predict(X, verbose=0), inner.predict(X, verbose=0), atol=1e-6)


def test_sample_pairing_schedule_and_counter():
    got = [bool(schedule_active(s, 2, 3, 1, 10)) for s in range(12)]
    assert got == [False, False, True, True, True, False, True, True, True, False, False, False]
    model = MixupModel(mlp(), SamplePairing(start_step=1, on_steps=2, off_steps=1, seed=6))
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(X, Y, batch_size=7, epochs=2, verbose=0)
    model.evaluate(X, Y, verbose=0)
    assert int(keras.ops.convert_to_numpy(model.mixer.step)) == 6  # train batches only


def test_tf_data_pipeline_on_every_backend():
    tf = pytest.importorskip("tensorflow")
    labels = np.eye(3, dtype="float32")[Y]

    def run():
        mixer = Mixup(alpha=1.0, mode="elem", seed=7)
        ds = tf.data.Dataset.from_tensor_slices((X, labels)).batch(7).map(mixer)
        return [(np.asarray(x), np.asarray(y)) for x, y in ds]

    first, second = run(), run()
    assert [x.shape for x, _ in first] == [(7, 5)] * 3
    for (x1, y1), (x2, _y2) in zip(first, second, strict=False):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_allclose(y1.sum(-1), 1.0, atol=1e-6)
    assert not np.allclose(first[0][0], X[:7])

    sparse = tf.data.Dataset.from_tensor_slices((X, Y)).batch(7).map(Mixup(alpha=1.0, seed=8))
    model = mlp()
    model.compile("sgd", MixupLoss())
    assert np.isfinite(model.fit(sparse, epochs=1, verbose=0).history["loss"][0])


def test_py_dataset_is_order_independent_with_a_seed():
    batches = [(X[i : i + 7], Y[i : i + 7]) for i in range(0, 21, 7)]
    data = MixupDataset(batches, Mixup(alpha=1.0, seed=0), seed=9)
    forward = [data[i] for i in range(3)]
    backward = [data[i] for i in reversed(range(3))][::-1]
    for a, b in zip(forward, backward, strict=False):
        for u, v in zip(a, b, strict=False):
            np.testing.assert_array_equal(u, v)
    model = mlp()
    model.compile("sgd", MixupLoss())
    assert np.isfinite(model.fit(data, epochs=2, verbose=0).history["loss"][-1])


def test_model_misuse():
    with pytest.raises(TypeError, match=r"`mixer` must be a keras_mixup mixer"):
        MixupModel(mlp(), "mixup")
    with pytest.raises(TypeError, match=r"`model` must be a Keras model"):
        MixupModel(lambda x: x, Mixup())
    with pytest.raises(ValueError, match=r"`mix_input=False` needs at least one `ManifoldMixup`"):
        MixupModel(mlp(), Mixup(), mix_input=False)


def test_save_and_reload_keeps_the_random_state(tmp_path):
    model = MixupModel(mlp(), SamplePairing(seed=3))
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(X, Y, batch_size=7, epochs=1, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert int(keras.ops.convert_to_numpy(loaded.mixer.step)) == 3
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded.mixer.generator.state),
        keras.ops.convert_to_numpy(model.mixer.generator.state),
    )
    for m in (model, loaded):
        m.fit(X, Y, batch_size=7, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(weights(model), weights(loaded), strict=False):
        np.testing.assert_allclose(a, b, atol=1e-6)
