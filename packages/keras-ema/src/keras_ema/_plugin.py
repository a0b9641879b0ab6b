"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo("keras-ema", version("keras-ema"), "Weight EMA for any model, any optimizer, any backend")
