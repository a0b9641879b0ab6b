"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo("keras-mixup", version("keras-mixup"), "mixup, CutMix, SamplePairing and manifold mixup for any input and any labels")
