"""keras-probe: capture intermediate tensors, in-model losses and metrics, process-safe data."""

from keras_probe._attention import ProbedMultiHeadAttention
from keras_probe._capture import Captured, capture
from keras_probe._data import BatchError, SeededPyDataset
from keras_probe._internal import AddLoss, AddMetric
from keras_probe._probe import is_probing, probe
from keras_probe._recorder import ProbeRecorder

__version__ = "0.1.0"

__all__ = [
    "AddLoss",
    "AddMetric",
    "BatchError",
    "Captured",
    "ProbeRecorder",
    "ProbedMultiHeadAttention",
    "SeededPyDataset",
    "capture",
    "is_probing",
    "probe",
]
