"""keras-layerlr: per-layer learning rates and per-variable gradient transforms for any optimizer.

Importing the package is cheap; Keras is imported when a public name is first used.
"""

__version__ = "0.1.0"

_EXPORTS = {
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

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'keras_layerlr' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
