import keras
import numpy as np
import pytest

from keras_gan_arch import (
    ClassProjection,
    ConditionalBatchNormalization,
    DiscriminatorResBlock,
    GeneratorResBlock,
    SelfModulatedBatchNormalization,
)

ATOL = 1e-5


def _normalized(h, eps=1e-5):
    mean = h.mean(axis=(0, 1, 2))
    var = h.var(axis=(0, 1, 2))
    return (h - mean) / np.sqrt(var + eps)


def test_conditional_batchnorm_matches_numpy():
    rng = np.random.default_rng(0)
    h = rng.normal(size=(6, 3, 3, 4)).astype("float32")
    labels = np.array([0, 1, 2, 0, 1, 2])
    layer = ConditionalBatchNormalization(3)
    layer([h, labels])
    gamma = rng.normal(size=(3, 4)).astype("float32")
    beta = rng.normal(size=(3, 4)).astype("float32")
    layer.gamma.embeddings.assign(gamma)
    layer.beta.embeddings.assign(beta)
    out = keras.ops.convert_to_numpy(layer([h, labels], training=True))
    expected = _normalized(h) * (1 + gamma[labels][:, None, None]) + beta[labels][:, None, None]
    np.testing.assert_allclose(out, expected, atol=ATOL)


def test_selfmod_batchnorm_matches_numpy_and_starts_as_plain_batchnorm():
    rng = np.random.default_rng(1)
    h = rng.normal(size=(5, 2, 2, 3)).astype("float32")
    z = rng.normal(size=(5, 6)).astype("float32")
    layer = SelfModulatedBatchNormalization(hidden_units=4)
    out = keras.ops.convert_to_numpy(layer([h, z], training=True))
    np.testing.assert_allclose(out, _normalized(h), atol=ATOL)  # zero heads: plain BN
    w1, b1 = rng.normal(size=(6, 4)), rng.normal(size=4)
    wg, bg = rng.normal(size=(4, 3)), rng.normal(size=3)
    wb, bb = rng.normal(size=(4, 3)), rng.normal(size=3)
    layer.hidden.set_weights([w1, b1])
    layer.gamma.set_weights([wg, bg])
    layer.beta.set_weights([wb, bb])
    out = keras.ops.convert_to_numpy(layer([h, z], training=True))
    hidden = np.maximum(z @ w1 + b1, 0)
    gamma, beta = hidden @ wg + bg, hidden @ wb + bb
    expected = _normalized(h) * (1 + gamma[:, None, None]) + beta[:, None, None]
    np.testing.assert_allclose(out, expected, atol=1e-4)


def test_class_projection_is_inner_product_with_embedding():
    layer = ClassProjection(3)
    features = np.arange(8, dtype="float32").reshape(2, 4)
    labels = np.array([2, 0])
    layer([features, labels])
    table = np.arange(12, dtype="float32").reshape(3, 4) / 10
    layer.embedding.embeddings.assign(table)
    out = keras.ops.convert_to_numpy(layer([features, labels]))
    np.testing.assert_allclose(out[:, 0], (table[labels] * features).sum(1), atol=ATOL)
    # hand-worked: label 0 row is [0, .1, .2, .3] and features [4, 5, 6, 7] -> 3.8
    assert out[1, 0] == pytest.approx(3.8, abs=1e-5)


@pytest.mark.parametrize(
    "normalization,condition",
    [
        ("batch", None),
        ("self_modulated", np.ones((2, 5), "float32")),
        ("conditional", np.array([0, 1])),
    ],
)
def test_generator_block_shapes(normalization, condition):
    block = GeneratorResBlock(
        6, normalization=normalization, num_classes=2 if normalization == "conditional" else None
    )
    h = np.ones((2, 4, 4, 3), "float32")
    out = block(h if condition is None else [h, condition], training=True)
    assert tuple(out.shape) == (2, 8, 8, 6)


def test_discriminator_block_spectral_norm_and_shape():
    block = DiscriminatorResBlock(5, preactivation=False)
    out = block(np.ones((2, 8, 8, 1), "float32"), training=True)
    assert tuple(out.shape) == (2, 4, 4, 5)
    assert "Spectral" in type(block.conv1).__name__


@pytest.mark.parametrize(
    "factory,kwargs,argument",
    [
        (ConditionalBatchNormalization, {"num_classes": 0}, "num_classes"),
        (SelfModulatedBatchNormalization, {"hidden_units": -1}, "hidden_units"),
        (SelfModulatedBatchNormalization, {"momentum": 1.5}, "momentum"),
        (GeneratorResBlock, {"filters": 4, "normalization": "group"}, "normalization"),
        (GeneratorResBlock, {"filters": 4, "normalization": "conditional"}, "num_classes"),
        (GeneratorResBlock, {"filters": 4, "num_classes": 3}, "num_classes"),
        (DiscriminatorResBlock, {"filters": 0}, "filters"),
    ],
)
def test_layer_misuse_names_argument(factory, kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        factory(**kwargs)
