"""keras-mixup: mixup, CutMix, SamplePairing and manifold mixup for any input and any labels.

Keras is imported on first access to a public name (``keras_plugin_harness.lazy_exports``),
so discovering plugins stays cheap.
"""

from keras_plugin_harness import lazy_exports

__version__ = "0.1.0"

# public name -> the submodule that defines it
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
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
