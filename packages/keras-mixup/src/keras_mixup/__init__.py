"""keras-mixup: mixup, CutMix, SamplePairing and manifold mixup for any input and any labels."""

from keras_mixup._base import BatchMixer
from keras_mixup._dataset import MixupDataset
from keras_mixup._loss import MixupLoss
from keras_mixup._mixup import CutMix, Mixup
from keras_mixup._model import ManifoldMixup, MixupModel
from keras_mixup._sample_pairing import SamplePairing
from keras_mixup._sampling import ops_backend

__version__ = "0.1.0"

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
