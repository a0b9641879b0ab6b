"""keras-ema: weight EMA for any model, any optimizer, any backend."""

from keras_ema.callback import ExponentialMovingAverage
from keras_ema.model import EMAModel
from keras_ema.state import EMAState

__version__ = "0.1.0"

__all__ = ["EMAModel", "EMAState", "ExponentialMovingAverage"]
