"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo("keras-lipschitz", version("keras-lipschitz"), "Spectral normalization done right, spectral-norm regularization, gradient penalties")
