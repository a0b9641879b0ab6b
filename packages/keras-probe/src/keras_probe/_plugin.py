"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import BenchCase, PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-probe",
        version("keras-probe"),
        "Capture intermediate tensors, in-model losses and metrics, process-safe data",
    )


@hookimpl
def register_components(registry):  # type: ignore[no-untyped-def]
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
def conformance_cases():  # type: ignore[no-untyped-def]
    from keras_probe import _cases

    return [_cases.attention_case(), _cases.vae_case()]


@hookimpl
def bench_cases():  # type: ignore[no-untyped-def]
    from keras_probe import _bench

    return [
        BenchCase(
            "predict-inactive",
            "predict time: attention model with a probe, no capture active, vs no probe",
            baseline=_bench.predict_plain,
            candidate=_bench.predict_probed_inactive,
            max_ratio=1.02,
            # the two graphs are identical (tests/test_inactive_cost.py); a 2% budget needs
            # many blocks before the median of a shared machine's noise settles
            blocks=21,
        ),
        BenchCase(
            "predict-active",
            "predict time: same model inside `capture` (scores returned) vs no probe",
            baseline=_bench.predict_plain,
            candidate=_bench.predict_probed_active,
            max_ratio=1.15,
        ),
    ]
