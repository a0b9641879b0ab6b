"""keras-layerlr: Per-layer learning rates and per-variable gradient transforms for any optimizer."""

__version__ = "0.1.0"
