"""keras-layerlr: per-layer learning rates and per-variable gradient transforms for any optimizer.

Keras is imported on first access to a public name (``keras_plugin_harness.lazy_exports``),
so discovering plugins stays cheap.
"""

from keras_plugin_harness import lazy_exports

__version__ = "0.1.0"

# public name -> the submodule that defines it
_WHERE = {
    "LayerLR": "layer_lr",
    "lr_table": "table",
    "LRTable": "table",
    "layerwise_lr_decay": "llrd",
    "GradientTransform": "transforms",
    "Chain": "transforms",
    "ClipByValue": "transforms",
    "ClipByNorm": "transforms",
    "AdaptiveGradClip": "transforms",
    "CentralizeGradients": "transforms",
    "AddNoise": "transforms",
    "FromCallable": "transforms",
    "chain": "transforms",
    "clip_by_value": "transforms",
    "clip_by_norm": "transforms",
    "adaptive_grad_clip": "transforms",
    "centralize_gradients": "transforms",
    "add_noise": "transforms",
    "from_callable": "transforms",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
