"""Hook implementations for the keras-plugin-harness contract (Keras imported lazily)."""

from importlib.metadata import version

from keras_plugin_harness import PluginInfo, hookimpl


@hookimpl
def plugin_info() -> PluginInfo:
    return PluginInfo(
        "keras-lipschitz",
        version("keras-lipschitz"),
        "Spectral normalization done right, spectral-norm regularization, gradient penalties",
    )


@hookimpl
def register_components(registry):
    import keras

    from keras_lipschitz import SpectralNormalization, SpectralNormRegularizer

    registry.add(
        SpectralNormalization,
        example=lambda: SpectralNormalization(
            keras.layers.Conv2D(3, 3),
            power_iterations=2,
            mode="operator",
            eps=1e-6,
            warmup_iterations=5,
            sigma_gradient=False,
        ),
    )
    registry.add(
        SpectralNormRegularizer,
        example=lambda: SpectralNormRegularizer(
            0.05, power_iterations=3, eps=1e-8, warmup_iterations=5
        ),
    )


@hookimpl
def conformance_cases():
    from keras_lipschitz import _cases

    return [_cases.dense_case(), _cases.conv_operator_case(), _cases.regularizer_case()]


@hookimpl
def bench_cases():
    from keras_lipschitz import _bench
    from keras_plugin_harness import BenchCase

    return [
        BenchCase(
            "sn-reshaped-step",
            "digits CNN train step: SN (reshaped) vs unconstrained",
            baseline=_bench.plain_step,
            candidate=_bench.sn_reshaped_step,
            max_ratio=1.15,
        ),
        BenchCase(
            "sn-operator-step",
            "digits CNN train step: SN (operator) vs unconstrained",
            baseline=_bench.plain_step,
            candidate=_bench.sn_operator_step,
        ),
        BenchCase(
            "gp-step",
            "digits critic step: WGAN loss + WGAN-GP vs WGAN loss",
            baseline=_bench.critic_step,
            candidate=_bench.critic_gp_step,
            max_ratio=3.0,
        ),
        BenchCase(
            "conv-operator-norm",
            "true operator norm of Conv2D(16,3,same) on 16x16x8",
            measure=_bench.operator_norms,
        ),
        BenchCase(
            "digits-generalization",
            "digits MLP/CNN, 3 seeds: none vs SN-reg vs SN",
            measure=_bench.generalization,
        ),
    ]
