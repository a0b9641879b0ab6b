"""keras-probe: capture intermediate tensors, in-model losses and metrics, process-safe data.

Keras is imported on first access to a public name (``keras_plugin_harness.lazy_exports``),
so discovering plugins stays cheap.
"""

from keras_plugin_harness import lazy_exports

__version__ = "0.1.0"

# public name -> the submodule that defines it
_WHERE = {
    "AddLoss": "_internal",
    "AddMetric": "_internal",
    "BatchError": "_data",
    "Captured": "_capture",
    "ProbedMultiHeadAttention": "_attention",
    "ProbeRecorder": "_recorder",
    "SeededPyDataset": "_data",
    "capture": "_capture",
    "is_probing": "_probe",
    "probe": "_probe",
}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
