"""Run keras-ema's bench cases in one process (stand-in until `keras-plugins bench` exists).

    KERAS_BACKEND=jax python packages/keras-ema/scripts/run_bench.py timing quality

Timing: both setups warmed up, then 7 alternating blocks; median per-call time and the ratio.
"""

import json
import statistics
import sys
import time

import keras

from keras_ema import _bench


def timing(baseline, candidate, steps, blocks):
    base, cand = baseline(), candidate()
    for _ in range(3):
        base(), cand()
    times_base, times_cand = [], []
    for _ in range(blocks):
        for step, times in ((base, times_base), (cand, times_cand)):
            start = time.perf_counter()
            for _ in range(steps):
                step()
            times.append((time.perf_counter() - start) / steps)
    b, c = statistics.median(times_base), statistics.median(times_cand)
    return {
        "baseline_ms": round(b * 1e3, 3),
        "candidate_ms": round(c * 1e3, 3),
        "ratio": round(c / b, 3),
    }


def main(kinds):
    backend = keras.backend.backend()
    results = {}
    for case in _bench.cases():
        if backend not in case.backends:
            continue
        if case.baseline is not None and "timing" in kinds:
            results[case.name] = timing(case.baseline, case.candidate, 10, case.blocks)
            results[case.name]["budget"] = case.ratio_budget(backend)
        if case.measure is not None and "quality" in kinds:
            results[case.name] = case.measure()
    print(json.dumps({"backend": backend, **results}))


if __name__ == "__main__":
    main(sys.argv[1:])
