"""keras-ema: Weight EMA for any model, any optimizer, any backend."""

__version__ = "0.1.0"
