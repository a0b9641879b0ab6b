"""Gradient transforms against numpy references, and their routing inside LayerLR."""

import keras
import numpy as np
import pytest
from keras import ops

import keras_layerlr as llr

RNG = np.random.default_rng(0)
G = RNG.normal(size=(3, 2, 4)).astype("float32")
W = RNG.normal(size=(3, 2, 4)).astype("float32")


def np_agc(g, w, clipping, eps):
    axes = tuple(range(g.ndim - 1))
    g_norm = np.sqrt((g**2).sum(axis=axes, keepdims=True)) if axes else np.abs(g)
    w_norm = np.sqrt((w**2).sum(axis=axes, keepdims=True)) if axes else np.abs(w)
    max_norm = np.maximum(w_norm, eps) * clipping
    return g * np.minimum(1.0, max_norm / np.maximum(g_norm, 1e-30))


@pytest.mark.parametrize(
    "transform, reference",
    [
        (llr.clip_by_value(0.5), lambda g, w: np.clip(g, -0.5, 0.5)),
        (llr.clip_by_norm(1.0), lambda g, w: g / max(1.0, np.linalg.norm(g))),
        (llr.adaptive_grad_clip(0.05, 1e-3), lambda g, w: np_agc(g, w, 0.05, 1e-3)),
        (llr.centralize_gradients(), lambda g, w: g - g.mean(axis=(0, 1), keepdims=True)),
        (llr.from_callable(lambda g, v: g * v), lambda g, w: g * w),
        (
            llr.chain(llr.centralize_gradients(), llr.clip_by_norm(0.3)),
            lambda g, w: (lambda c: c * 0.3 / max(0.3, np.linalg.norm(c)))(
                g - g.mean(axis=(0, 1), keepdims=True)
            ),
        ),
    ],
    ids=["value", "norm", "agc", "centralize", "callable", "chain"],
)
def test_transform_matches_numpy(transform, reference):
    out = transform(ops.convert_to_tensor(G), ops.convert_to_tensor(W))
    np.testing.assert_allclose(ops.convert_to_numpy(out), reference(G, W), atol=1e-6)


def test_agc_by_hand_and_on_vectors():
    # unit norm of W is 2, clipping 0.1 -> max grad norm 0.2; grad norm 1 -> scaled to 0.2.
    out = llr.adaptive_grad_clip(0.1)(ops.array([[1.0], [0.0]]), ops.array([[2.0], [0.0]]))
    np.testing.assert_allclose(ops.convert_to_numpy(out), [[0.2], [0.0]], atol=1e-7)
    bias = llr.adaptive_grad_clip(0.1)(ops.array([1.0, 0.001]), ops.array([1.0, 1.0]))
    np.testing.assert_allclose(ops.convert_to_numpy(bias), [0.1, 0.001], atol=1e-7)
    assert llr.centralize_gradients()(ops.array([1.0, 3.0]), None).shape == (2,)


def test_noise_is_seeded_and_annealed():
    def draws(seed, step):
        noise = llr.add_noise(eta=0.25, gamma=0.55, seed=seed)
        noise.build(None)
        return ops.convert_to_numpy(noise(ops.zeros((20000,)), None, step))

    first = draws(1, 0)
    np.testing.assert_array_equal(first, draws(1, 0))
    assert not np.allclose(first, draws(2, 0))
    assert abs(first.std() - 0.5) < 0.01 and abs(first.mean()) < 0.01
    late = draws(1, 99)
    assert abs(late.std() - np.sqrt(0.25 / 100**0.55)) < 0.01


@pytest.mark.parametrize(
    "factory, kwargs, match",
    [
        (llr.clip_by_value, {"limit": 0.0}, "`limit` must be > 0"),
        (llr.clip_by_norm, {"max_norm": -1.0}, "`max_norm` must be > 0"),
        (llr.adaptive_grad_clip, {"clipping": "x"}, "`clipping` must be a number"),
        (llr.add_noise, {"seed": 1.5}, "`seed` must be an int"),
        (llr.from_callable, {"fn": 3}, "`fn` must be callable"),
    ],
)
def test_transform_arguments_are_validated(factory, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        factory(**kwargs)
    with pytest.raises(TypeError, match="`transforms` must be GradientTransform"):
        llr.chain(llr.clip_by_value(1.0), abs)


def test_transforms_apply_only_to_matched_variables():
    with keras.name_scope("a"):
        a = keras.Variable(np.zeros(2, "float32"), name="w")
    with keras.name_scope("b"):
        b = keras.Variable(np.zeros(2, "float32"), name="w")
    opt = llr.LayerLR(keras.optimizers.SGD(1.0), transforms={"a/*": llr.clip_by_value(0.5)})
    grad = ops.array([2.0, -0.25])
    opt.apply([grad, grad], [a, b])
    np.testing.assert_allclose(ops.convert_to_numpy(a), [-0.5, 0.25])
    np.testing.assert_allclose(ops.convert_to_numpy(b), [-2.0, 0.25])


def test_transform_configs_round_trip():
    for t in [
        llr.chain(llr.clip_by_value(0.5), llr.adaptive_grad_clip(0.02, 1e-4)),
        llr.add_noise(0.1, 0.3, seed=7),
        llr.centralize_gradients(),
    ]:
        config = keras.saving.serialize_keras_object(t)
        again = keras.saving.deserialize_keras_object(config)
        assert keras.saving.serialize_keras_object(again) == config
