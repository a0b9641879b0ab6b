"""SpectralNormalization: torch parity, operator norm vs an explicit matrix, state, saving."""

import keras
import numpy as np
import pytest
import torch
from torch.nn.utils.parametrizations import spectral_norm

from keras_lipschitz import SpectralNormalization

# (keras layer, input shape, torch module, kernel -> torch weight)
TORCH_CASES = {
    "dense": (lambda: keras.layers.Dense(5), (2, 7), lambda: torch.nn.Linear(7, 5), lambda k: k.T),
    "conv1d": (
        lambda: keras.layers.Conv1D(4, 3),
        (2, 9, 3),
        lambda: torch.nn.Conv1d(3, 4, 3),
        lambda k: k.transpose(2, 1, 0),
    ),
    "conv2d": (
        lambda: keras.layers.Conv2D(4, 3),
        (2, 6, 6, 3),
        lambda: torch.nn.Conv2d(3, 4, 3),
        lambda k: k.transpose(3, 2, 0, 1),
    ),
    "conv3d": (
        lambda: keras.layers.Conv3D(2, 2),
        (1, 4, 4, 4, 3),
        lambda: torch.nn.Conv3d(3, 2, 2),
        lambda k: k.transpose(4, 3, 0, 1, 2),
    ),
    "conv2d-transpose": (
        lambda: keras.layers.Conv2DTranspose(4, 3),
        (2, 5, 5, 3),
        lambda: torch.nn.ConvTranspose2d(3, 4, 3),
        lambda k: k.transpose(3, 2, 0, 1),
    ),
    "depthwise2d": (
        lambda: keras.layers.DepthwiseConv2D(3, depth_multiplier=2),
        (2, 6, 6, 3),
        lambda: torch.nn.Conv2d(3, 6, 3, groups=3),
        lambda k: k.transpose(2, 3, 0, 1).reshape(6, 1, 3, 3),
    ),
    "embedding": (
        lambda: keras.layers.Embedding(11, 4),
        None,
        lambda: torch.nn.Embedding(11, 4),
        lambda k: k,
    ),
}


def _call(layer, shape, training):
    if shape is None:
        return layer(np.arange(6).reshape(2, 3), training=training)
    return layer(
        np.random.RandomState(0).standard_normal(shape).astype("float32"), training=training
    )


@pytest.mark.parametrize("name", sorted(TORCH_CASES))
def test_reshaped_mode_matches_torch_spectral_norm(name):
    make_layer, shape, make_torch, to_torch = TORCH_CASES[name]
    keras.utils.set_random_seed(0)
    layer = SpectralNormalization(make_layer(), warmup_iterations=3)
    layer.build((None,) * 2 if shape is None else (None,) + shape[1:])
    kernel = keras.ops.convert_to_numpy(layer.kernel_variable).astype("float64")
    u0, v0 = (keras.ops.convert_to_numpy(t).astype("float64") for t in (layer.u, layer.v))

    module = make_torch().double()
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(np.ascontiguousarray(to_torch(kernel))))
    module = spectral_norm(module)
    parametrization = module.parametrizations.weight[0]
    parametrization._u.copy_(torch.from_numpy(u0))  # same starting vectors
    parametrization._v.copy_(torch.from_numpy(v0))
    module.train()
    expected = module.weight.detach().numpy()  # one power iteration, then W / sigma

    _call(layer, shape, training=True)
    got = to_torch(keras.ops.convert_to_numpy(layer.normalized_kernel()))
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.u), parametrization._u.numpy(), atol=1e-5
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.v), parametrization._v.numpy(), atol=1e-5
    )


def _operator_matrix(conv, kernel, input_shape):
    """The conv (no bias) with ``kernel`` as an explicit (inputs, outputs) matrix."""
    size = int(np.prod(input_shape))
    basis = np.eye(size, dtype="float32").reshape((size,) + tuple(input_shape))
    options = dict(strides=conv.strides, padding=conv.padding, dilation_rate=conv.dilation_rate)
    if isinstance(conv, keras.layers.DepthwiseConv2D):
        out = keras.ops.depthwise_conv(basis, kernel, **options)
    elif isinstance(conv, keras.layers.Conv2DTranspose):
        out = keras.ops.conv_transpose(basis, kernel, output_padding=conv.output_padding, **options)
    else:
        out = keras.ops.conv(basis, kernel, **options)
    return keras.ops.convert_to_numpy(out).reshape(size, -1)


OPERATOR_CASES = {
    "conv2d-same": (lambda: keras.layers.Conv2D(8, 3, padding="same"), (8, 8, 4)),
    "conv2d-stride2-valid": (lambda: keras.layers.Conv2D(3, 3, strides=2), (7, 7, 2)),
    "conv2d-stride2-same": (
        lambda: keras.layers.Conv2D(3, 4, strides=2, padding="same"),
        (6, 6, 2),
    ),
    "conv2d-transpose-stride2": (
        lambda: keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
        (4, 4, 2),
    ),
    "depthwise2d": (
        lambda: keras.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        (5, 5, 2),
    ),
}


@pytest.mark.parametrize("name", sorted(OPERATOR_CASES))
def test_operator_mode_bounds_the_true_operator_norm(name):
    make_layer, input_shape = OPERATOR_CASES[name]
    keras.utils.set_random_seed(1)
    layer = SpectralNormalization(make_layer(), mode="operator")
    layer.build((None,) + input_shape)
    matrix = _operator_matrix(layer.layer, layer.normalized_kernel(), input_shape)
    assert abs(np.linalg.norm(matrix, 2) - 1.0) < 0.01


def test_keras_builtin_leaves_conv_operator_norm_above_one():
    keras.utils.set_random_seed(1)
    builtin = keras.layers.SpectralNormalization(
        keras.layers.Conv2D(8, 3, padding="same"), power_iterations=30
    )
    x = np.random.RandomState(0).standard_normal((2, 8, 8, 4)).astype("float32")
    builtin(x, training=True)
    matrix = _operator_matrix(builtin.layer, builtin.layer.kernel, (8, 8, 4))
    assert np.linalg.norm(matrix, 2) > 1.3  # the reshaped bound does not bound the conv


def test_inference_uses_stored_vectors_and_training_updates_them_without_touching_kernel():
    layer = SpectralNormalization(keras.layers.Dense(3), warmup_iterations=0)
    x = np.ones((2, 4), "float32")
    layer.build((None, 4))
    u0, kernel0 = (keras.ops.convert_to_numpy(t) for t in (layer.u, layer.kernel_variable))
    y = layer(x, training=False)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.u), u0)
    expected = x @ keras.ops.convert_to_numpy(layer.normalized_kernel())
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y), expected, atol=1e-5)
    layer(x, training=True)
    assert not np.allclose(keras.ops.convert_to_numpy(layer.u), u0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.kernel_variable), kernel0)


def test_sigma_gradient_option_changes_the_training_gradient():
    results = []
    for sigma_gradient in (True, False):
        keras.utils.set_random_seed(3)
        model = keras.Sequential(
            [
                keras.Input((4,)),
                SpectralNormalization(
                    keras.layers.Dense(3, use_bias=False), sigma_gradient=sigma_gradient
                ),
            ]
        )
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        model.train_on_batch(np.ones((2, 4), "float32"), np.zeros((2, 3), "float32"))
        results.append(keras.ops.convert_to_numpy(model.layers[0].kernel_variable))
    assert np.all(np.isfinite(results[0])) and not np.allclose(results[0], results[1])


def test_saves_and_reloads_u_and_v(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((5,)),
            SpectralNormalization(keras.layers.Dense(2), mode="operator", power_iterations=2),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 5), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    for a, b in zip(model.layers[0].weights, loaded.layers[0].weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert loaded.layers[0].get_config()["power_iterations"] == 2


def test_mixed_precision_keeps_float32_state():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = SpectralNormalization(keras.layers.Conv2D(2, 3), mode="operator")
        y = layer(np.ones((1, 5, 5, 2), "float32"), training=True)
        assert y.dtype == "float16" or "float16" in str(y.dtype)
        assert layer.u.dtype == "float32" and np.all(
            np.isfinite(keras.ops.convert_to_numpy(layer.u))
        )
    finally:
        keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"power_iterations": 0}, ValueError, "`power_iterations` must be >= 1"),
        ({"power_iterations": 1.5}, TypeError, "`power_iterations` must be an int"),
        ({"mode": "svd"}, ValueError, "`mode` must be one of"),
        ({"eps": 0.0}, ValueError, "`eps` must be a number > 0"),
        ({"warmup_iterations": -1}, ValueError, "`warmup_iterations` must be >= 0"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        SpectralNormalization(keras.layers.Dense(2), **kwargs)


def test_bad_layers_and_shapes():
    with pytest.raises(TypeError, match=r"`layer` must be a keras\.layers\.Layer"):
        SpectralNormalization("dense")
    with pytest.raises(ValueError, match=r"`layer` must have a `kernel`.*Dropout"):
        SpectralNormalization(keras.layers.Dropout(0.1))(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="`mode`='operator' needs the full input shape"):
        SpectralNormalization(keras.layers.Conv2D(2, 3), mode="operator").build(
            (None, None, None, 3)
        )


def test_sigma_ignores_the_length_of_stored_vectors():
    """An EMA of all model variables averages u and v and shrinks them; sigma must not shrink."""
    import keras
    import numpy as np

    from keras_lipschitz import SpectralNormalization

    layer = SpectralNormalization(keras.layers.Dense(5))
    layer.build((None, 7))
    before = float(keras.ops.convert_to_numpy(layer.sigma()))
    layer.u.assign(layer.u.value * 0.36)
    layer.v.assign(layer.v.value * 0.5)
    after = float(keras.ops.convert_to_numpy(layer.sigma()))
    kernel = keras.ops.convert_to_numpy(layer.layer.kernel)
    np.testing.assert_allclose(after, before, rtol=1e-6)
    exact = np.linalg.norm(kernel, 2)
    # 15 warm-up iterations from a random u: an estimate from below, within 1%
    assert exact * 0.99 <= after <= exact * (1 + 1e-6)
