"""`lipschitz_report`: per-layer spectral norms, their product, and the empirical gradient."""

from dataclasses import dataclass, field

import keras
import numpy as np
from keras import ops

from keras_lipschitz import _keras_compat, _linear_maps
from keras_lipschitz._input_gradient import input_gradient
from keras_lipschitz.spectral_normalization import SpectralNormalization


@dataclass
class LipschitzReport:
    """What `lipschitz_report` measured.

    Attributes:
        rows: one dict per layer with weights: ``layer``, ``type``, ``sigma_reshaped`` (largest
            singular value of the reshaped kernel, exact), ``sigma_operator`` (operator norm of
            the layer as a linear map, by power iteration; equals the former for dense
            layers), ``sigma`` (the factor used in the bound).
        bound: product of the ``sigma`` column: an upper bound on the model's L2 Lipschitz
            constant when the other layers are 1-Lipschitz (ReLU, tanh, pooling, dropout).
        gradient_norm_mean / gradient_norm_max: L2 norm over the data of
            ``d max_k f_k(x) / dx`` (the top output's input gradient), a lower bound.

    Example:

    >>> report = LipschitzReport(
    ...     rows=[{"layer": "d", "type": "Dense", "sigma_reshaped": 2.0,
    ...            "sigma_operator": 2.0, "sigma": 2.0}],
    ...     bound=2.0, gradient_norm_mean=1.5, gradient_norm_max=1.9)
    >>> print(str(report).splitlines()[2])
    | d | Dense | 2.0000 | 2.0000 | 2.0000 |
    >>> report.bound >= report.gradient_norm_max  # the bound is an upper bound
    True
    """

    rows: list = field(default_factory=list)
    bound: float = 1.0
    gradient_norm_mean: float = 0.0
    gradient_norm_max: float = 0.0

    def __str__(self):
        lines = [
            "| layer | type | sigma (reshaped) | sigma (operator) | sigma used |",
            "|---|---|---|---|---|",
        ]
        for row in self.rows:
            lines.append(
                f"| {row['layer']} | {row['type']} | {row['sigma_reshaped']:.4f} | "
                f"{row['sigma_operator']:.4f} | {row['sigma']:.4f} |"
            )
        lines.append(f"\nLipschitz bound (product): {self.bound:.4f}")
        lines.append(
            f"empirical input-gradient norm: mean {self.gradient_norm_mean:.4f}, "
            f"max {self.gradient_norm_max:.4f}"
        )
        return "\n".join(lines)


def _leaf_layers(model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def _input_shape(layer):
    try:
        return tuple(layer.input.shape)
    except (AttributeError, ValueError):
        return None


def _operator_norm(layer, kernel, input_shape, iterations=100):
    forward, adjoint, _ = _linear_maps.conv_operator(layer, input_shape)
    rng = np.random.RandomState(0)
    v = ops.convert_to_tensor(rng.standard_normal((1,) + tuple(input_shape[1:])), "float32")
    v = _linear_maps.normalize(v, 1e-12)
    for _ in range(iterations):
        u = _linear_maps.normalize(forward(v, kernel), 1e-12)
        v = _linear_maps.normalize(adjoint(u, kernel), 1e-12)
    return float(ops.sum(u * forward(v, kernel)))


def _kernel_row(layer, wrapper=None):
    inner = layer.layer if isinstance(layer, keras.layers.Wrapper) else layer
    if wrapper is not None:
        kernel = ops.convert_to_tensor(wrapper.normalized_kernel(), "float32")
        input_shape = _input_shape(wrapper)
    else:
        variable = _keras_compat.stored_kernel(inner)  # inside built-in wrappers too
        if not isinstance(variable, keras.Variable) or len(variable.shape) < 2:
            return None
        kernel = ops.convert_to_tensor(variable, "float32")
        input_shape = _input_shape(layer)
    layout = _linear_maps.matrix_layout(inner, tuple(kernel.shape))
    matrix = ops.convert_to_numpy(_linear_maps.to_matrix(kernel, layout))
    reshaped = float(np.linalg.norm(matrix, 2))
    operator = reshaped
    if _linear_maps.is_conv(inner) and input_shape and None not in input_shape[1:]:
        operator = _operator_norm(inner, kernel, input_shape)
    name = type(inner).__name__ + ("+SN" if wrapper is not None else "")
    return {
        "layer": layer.name,
        "type": name,
        "sigma_reshaped": reshaped,
        "sigma_operator": operator,
        "sigma": operator,
    }


def _batchnorm_row(layer):
    scale = 1.0 / np.sqrt(ops.convert_to_numpy(layer.moving_variance) + layer.epsilon)
    if layer.scale:
        scale = scale * ops.convert_to_numpy(layer.gamma)
    sigma = float(np.max(np.abs(scale)))
    return {
        "layer": layer.name,
        "type": "BatchNormalization",
        "sigma_reshaped": sigma,
        "sigma_operator": sigma,
        "sigma": sigma,
    }


def lipschitz_report(model, x):
    """Per-layer sigma estimates, their product, and the empirical input-gradient norm.

    Args:
        model: a built Keras model (Sequential or functional; nested models are walked).
            Convolutions need known input shapes for their operator norm.
        x: a batch of inputs (numpy or tensor) on which the gradient norm is measured.

    Returns:
        A `LipschitzReport`; ``print(report)`` shows the table.

    Example:

    >>> import numpy as np, keras
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    >>> model.set_weights([np.array([[3.0], [4.0]])])
    >>> report = lipschitz_report(model, np.ones((4, 2), "float32"))
    >>> round(report.bound, 4), round(report.gradient_norm_max, 4)
    (5.0, 5.0)
    """
    report = LipschitzReport()
    for layer in _leaf_layers(model):
        if isinstance(layer, SpectralNormalization):
            row = _kernel_row(layer, wrapper=layer)
        elif isinstance(layer, keras.layers.BatchNormalization):
            row = _batchnorm_row(layer)
        else:
            row = _kernel_row(layer)
        if row is not None:
            report.rows.append(row)
            report.bound *= row["sigma"]

    def top_output(inputs):
        return ops.max(ops.reshape(model(inputs, training=False), (ops.shape(inputs)[0], -1)), -1)

    _, gradient = input_gradient(top_output, ops.convert_to_tensor(x, "float32"))
    gradient = ops.convert_to_numpy(ops.cast(gradient, "float32")).reshape(len(x), -1)
    norms = np.linalg.norm(gradient, axis=1)
    report.gradient_norm_mean = float(norms.mean())
    report.gradient_norm_max = float(norms.max())
    return report
