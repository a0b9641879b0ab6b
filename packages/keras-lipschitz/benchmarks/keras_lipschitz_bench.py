"""keras-lipschitz benchmarks (run by `keras-plugins bench`, not shipped in the wheel): step-time
overheads, operator norms, generalization on digits."""

from pathlib import Path

import keras
import numpy as np

from keras_lipschitz import (
    SpectralNormalization,
    SpectralNormRegularizer,
    gradient_penalty,
    lipschitz_report,
)
from keras_plugin_harness import BenchCase

PLUGIN = "keras-lipschitz"


def _digits(image):
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype("float32")
    x = x[..., None] if image else x.reshape(len(x), -1)
    return x, data.target.astype("int32")


def _cnn(wrap=None, regularizer=None):
    def conv(filters):
        layer = keras.layers.Conv2D(
            filters, 3, padding="same", activation="relu", kernel_regularizer=regularizer
        )
        return wrap(layer) if wrap else layer

    dense = keras.layers.Dense(10, kernel_regularizer=regularizer)
    return keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            conv(16),
            conv(16),
            keras.layers.Flatten(),
            wrap(dense) if wrap else dense,
        ]
    )


def _mlp(wrap=None, regularizer=None):
    def dense(units, activation=None):
        layer = keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer)
        return wrap(layer) if wrap else layer

    return keras.Sequential([keras.Input((64,)), dense(128, "relu"), dense(128, "relu"), dense(10)])


def _compiled(model):
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def _step(wrap=None):
    x, y = _digits(image=True)
    model = _compiled(_cnn(wrap))
    x, y = x[:128], y[:128]
    return lambda: model.train_on_batch(x, y)


def plain_step():
    return _step()


def sn_reshaped_step():
    return _step(lambda layer: SpectralNormalization(layer))


def sn_operator_step():
    return _step(lambda layer: SpectralNormalization(layer, mode="operator"))


class _Critic(keras.Model):
    """A digits critic whose `compute_loss` is the WGAN loss, optionally plus WGAN-GP."""

    def __init__(self, penalty):
        super().__init__(name="critic")
        self.net = keras.Sequential(
            [
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dense(1),
            ]
        )
        self.penalty = penalty
        self.seeds = keras.random.SeedGenerator(0)

    def call(self, x, training=False):
        return self.net(x, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        fake = keras.ops.flip(x, axis=0) * 0.5
        loss = keras.ops.mean(self.net(fake)) - keras.ops.mean(y_pred)
        if self.penalty:
            loss = loss + 10.0 * gradient_penalty(
                lambda t: self.net(t, training=True), x, fake, seed_generator=self.seeds
            )
        return loss


def _critic_step(penalty):
    x, _ = _digits(image=False)
    model = _Critic(penalty)
    model.compile(optimizer=keras.optimizers.Adam(1e-4))
    x = x[:128]
    return lambda: model.train_on_batch(x)


def critic_step():
    return _critic_step(False)


def critic_gp_step():
    return _critic_step(True)


def operator_norms():
    """True operator norm of Conv2D(16, 3, 'same') on 16x16x8 after each normalization."""
    rows = []
    x = np.random.RandomState(0).standard_normal((2, 16, 16, 8)).astype("float32")
    for name, make in [
        (
            "keras.layers.SpectralNormalization",
            lambda c: keras.layers.SpectralNormalization(c, power_iterations=30),
        ),
        ("keras_lipschitz reshaped", lambda c: SpectralNormalization(c, warmup_iterations=30)),
        ("keras_lipschitz operator", lambda c: SpectralNormalization(c, mode="operator")),
    ]:
        keras.utils.set_random_seed(0)
        layer = make(keras.layers.Conv2D(16, 3, padding="same"))
        layer(x, training=True)
        model = keras.Sequential([keras.Input((16, 16, 8)), layer])
        sigma = lipschitz_report(model, x[:1]).rows[0]
        rows.append(
            {
                "normalization": name,
                "operator norm": round(sigma["sigma_operator"], 4),
                "reshaped-kernel norm": round(sigma["sigma_reshaped"], 4),
            }
        )
    return rows


def generalization():
    """Digits MLP/CNN, 3 seeds: no constraint vs SN regularizer vs SN (means over seeds)."""
    from sklearn.model_selection import train_test_split

    rows = []
    # Factories: a regularizer's `u` variables belong to every model it is used in.
    variants = {
        "none": dict,
        "sn-regularizer(0.01)": lambda: {"regularizer": SpectralNormRegularizer(0.01)},
        "spectral-norm": lambda: {"wrap": lambda layer: SpectralNormalization(layer)},
    }
    for arch, build, image in [("mlp", _mlp, False), ("cnn", _cnn, True)]:
        x, y = _digits(image)
        x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0)
        for variant, kwargs in variants.items():
            metrics = []
            for seed in range(3):
                keras.utils.set_random_seed(seed)
                model = _compiled(build(**kwargs()))
                model.fit(x_train, y_train, epochs=30, batch_size=64, verbose=0)
                accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
                noisy = x_test + np.random.RandomState(seed).normal(0, 0.1, x_test.shape).astype(
                    "float32"
                )
                noisy_accuracy = model.evaluate(noisy, y_test, verbose=0)[1]
                report = lipschitz_report(model, x_test[:64])
                metrics.append([accuracy, noisy_accuracy, report.bound, report.gradient_norm_mean])
            mean = np.mean(metrics, axis=0)
            rows.append(
                {
                    "model": arch,
                    "constraint": variant,
                    "test acc": round(mean[0], 4),
                    "acc, noise 0.1": round(mean[1], 4),
                    "Lipschitz bound": round(mean[2], 2),
                    "grad norm": round(mean[3], 3),
                }
            )
    return rows


def bench_cases(images: Path) -> list[BenchCase]:
    """The cases of `keras-plugins bench --plugin keras-lipschitz` (``images``: unused, this
    plugin draws no figures)."""
    return [
        BenchCase(
            "sn-reshaped-step",
            "digits CNN train step: SN (reshaped) vs unconstrained",
            baseline=plain_step,
            candidate=sn_reshaped_step,
            max_ratio=1.15,
        ),
        BenchCase(
            "sn-operator-step",
            "digits CNN train step: SN (operator) vs unconstrained",
            baseline=plain_step,
            candidate=sn_operator_step,
        ),
        BenchCase(
            "gp-step",
            "digits critic step: WGAN loss + WGAN-GP vs WGAN loss",
            baseline=critic_step,
            candidate=critic_gp_step,
            max_ratio=3.0,
        ),
        BenchCase(
            "conv-operator-norm",
            "true operator norm of Conv2D(16,3,same) on 16x16x8",
            measure=operator_norms,
        ),
        BenchCase(
            "digits-generalization",
            "digits MLP/CNN, 3 seeds: none vs SN-reg vs SN",
            measure=generalization,
        ),
    ]
