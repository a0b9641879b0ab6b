"""Freezing, errors, mixed precision, serialization, lr_table and the LLRD helper."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_layerlr import LayerLR, clip_by_value, layerwise_lr_decay, lr_table


def small_model():
    keras.utils.set_random_seed(3)
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, name="encoder"),
            keras.layers.Dense(1, name="head"),
        ],
        name="net",
    )


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")


def weights(model):
    return [ops.convert_to_numpy(v) for v in model.trainable_variables]


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_freeze_by_multiplier_zero_without_recompiling(momentum):
    model = small_model()
    opt = LayerLR(keras.optimizers.SGD(0.1, momentum=momentum), {"encoder/*": 1.0})
    model.compile(opt, "mse")
    x, y = data()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    train_function = model.train_function
    opt.set_multiplier("encoder/*", 0.0)
    before = weights(model)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    after = weights(model)
    assert model.train_function is train_function  # same compiled step
    np.testing.assert_array_equal(after[0], before[0])  # frozen despite momentum
    np.testing.assert_array_equal(after[1], before[1])
    assert np.abs(after[2] - before[2]).max() > 1e-4  # head still trains
    opt.set_multiplier("encoder/*", 1.0)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.abs(weights(model)[0] - after[0]).max() > 1e-4


def test_unmatched_pattern_lists_closest_paths():
    model = small_model()
    opt = LayerLR(keras.optimizers.SGD(0.1), {"encodr/*": 0.1})
    with pytest.raises(
        ValueError, match=r"'encodr/\*' matches no trainable variable.*net/encoder/"
    ):
        opt.build(model.trainable_variables)
    LayerLR(keras.optimizers.SGD(0.1), {"nothing/*": 0.1}, allow_unmatched=True).build(
        model.trainable_variables
    )


def test_overlap_first_match_wins_and_error_policy():
    model = small_model()
    patterns = {"encoder/kernel": 0.5, "encoder/*": 0.1}
    rows = lr_table(model, LayerLR(keras.optimizers.SGD(1.0), patterns))
    assert [r["multiplier"] for r in rows] == [0.5, 0.1, 1.0, 1.0]
    opt = LayerLR(keras.optimizers.SGD(1.0), patterns, overlap="error")
    with pytest.raises(ValueError, match=r"'net/encoder/kernel' is matched by several patterns"):
        opt.build(model.trainable_variables)
    # A pattern whose variables were all claimed by an earlier one matches nothing.
    shadowed = LayerLR(keras.optimizers.SGD(1.0), {"net/*": 1.0, "head/*": 2.0})
    with pytest.raises(ValueError, match="net/head/"):
        shadowed.build(model.trainable_variables)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"multipliers": {"a/*": -0.1}},
            ValueError,
            "`multipliers` values must be finite numbers >= 0",
        ),
        ({"multipliers": {"a/*": "fast"}}, TypeError, "`multipliers` values must be numbers"),
        ({"multipliers": {"re:([": 1.0}}, ValueError, "not a valid regular expression"),
        ({"multipliers": {3: 1.0}}, TypeError, "`multipliers` keys must be"),
        ({"multipliers": ["a/*"]}, TypeError, "`multipliers` must be a dict"),
        ({"overlap": "last"}, ValueError, "`overlap` must be one of"),
        ({"transforms": {"a/*": abs}}, TypeError, "`transforms` values must be GradientTransform"),
        ({"allow_unmatched": "yes"}, TypeError, "`allow_unmatched` must be a bool"),
    ],
)
def test_invalid_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        LayerLR(keras.optimizers.SGD(0.1), **kwargs)


def test_invalid_optimizer_and_set_multiplier():
    with pytest.raises(TypeError, match=r"`optimizer` must be a keras\.optimizers\.Optimizer"):
        LayerLR("adam")
    with pytest.raises(TypeError, match="wrap the LayerLR in a LossScaleOptimizer"):
        LayerLR(keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1)))
    opt = LayerLR(keras.optimizers.SGD(0.1), {"a/*": 1.0})
    with pytest.raises(ValueError, match="`multiplier` values must be finite numbers >= 0"):
        opt.set_multiplier("a/*", -1.0)
    with pytest.raises(ValueError, match="`pattern` must be one of"):
        opt.set_multiplier("b/*", 1.0)


def test_layer_objects_as_keys():
    model = small_model()
    opt = LayerLR(keras.optimizers.SGD(0.1), {model.get_layer("head"): 2.0})
    assert list(opt.multipliers) == ["head/*"]
    assert [r["learning_rate"] for r in opt.lr_table(model)] == pytest.approx([0.1, 0.1, 0.2, 0.2])


def test_transforms_see_unscaled_gradients_under_loss_scaling():
    """LossScaleOptimizer(LayerLR) clips the *unscaled* gradient: same result as no scaling."""

    def run(wrap):
        with keras.name_scope("a"):
            w = keras.Variable(np.zeros(3, "float32"), name="w")
        opt = LayerLR(keras.optimizers.SGD(1.0), {"a/*": 0.5}, {"a/*": clip_by_value(0.25)})
        scale = 1.0
        if wrap:
            opt = keras.optimizers.LossScaleOptimizer(opt, initial_scale=1024.0)
            scale = 1024.0
        grads = [ops.array([1.0, -0.1, 0.5]) * scale]
        if keras.backend.backend() == "jax":  # Keras' LossScaleOptimizer is stateless-only on JAX
            opt.build([w])
            (value,), _ = opt.stateless_apply([v.value for v in opt.variables], grads, [w.value])
            return ops.convert_to_numpy(value)
        opt.apply(grads, [w])
        return ops.convert_to_numpy(w)

    np.testing.assert_allclose(run(False), [-0.125, 0.05, -0.125], atol=1e-7)
    np.testing.assert_allclose(run(True), run(False), atol=1e-7)


def test_static_loss_scale_factor_of_inner_optimizer():
    with keras.name_scope("a"):
        w = keras.Variable(np.zeros(2, "float32"), name="w")
    opt = LayerLR(
        keras.optimizers.SGD(1.0, loss_scale_factor=8.0), transforms={"a/*": clip_by_value(1.0)}
    )
    assert float(ops.convert_to_numpy(opt.scale_loss(ops.array(1.0)))) == 8.0
    opt.apply([ops.array([4.0, 16.0])], [w])  # scaled by 8: unscaled (0.5, 2) -> clip (0.5, 1)
    np.testing.assert_allclose(ops.convert_to_numpy(w), [-0.5, -1.0], atol=1e-7)
    assert opt.get_config()["optimizer"]["config"]["loss_scale_factor"] == 8.0


def test_config_round_trip():
    opt = LayerLR(
        keras.optimizers.AdamW(1e-3, weight_decay=0.01),
        {"encoder/*": 0.1, "re:^head/": 2.0},
        {"encoder/*": clip_by_value(0.5)},
        overlap="error",
        allow_unmatched=True,
        name="layer_lr",
    )
    config = opt.get_config()
    again = LayerLR.from_config(config)
    assert again.get_config() == config
    assert isinstance(again.inner_optimizer, keras.optimizers.AdamW)


def test_save_and_load_restores_state_and_continues_identically(tmp_path):
    x, y = data()
    model = small_model()
    opt = LayerLR(
        keras.optimizers.SGD(0.05, momentum=0.9), {"encoder/*": 0.3}, {"head/*": clip_by_value(0.1)}
    )
    model.compile(opt, "mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    opt.set_multiplier("encoder/*", 0.2)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer, LayerLR)
    assert loaded.optimizer.multipliers == {"encoder/*": pytest.approx(0.2)}
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables, strict=True):
        np.testing.assert_array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(weights(model), weights(loaded), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_lr_table_rows_and_text():
    model = small_model()
    opt = LayerLR(
        keras.optimizers.Adam(1e-3), {"encoder/*": 0.1}, {"head/kernel": clip_by_value(1.0)}
    )
    table = lr_table(model, keras.optimizers.LossScaleOptimizer(opt))
    assert [r["learning_rate"] for r in table] == pytest.approx([1e-4, 1e-4, 1e-3, 1e-3])
    assert [r["transform"] for r in table] == ["-", "-", "ClipByValue", "-"]
    text = str(table).splitlines()
    assert text[0].split() == list(table.columns)
    assert text[2].split() == ["net/encoder/kernel", "4x8", "encoder/*", "0.1", "0.0001", "-"]
    plain = lr_table(model, keras.optimizers.SGD(0.5))
    assert {r["learning_rate"] for r in plain} == {0.5}


def test_layerwise_lr_decay():
    multipliers = layerwise_lr_decay(["embed/*", "block_0/*", "block_1/*"], 0.8, head=["head/*"])
    assert multipliers == pytest.approx(
        {"head/*": 1.0, "block_1/*": 0.8, "block_0/*": 0.64, "embed/*": 0.512}
    )
    assert list(multipliers) == ["head/*", "block_1/*", "block_0/*", "embed/*"]
    with pytest.raises(ValueError, match=r"`decay` must be a number in \(0, 1\]"):
        layerwise_lr_decay(["a/*"], 1.5)
    with pytest.raises(ValueError, match="`blocks` must be a non-empty list"):
        layerwise_lr_decay([], 0.5)
