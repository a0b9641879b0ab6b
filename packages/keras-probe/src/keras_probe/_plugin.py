"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo("keras-probe", version("keras-probe"), "Capture intermediate tensors, in-model losses and metrics, process-safe data")
