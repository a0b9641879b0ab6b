import numpy as np
import pytest

from keras_gan_arch import LOSSES, discriminator_loss, generator_loss

REAL = np.array([2.0, -0.5, 0.3])
FAKE = np.array([-1.0, 0.8, 0.0])


def softplus(x):
    return np.log1p(np.exp(x))


REFERENCE = {
    "non-saturating": (softplus(-REAL).mean() + softplus(FAKE).mean(), softplus(-FAKE).mean()),
    "hinge": (np.maximum(0, 1 - REAL).mean() + np.maximum(0, 1 + FAKE).mean(), -FAKE.mean()),
    "wgan-gp": (FAKE.mean() - REAL.mean(), -FAKE.mean()),
    "least-squares": (
        0.5 * ((REAL - 1) ** 2).mean() + 0.5 * (FAKE**2).mean(),
        0.5 * ((FAKE - 1) ** 2).mean(),
    ),
}


@pytest.mark.parametrize("kind", LOSSES)
def test_losses_match_numpy(kind):
    d_ref, g_ref = REFERENCE[kind]
    assert float(discriminator_loss(kind, REAL, FAKE)) == pytest.approx(d_ref, abs=1e-6)
    assert float(generator_loss(kind, FAKE)) == pytest.approx(g_ref, abs=1e-6)


def test_hinge_by_hand():
    # relu(1-2)=0, relu(1-0)=1 -> 0.5 ; relu(1-2)=0, relu(1+0.5)=1.5 -> 0.75
    assert float(discriminator_loss("hinge", [2.0, 0.0], [-2.0, 0.5])) == pytest.approx(1.25)


def test_unknown_loss():
    with pytest.raises(ValueError, match="`loss`"):
        generator_loss("minimax", FAKE)
