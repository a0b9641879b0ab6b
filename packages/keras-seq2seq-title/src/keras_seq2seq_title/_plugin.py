"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo("keras-seq2seq-title", version("keras-seq2seq-title"), "Seq2seq title generator with attention: train, generate, evaluate")
