"""`ProbedMultiHeadAttention`: Keras' `MultiHeadAttention` that probes its attention scores."""

from __future__ import annotations

from typing import Any

import keras

from keras_probe._probe import is_probing, probe


@keras.saving.register_keras_serializable(package="keras_probe")
class ProbedMultiHeadAttention(keras.layers.MultiHeadAttention):
    """`keras.layers.MultiHeadAttention` whose attention scores can be captured.

    A drop-in replacement (same arguments, same weights, loads the same checkpoints) that calls
    `probe(probe_name, scores)` with the softmax scores of shape `(batch, heads, query, key)`.
    While no capture is active it runs exactly the parent's code, including the fused
    dot-product attention kernel; while one is active it calls the parent with
    `return_attention_scores=True` (the explicit scores), which differs by float round-off only.

    Recipe without the wrapper: call the stock layer with `return_attention_scores=True` inside
    your own layer and `probe()` the second output.

    Args:
        probe_name: name of the probe; default `"attention"`. Non-empty string.
        **kwargs: every `keras.layers.MultiHeadAttention` argument (`num_heads`, `key_dim`...).

    Returns:
        The attention output, like the parent layer.

    Example:

    >>> import numpy as np, keras
    >>> from keras_probe import ProbedMultiHeadAttention, capture
    >>> x_in = keras.Input((5, 8))
    >>> y = ProbedMultiHeadAttention(num_heads=2, key_dim=4)(x_in, x_in)
    >>> model = keras.Model(x_in, y)
    >>> with capture(model) as captured:
    ...     _ = model.predict(np.ones((3, 5, 8), "float32"), verbose=0)
    >>> captured["attention"].shape
    (3, 2, 5, 5)
    """

    def __init__(self, num_heads: int, key_dim: int, probe_name: str = "attention", **kwargs: Any):
        if not isinstance(probe_name, str) or not probe_name:
            raise ValueError(
                f"`probe_name` must be a non-empty string. Received: probe_name={probe_name!r}"
            )
        super().__init__(num_heads=num_heads, key_dim=key_dim, **kwargs)
        self.probe_name = probe_name

    # The public `call` (same signature as the parent's), so the parent's own code runs
    # unchanged, fused kernel included, whenever no probe would be recorded.
    def call(
        self,
        query: Any,
        value: Any,
        key: Any = None,
        query_mask: Any = None,
        value_mask: Any = None,
        key_mask: Any = None,
        attention_mask: Any = None,
        return_attention_scores: bool = False,
        training: Any = None,
        use_causal_mask: bool = False,
    ) -> Any:
        arguments = dict(
            key=key,
            query_mask=query_mask,
            value_mask=value_mask,
            key_mask=key_mask,
            attention_mask=attention_mask,
            training=training,
            use_causal_mask=use_causal_mask,
        )
        if not is_probing():
            return super().call(
                query, value, return_attention_scores=return_attention_scores, **arguments
            )
        output, scores = super().call(query, value, return_attention_scores=True, **arguments)
        probe(self.probe_name, scores)
        return (output, scores) if return_attention_scores else output

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "probe_name": self.probe_name}
