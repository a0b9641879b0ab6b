"""The keras-plugin-harness entry point of keras-probe (``keras_plugins`` group, name ``probe``).

Loaded by the harness only. Importing it does not import Keras or ``keras_probe`` (whose
``__init__`` imports Keras): the hooks import them when called, so listing plugins stays cheap.
"""

from importlib.metadata import version
from typing import Any

from keras_plugin_harness import ConformanceCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-probe",
        version("keras-probe"),
        "Capture intermediate tensors, in-model losses and metrics, process-safe data",
    )


@hookimpl
def register_components(registry: Any) -> None:
    from keras_probe import AddLoss, AddMetric, ProbedMultiHeadAttention, ProbeRecorder
    from keras_probe._vae import Sampling

    registry.add(
        ProbedMultiHeadAttention,
        example=lambda: ProbedMultiHeadAttention(num_heads=3, key_dim=5, probe_name="scores"),
    )
    registry.add(AddLoss, example=lambda: AddLoss(weight=0.25))
    registry.add(AddMetric, example=lambda: AddMetric("gate_mean"))
    registry.add(Sampling, example=lambda: Sampling(seed=11))
    registry.add(ProbeRecorder, example=lambda: ProbeRecorder(["a", "b"], reduction="concat"))


@hookimpl
def conformance_cases() -> list[ConformanceCase]:
    from keras_probe_plugin import cases  # imports Keras and keras_probe

    return [cases.attention_case(), cases.vae_case()]
