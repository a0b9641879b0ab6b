"""SeededPyDataset: no duplicated augmentation across workers, deterministic order, errors."""

import signal

import keras
import numpy as np
import pytest

from keras_probe import BatchError, SeededPyDataset


class Noisy(SeededPyDataset):
    def get_batch(self, indices, rng):
        x = indices[:, None].astype("float32")
        legacy = np.random.rand(*x.shape)  # global RNG: the classic duplicated-worker bug
        return np.concatenate([x, rng.normal(size=x.shape), legacy], -1).astype("float32")


class Failing(SeededPyDataset):
    def get_batch(self, indices, rng):
        if 5 in indices:
            raise ZeroDivisionError("bad sample 5")
        return indices[:, None].astype("float32")


def _predict(dataset, width):
    model = keras.Sequential([keras.Input((width,)), keras.layers.Identity()])
    return model.predict(dataset, verbose=0)


@pytest.fixture
def alarm():
    # a hang is a failure: abort after 120 s instead of blocking the suite
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("data loading hung"))
    signal.alarm(120)
    yield
    signal.alarm(0)


def test_workers_draw_distinct_and_reproducible_augmentations(alarm):
    many = _predict(Noisy(40, 4, seed=1, workers=2, use_multiprocessing=True), 3)
    single = _predict(Noisy(40, 4, seed=1), 3)
    assert sorted(many[:, 0].astype(int)) == list(range(40))
    assert len(np.unique(many[:, 1])) == 40  # per-batch RNG: no duplicates
    assert len(np.unique(many[:, 2])) == 40  # global RNG reseeded per process
    # the per-batch RNG depends on (seed, epoch, batch) only, not on the worker
    np.testing.assert_array_equal(many[:, :2], single[:, :2])


def test_epoch_order_is_a_seeded_permutation():
    a, b = Noisy(12, 5, seed=3), Noisy(12, 5, seed=3)
    first = a.order().copy()
    np.testing.assert_array_equal(first, np.random.default_rng([3, 0]).permutation(12))
    a.on_epoch_end()
    b.on_epoch_end()
    assert not np.array_equal(first, a.order())
    np.testing.assert_array_equal(a.order(), b.order())
    np.testing.assert_array_equal(Noisy(12, 5, shuffle=False).order(), np.arange(12))
    assert [len(a[i]) for i in range(len(a))] == [5, 5, 2]


def test_worker_exception_surfaces_with_its_traceback(alarm):
    with pytest.raises(BatchError) as info:
        _predict(Failing(20, 4, shuffle=False, workers=2, use_multiprocessing=True), 1)
    message = str(info.value)
    assert "ZeroDivisionError: bad sample 5" in message
    assert "in get_batch" in message and "batch 1 of epoch 0" in message


def test_misuse():
    with pytest.raises(ValueError, match="`batch_size` must be an int >= 1"):
        Noisy(10, 0)
    with pytest.raises(ValueError, match="`num_samples` must be an int >= 1"):
        Noisy(0, 2)
    with pytest.raises(TypeError, match="`seed` must be an int"):
        Noisy(10, 2, seed="a")
