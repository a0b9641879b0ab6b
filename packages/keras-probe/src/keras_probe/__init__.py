"""keras-probe: capture intermediate tensors, in-model losses and metrics, process-safe data.

Keras is imported on first access to a public name, so discovering plugins stays cheap.

>>> import keras_probe
>>> "probe" in keras_probe.__all__
True
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> the submodule defining it (imported lazily, with Keras, on first access)
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
__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'keras_probe' has no attribute {name!r}")
    return getattr(import_module(f"keras_probe.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
