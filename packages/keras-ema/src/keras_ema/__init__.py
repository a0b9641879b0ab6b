"""keras-ema: weight EMA for any model, any optimizer, any backend.

>>> from keras_ema import ExponentialMovingAverage
>>> ExponentialMovingAverage(decay=0.99).decay
0.99

Keras is imported on first access to a public name, so listing plugins stays cheap.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["EMAModel", "EMAState", "ExponentialMovingAverage"]


def __getattr__(name: str) -> Any:
    if name == "ExponentialMovingAverage":
        from keras_ema.callback import ExponentialMovingAverage

        return ExponentialMovingAverage
    if name == "EMAModel":
        from keras_ema.model import EMAModel

        return EMAModel
    if name == "EMAState":
        from keras_ema.state import EMAState

        return EMAState
    raise AttributeError(f"module 'keras_ema' has no attribute {name!r}")
