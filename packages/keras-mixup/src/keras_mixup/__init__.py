"""keras-mixup: mixup, CutMix, SamplePairing and manifold mixup for any input and any labels."""

from ._base import BatchMixer
from ._dataset import MixupDataset
from ._loss import MixupLoss
from ._mixup import CutMix, Mixup
from ._model import ManifoldMixup, MixupModel
from ._sample_pairing import SamplePairing
from ._sampling import ops_backend

__all__ = [
    "BatchMixer",
    "CutMix",
    "ManifoldMixup",
    "Mixup",
    "MixupDataset",
    "MixupLoss",
    "MixupModel",
    "SamplePairing",
    "ops_backend",
]

__version__ = "0.1.0"
