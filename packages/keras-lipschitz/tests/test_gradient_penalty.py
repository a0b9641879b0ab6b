"""Gradient penalties against finite differences, and trainability through the penalty."""

import keras
import numpy as np
import pytest

from keras_lipschitz import gradient_penalty, interpolate, lipschitz_report


def _critic():
    critic = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)]
    )
    rng = np.random.RandomState(5)  # same weights on every backend
    critic.set_weights([rng.uniform(-1.5, 1.5, w.shape).astype("float32") for w in critic.weights])
    return critic


def _fd_norms(critic, x, h=1e-3):
    """Central finite-difference input-gradient norms, per sample (float64 accumulation)."""
    grads = np.zeros(x.shape)
    for j in range(x.shape[1]):
        step = np.zeros_like(x)
        step[:, j] = h
        up = keras.ops.convert_to_numpy(critic(x + step)).astype("float64")[:, 0]
        down = keras.ops.convert_to_numpy(critic(x - step)).astype("float64")[:, 0]
        grads[:, j] = (up - down) / (2 * h)
    return np.linalg.norm(grads, axis=1)


@pytest.mark.parametrize("kind", ["wgan-gp", "one-sided", "r1", "r2", "wgan-div"])
def test_penalty_matches_finite_differences(kind):
    critic = _critic()
    rng = np.random.RandomState(0)
    real = rng.standard_normal((6, 3)).astype("float32")
    fake = rng.standard_normal((6, 3)).astype("float32")
    target = 0.3  # below the critic's gradient norms, so the one-sided penalty is active
    got = float(
        gradient_penalty(
            critic,
            real,
            fake,
            kind=kind,
            target=target,
            seed_generator=keras.random.SeedGenerator(7),
        )
    )
    x_hat = keras.ops.convert_to_numpy(interpolate(real, fake, keras.random.SeedGenerator(7)))
    if kind == "wgan-gp":
        expected = np.mean((_fd_norms(critic, x_hat) - target) ** 2)
    elif kind == "one-sided":
        expected = np.mean(np.maximum(_fd_norms(critic, x_hat) - target, 0) ** 2)
    elif kind == "r1":
        expected = np.mean(_fd_norms(critic, real) ** 2)
    elif kind == "r2":
        expected = np.mean(_fd_norms(critic, fake) ** 2)
    else:
        expected = 0.5 * (
            np.mean(_fd_norms(critic, real) ** 6) + np.mean(_fd_norms(critic, fake) ** 6)
        )
    assert expected > 1e-4
    np.testing.assert_allclose(got, expected, rtol=2e-3)


class _GPCritic(keras.Model):
    """A linear critic trained on the WGAN-GP term only: its weight norm must go to `target`."""

    def __init__(self):
        super().__init__(name="gp_critic")
        self.critic = keras.layers.Dense(1, kernel_initializer=keras.initializers.Constant(1.5))
        self.seeds = keras.random.SeedGenerator(3)

    def call(self, x, training=False):
        return self.critic(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        fake = keras.ops.zeros_like(x)
        return gradient_penalty(
            lambda t: self.critic(t, training=True),
            x,
            fake,
            kind="wgan-gp",
            target=1.0,
            seed_generator=self.seeds,
        )


def test_penalty_is_differentiable_with_respect_to_weights_inside_fit():
    model = _GPCritic()
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    x = np.random.RandomState(0).standard_normal((16, 4)).astype("float32")
    model.fit(x, epochs=60, batch_size=16, verbose=0)
    norm = np.linalg.norm(keras.ops.convert_to_numpy(model.critic.kernel))
    assert abs(norm - 1.0) < 0.01  # started at 3.0


def test_bad_penalty_arguments():
    critic = _critic()
    x = np.zeros((2, 3), "float32")
    with pytest.raises(ValueError, match="`kind` must be one of"):
        gradient_penalty(critic, x, x, kind="wgan")
    with pytest.raises(ValueError, match="`fake` is required"):
        gradient_penalty(critic, x, kind="r2")
    with pytest.raises(ValueError, match="`target` must be > 0"):
        gradient_penalty(critic, x, x, target=0.0)


def test_report_bound_and_gradient_norm():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, use_bias=False),
            keras.layers.Dense(1, use_bias=False),
        ]
    )
    w1, w2 = (keras.ops.convert_to_numpy(w) for w in model.weights)
    x = np.random.RandomState(1).standard_normal((5, 4)).astype("float32")
    report = lipschitz_report(model, x)
    expected = np.linalg.norm(w1, 2) * np.linalg.norm(w2, 2)
    np.testing.assert_allclose(report.bound, expected, rtol=1e-5)
    np.testing.assert_allclose(report.gradient_norm_max, np.linalg.norm(w1 @ w2), rtol=1e-5)
    assert "Lipschitz bound" in str(report)
