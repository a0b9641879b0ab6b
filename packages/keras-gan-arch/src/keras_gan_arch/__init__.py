"""keras-gan-arch: GAN architectures from DCGAN to SELF-MOD on every backend."""

__version__ = "0.1.0"
