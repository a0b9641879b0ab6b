"""A wrapped layer's kernel seen as a linear map: as a reshaped matrix, or as the conv operator.

`matrix_layout` gives the permutation that turns a Keras kernel into the ``(rows, cols)`` matrix
`torch.nn.utils.parametrizations.spectral_norm` uses for the same layer (output channels first;
for ``ConvTranspose`` the output axis is Keras' second to last, torch's ``dim=1``).
`conv_operator` returns ``forward(v, kernel)`` and its adjoint ``adjoint(u, kernel)`` for a
convolution on a fixed input shape, so power iteration finds the conv's true operator norm.
"""

import math

import keras
from keras import ops

# Keras' convolutions by kernel layout (every public subclass of its private base classes).
_CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)
_CONV_TRANSPOSE = (
    keras.layers.Conv1DTranspose,
    keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose,
)
_DEPTHWISE_CONV = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)


def is_conv(layer):
    """Whether ``layer`` is a convolution `conv_operator` can express."""
    return isinstance(layer, _CONV + _CONV_TRANSPOSE + _DEPTHWISE_CONV)


def matrix_layout(layer, kernel_shape):
    """``(permutation, rows)`` such that ``reshape(transpose(kernel, perm), (rows, -1))`` is
    the matrix torch's spectral norm uses for the equivalent torch layer."""
    rank = len(kernel_shape)
    spatial = tuple(range(rank - 2))
    if isinstance(layer, keras.layers.Embedding):
        return tuple(range(rank)), kernel_shape[0]
    if isinstance(layer, _DEPTHWISE_CONV):  # (k..., in, multiplier) -> (in * multiplier, k)
        return (rank - 2, rank - 1) + spatial, kernel_shape[-2] * kernel_shape[-1]
    if isinstance(layer, _CONV_TRANSPOSE):  # (k..., out, in) -> (out, in * k)
        return (rank - 2, rank - 1) + spatial, kernel_shape[-2]
    if isinstance(layer, _CONV):  # (k..., in, out) -> (out, in * k)
        return (rank - 1, rank - 2) + spatial, kernel_shape[-1]
    return (rank - 1,) + tuple(range(rank - 1)), kernel_shape[-1]  # Dense & co: (out, in)


def to_matrix(kernel, layout):
    permutation, rows = layout
    return ops.reshape(ops.transpose(kernel, permutation), (rows, -1))


def normalize(x, eps):
    """``x / max(||x||_2, eps)`` over all elements (torch's ``F.normalize``)."""
    return x / ops.maximum(ops.sqrt(ops.sum(ops.square(x))), eps)


def _spatial(shape, data_format):
    return tuple(shape[1:-1]) if data_format == "channels_last" else tuple(shape[2:])


def _transposed_length(size, kernel_size, stride, padding, output_padding, dilation):
    """Length of one spatial axis of size ``size`` after ``ops.conv_transpose`` (Keras' own
    shape inference, on a symbolic one-channel input)."""
    inputs = keras.KerasTensor((1, size, 1))
    kernel = keras.KerasTensor((kernel_size, 1, 1))
    outputs = ops.conv_transpose(
        inputs,
        kernel,
        strides=stride,
        padding=padding,
        output_padding=output_padding,
        data_format="channels_last",
        dilation_rate=dilation,
    )
    return outputs.shape[1]


def _transpose_output_padding(layer, out_spatial, target_spatial):
    """``output_padding`` making a transposed conv map ``out_spatial`` back to ``target``."""
    kernel_size = layer.kernel_size
    if all(
        _transposed_length(
            size, kernel_size[i], layer.strides[i], layer.padding, None, layer.dilation_rate[i]
        )
        == target
        for i, (size, target) in enumerate(zip(out_spatial, target_spatial))
    ):
        return None
    padding = []
    for i, (size, target) in enumerate(zip(out_spatial, target_spatial)):
        stride, dilation = layer.strides[i], layer.dilation_rate[i]
        for candidate in range(max(stride, 1)):
            got = _transposed_length(
                size, kernel_size[i], stride, layer.padding, candidate, dilation
            )
            if got == target:
                padding.append(candidate)
                break
        else:
            raise ValueError(
                f"cannot express the adjoint of {type(layer).__name__} for `mode`='operator' on "
                f"input spatial shape {tuple(target_spatial)}. Use mode='reshaped'."
            )
    return tuple(padding)


def conv_operator(layer, input_shape):
    """Return ``(forward, adjoint, output_shape)`` of ``layer``'s convolution (no bias).

    Args:
        layer: a built convolution layer (``is_conv(layer)``), ``groups == 1``.
        input_shape: the layer's input shape; every non-batch dimension must be known.

    Returns:
        ``forward(v, kernel)`` maps a ``(1, *input_shape[1:])`` tensor to the output space,
        ``adjoint(u, kernel)`` is its transpose, ``output_shape`` is ``(1, ...)``.
    """
    if getattr(layer, "groups", 1) != 1:
        raise ValueError(
            "`mode`='operator' does not support grouped convolutions. "
            f"Received: groups={layer.groups}"
        )
    in_shape = (1,) + tuple(input_shape[1:])
    out_shape = tuple(layer.compute_output_shape(in_shape))
    options = dict(
        strides=layer.strides,
        padding=layer.padding,
        data_format=layer.data_format,
        dilation_rate=layer.dilation_rate,
    )
    in_spatial = _spatial(in_shape, layer.data_format)
    out_spatial = _spatial(out_shape, layer.data_format)
    if isinstance(layer, _CONV_TRANSPOSE):
        padding = layer.output_padding

        def forward(v, kernel):
            return ops.conv_transpose(v, kernel, output_padding=padding, **options)

        def adjoint(u, kernel):
            return ops.conv(u, kernel, **options)

        return forward, adjoint, out_shape

    back_padding = _transpose_output_padding(layer, out_spatial, in_spatial)
    if isinstance(layer, _DEPTHWISE_CONV):

        def forward(v, kernel):
            return ops.depthwise_conv(v, kernel, **options)

        def adjoint(u, kernel):
            return ops.conv_transpose(
                u, _depthwise_as_dense(kernel), output_padding=back_padding, **options
            )

        return forward, adjoint, out_shape

    def forward(v, kernel):
        return ops.conv(v, kernel, **options)

    def adjoint(u, kernel):
        return ops.conv_transpose(u, kernel, output_padding=back_padding, **options)

    return forward, adjoint, out_shape


def _depthwise_as_dense(kernel):
    """``(k..., in, m)`` depthwise kernel -> the equivalent dense ``(k..., in, in * m)`` one."""
    channels, multiplier = kernel.shape[-2], kernel.shape[-1]
    eye = ops.eye(channels, dtype=kernel.dtype)[:, :, None]  # (in_d, in_c, 1)
    dense = ops.expand_dims(kernel, -3) * eye  # (k..., in_d, in_c, m)
    return ops.reshape(dense, tuple(kernel.shape[:-2]) + (channels, channels * multiplier))


def numel(shape):
    return math.prod(int(d) for d in shape)
