"""PyTorch's fast paths give the numbers of the plain ones: native ops instead of Keras' backend
functions, and blocks of steps' draws (``_ahead``) instead of per-step draws."""

import keras
import numpy as np
import pytest

from keras_mixup import ManifoldMixup, Mixup, MixupModel, _ahead, _sampling
from keras_mixup._keras_compat import DynamicBackend

CONFIGS = [
    (dict(alpha=0.4), None),
    (dict(alpha=0.4, cutmix_alpha=1.0, mode="pair", prob=0.7), (0, 3)),
    (dict(alpha=None, cutmix_alpha=1.0, mode="elem"), (1, 2)),
    (dict(alpha=1.0, mode="pair", prob=0.5), None),
]
torch_only = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="PyTorch-only path (KERAS_BACKEND=torch runs it)"
)


def flat(params):
    """name -> numpy array, CutMix's box as ``box0``, ``box1``..."""
    out = {}
    for name, value in params.items():
        for i, t in enumerate(value) if isinstance(value, tuple) else [("", value)]:
            out[f"{name}{i}"] = keras.ops.convert_to_numpy(t)
    return out


def assert_same_params(a, b):
    a, b = flat(a), flat(b)
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


@pytest.mark.parametrize("config", CONFIGS)
def test_step_backend_draws_equal_keras_backend_draws(config):
    # on PyTorch the hot-path ops are torch's own (StepBackend); elsewhere this is the same path
    kwargs, _ = config
    fast, plain = Mixup(seed=3, **kwargs), Mixup(seed=3, **kwargs)
    plain.backend = DynamicBackend()
    x = keras.ops.zeros((37, 6, 5, 2))
    for _ in range(3):
        assert_same_params(fast.draw(x), plain.draw(x))


@torch_only
@pytest.mark.parametrize("config", CONFIGS)
def test_draw_ahead_equals_per_step_draws(config):
    kwargs, places = config
    ahead_mixer, step_mixer = Mixup(seed=3, **kwargs), Mixup(seed=3, **kwargs)
    ahead = _ahead.DrawAhead(ahead_mixer, places)
    restart = np.array([3, 5], "int32")
    for step in range(300):
        x = keras.ops.zeros((256 if step % 20 else 37, 8, 8, 1))  # an epoch's smaller last batch
        if step == 200:  # a state set from outside (a reload) inside an existing block
            ahead_mixer.generator.state.assign(restart)
            step_mixer.generator.state.assign(restart)
        assert ahead.usable(x)
        params, choice = ahead.draw(x)
        expected, expected_choice = _ahead.step_draws(step_mixer, x, places)
        pairs, shares = _sampling.loss_pairs(step_mixer.backend, expected)
        assert_same_params(params, dict(expected, pairs=pairs, shares=shares))
        if places is not None:
            assert int(choice) == int(expected_choice)
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(ahead_mixer.generator.state),
            keras.ops.convert_to_numpy(step_mixer.generator.state),
        )
    assert len(ahead.blocks) == 2  # one per batch shape


@torch_only
def test_fit_with_draw_ahead_equals_fit_drawing_per_step():
    def model(ahead):
        keras.utils.set_random_seed(0)
        inner = keras.Sequential(
            [
                keras.Input((6, 6, 1)),
                keras.layers.Conv2D(4, 3, activation="relu"),
                ManifoldMixup(),
                keras.layers.Flatten(),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        wrapped = MixupModel(inner, Mixup(alpha=0.4, cutmix_alpha=1.0, mode="pair", seed=1))
        wrapped._ahead.pure = ahead  # False: draw step by step
        wrapped.compile("sgd", "sparse_categorical_crossentropy")
        return wrapped

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 6, 6, 1)).astype("float32"), rng.integers(0, 3, 50)
    fast, slow = model(True), model(False)
    for wrapped in (fast, slow):
        wrapped.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    assert fast._ahead.blocks and not slow._ahead.blocks
    for a, b in zip(fast.get_weights(), slow.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_block_size_follows_memory_budget():
    mixup, cutmix = Mixup(), Mixup(cutmix_alpha=1.0)
    assert _ahead.block_steps(mixup, (256, 8, 8, 1)) == _ahead.MAX_STEPS
    assert _ahead.block_steps(cutmix, (512, 512, 512, 3)) == _ahead.MIN_STEPS
    steps = _ahead.block_steps(cutmix, (64, 64, 64, 3))
    assert _ahead.MIN_STEPS < steps < _ahead.MAX_STEPS
    assert steps * 64 * (4 * 8 + 4 * 128) <= _ahead.BLOCK_BYTES


@torch_only
@pytest.mark.parametrize("size", [16, 45, 768])
def test_hash_under_torch_compile_equals_eager(size):
    # inductor miscompiled the fused int32 hash for 45 values; it now runs eagerly when traced
    import torch

    from keras_mixup import _rng

    backend = _sampling.ops_backend()
    key = torch.tensor([7, 3], dtype=torch.int32)
    torch._dynamo.reset()
    compiled = torch.compile(lambda k: _rng.bits(backend, k, size))(key)
    np.testing.assert_array_equal(compiled.numpy(), _rng.numpy_bits((7, 3), size))
