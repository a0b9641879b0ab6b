"""A numpy transcription of the EMA recurrence, written from the formulas in the README."""

from __future__ import annotations

import numpy as np


def reference_decay(step, decay, start_step=0, warmup=None, gamma=1.0, power=2.0 / 3.0):
    t = step - start_step
    if t <= 0:
        return 0.0
    if warmup == "ratio":
        return min(decay, (1.0 + t) / (10.0 + t))
    if warmup == "power":
        return min(decay, 1.0 - (1.0 + t / gamma) ** -power)
    return decay


def reference_ema(
    initial,
    weights_per_step,
    *,
    decay,
    start_step=0,
    every_n_steps=1,
    warmup=None,
    gamma=1.0,
    power=2.0 / 3.0,
    zero_debias=False,
):
    """Averages (float64, debiased when asked) after feeding ``weights_per_step`` in order."""
    average = [
        np.zeros_like(w, np.float64)
        if zero_debias and w.dtype.kind == "f"
        else np.array(w, np.float64)
        for w in initial
    ]
    product = 1.0
    for step, weights in enumerate(weights_per_step, start=1):
        t = step - start_step
        if t > 0 and t % every_n_steps:
            continue
        d = reference_decay(step, decay, start_step, warmup, gamma, power)
        average = [
            d * a + (1 - d) * np.asarray(w, np.float64)
            if w.dtype.kind == "f"
            else np.array(w, np.float64)
            for a, w in zip(average, weights)
        ]
        product *= d
    if zero_debias:
        if product < 1.0:
            average = [
                a / (1.0 - product) if w.dtype.kind == "f" else a for a, w in zip(average, initial)
            ]
        else:
            average = (
                [np.array(w, np.float64) for w in weights_per_step[-1]]
                if weights_per_step
                else average
            )
    return average
