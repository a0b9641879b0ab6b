"""keras-mixup: mixup, CutMix, SamplePairing and manifold mixup for any input and any labels."""

__version__ = "0.1.0"
