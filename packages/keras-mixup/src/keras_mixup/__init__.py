"""keras-mixup: mixup, CutMix, SamplePairing and manifold mixup for any input and any labels.

Keras is imported on first access to a public name, so discovering plugins stays cheap.

>>> import keras_mixup
>>> sorted(keras_mixup.__all__)[:3]
['BatchMixer', 'CutMix', 'ManifoldMixup']
"""

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# public name -> the submodule defining it (imported lazily, with Keras, on first access)
_WHERE = {
    "BatchMixer": "_base",
    "CutMix": "_mixup",
    "ManifoldMixup": "_model",
    "Mixup": "_mixup",
    "MixupDataset": "_dataset",
    "MixupLoss": "_loss",
    "MixupModel": "_model",
    "SamplePairing": "_sample_pairing",
    "ops_backend": "_sampling",
}
__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'keras_mixup' has no attribute {name!r}")
    return getattr(import_module(f"keras_mixup.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
