"""keras-probe: Capture intermediate tensors, in-model losses and metrics, process-safe data."""

__version__ = "0.1.0"
