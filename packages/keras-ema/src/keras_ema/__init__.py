"""keras-ema: weight EMA for any model, any optimizer, any backend.

Keras is imported on first access to a public name (``keras_plugin_harness.lazy_exports``),
so discovering plugins stays cheap.
"""

from keras_plugin_harness import lazy_exports

__version__ = "0.1.0"

# public name -> the submodule that defines it
_WHERE = {
    "EMAModel": "model",
    "EMAState": "state",
    "ExponentialMovingAverage": "callback",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
