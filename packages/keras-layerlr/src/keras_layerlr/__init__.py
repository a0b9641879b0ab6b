"""keras-layerlr: per-layer learning rates and gradient transforms for any Keras optimizer."""

from .layer_lr import LayerLR, lr_table
from .llrd import layerwise_lr_decay
from .table import LRTable
from .transforms import (
    AdaptiveGradClip,
    AddNoise,
    CentralizeGradients,
    Chain,
    ClipByNorm,
    ClipByValue,
    FromCallable,
    GradientTransform,
    adaptive_grad_clip,
    add_noise,
    centralize_gradients,
    chain,
    clip_by_norm,
    clip_by_value,
    from_callable,
)

__version__ = "0.1.0"

__all__ = [
    "LayerLR",
    "LRTable",
    "lr_table",
    "layerwise_lr_decay",
    "GradientTransform",
    "Chain",
    "ClipByValue",
    "ClipByNorm",
    "AdaptiveGradClip",
    "CentralizeGradients",
    "AddNoise",
    "FromCallable",
    "chain",
    "clip_by_value",
    "clip_by_norm",
    "adaptive_grad_clip",
    "centralize_gradients",
    "add_noise",
    "from_callable",
]
