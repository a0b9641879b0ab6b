"""The pure recurrence against the numpy reference, and one case worked out by hand."""

import numpy as np
import pytest
from keras import ops
from reference import reference_decay, reference_ema

from keras_ema.callback import debiased, ema_update, scheduled_decay

SCHEDULES = [
    dict(decay=0.9),
    dict(decay=0.99, warmup="ratio"),
    dict(decay=0.999, warmup="power", gamma=2.0, power=0.75),
    dict(decay=0.95, start_step=7, every_n_steps=3, warmup="ratio"),
    dict(decay=0.9, zero_debias=True),
    dict(decay=0.97, zero_debias=True, warmup="power", start_step=4, every_n_steps=2),
]


def run_recurrence(initial, sequence, schedule):
    schedule = dict(schedule)
    zero_debias = schedule.pop("zero_debias", False)
    kwargs = dict(
        decay=schedule["decay"],
        start_step=schedule.get("start_step", 0),
        every_n_steps=schedule.get("every_n_steps", 1),
        warmup=schedule.get("warmup"),
        warmup_gamma=schedule.get("gamma", 1.0),
        warmup_power=schedule.get("power", 2.0 / 3.0),
    )
    averages = [
        ops.convert_to_tensor(np.zeros_like(w) if zero_debias and w.dtype.kind == "f" else w)
        for w in initial
    ]
    step, product = ops.convert_to_tensor(0, "int32"), ops.convert_to_tensor(1.0, "float32")
    for weights in sequence:
        averages, step, product = ema_update(
            averages, [ops.convert_to_tensor(w) for w in weights], step, product, **kwargs
        )
    out = [ops.convert_to_numpy(a) for a in averages]
    if zero_debias:
        out = [debiased(a, w, ops.convert_to_numpy(product)) for a, w in zip(out, sequence[-1])]
    return out, int(ops.convert_to_numpy(step))


@pytest.mark.parametrize("schedule", SCHEDULES, ids=str)
def test_fifty_steps_match_numpy_reference(schedule):
    rng = np.random.default_rng(3)
    initial = [rng.normal(size=(3, 4)).astype("float32"), np.array(5, "int32")]
    sequence = [
        [rng.normal(size=(3, 4)).astype("float32"), np.array(5 + k, "int32")] for k in range(1, 51)
    ]
    got, step = run_recurrence(initial, sequence, schedule)
    want = reference_ema(initial, sequence, **schedule)
    assert step == 50
    np.testing.assert_allclose(got[0], want[0], atol=1e-6, rtol=0)
    assert got[1].dtype == np.int32 and int(got[1]) == int(want[1])  # copied, not averaged


def test_worked_by_hand():
    # decay 0.5: 0 -> (0.5*0 + 0.5*2) = 1 -> (0.5*1 + 0.5*4) = 2.5
    got, _ = run_recurrence(
        [np.zeros(2, "float32")],
        [[np.full(2, 2.0, "float32")], [np.full(2, 4.0, "float32")]],
        dict(decay=0.5),
    )
    np.testing.assert_allclose(got[0], [2.5, 2.5], atol=1e-7)
    # zero debias with a constant weight returns the weight exactly
    got, _ = run_recurrence(
        [np.zeros(1, "float32")], [[np.ones(1, "float32")]] * 3, dict(decay=0.9, zero_debias=True)
    )
    np.testing.assert_allclose(got[0], [1.0], atol=1e-6)


@pytest.mark.parametrize("warmup", [None, "ratio", "power"])
def test_scheduled_decay_matches_reference(warmup):
    for step in [1, 2, 5, 10, 100, 10_000]:
        got = float(
            ops.convert_to_numpy(
                scheduled_decay(
                    ops.convert_to_tensor(step), decay=0.999, start_step=1, warmup=warmup
                )
            )
        )
        assert got == pytest.approx(reference_decay(step, 0.999, 1, warmup), abs=1e-6)
