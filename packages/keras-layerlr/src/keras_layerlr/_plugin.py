"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo("keras-layerlr", version("keras-layerlr"), "Per-layer learning rates and per-variable gradient transforms for any optimizer")
