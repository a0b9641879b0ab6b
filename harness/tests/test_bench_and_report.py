"""The benchmark runner and the matrix report."""

from __future__ import annotations

import sys

import keras
import pytest

from harness_support import FIXTURES
from keras_plugin_harness import BenchCase, bench, report


def test_hook_bench_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))
    from kph_fixtures import good

    cases = good.bench_cases()
    backend = keras.backend.backend()
    timing = bench.run_case("fixture-good", cases[0], backend)
    assert "error" not in timing, timing.get("traceback")
    assert timing["ratio"] > 0 and timing["budget"] == 3.0
    measured = bench.run_case("fixture-good", cases[1], backend)
    assert measured["rows"][0]["model"] == "dense+scale"
    text = bench.markdown([timing, measured], "keras-plugins bench")
    assert "| fixture-good | scale-step |" in text and "final loss" in text
    assert sys.modules.get("kph_fixtures.good") is good


def test_time_pair_ratio_reflects_slower_candidate() -> None:
    import time

    case = BenchCase(
        "t",
        "sleep",
        baseline=lambda: lambda: time.sleep(0.02),
        candidate=lambda: lambda: time.sleep(0.06),
        steps=2,
        blocks=3,
    )
    # 3.0 ideally; a loaded machine oversleeps both by a few ms, pulling the ratio towards 1
    ratio = bench.time_pair(case, warmup=1)["ratio"]
    assert 1.8 < ratio < 3.3


def test_bench_case_validation() -> None:
    with pytest.raises(ValueError, match="`baseline` and `candidate`"):
        BenchCase("x", "y", baseline=lambda: lambda: None)
    assert BenchCase("x", "y", measure=list, max_ratio={"jax": 1.1}).ratio_budget("jax") == 1.1


def test_matrix_aggregates_cases_fail_over_pass_over_skip() -> None:
    rows = [
        {"plugin": "p", "case": "a", "check": "jit", "outcome": "passed", "reason": ""},
        {"plugin": "p", "case": "b", "check": "jit", "outcome": "failed", "reason": "diff"},
        {"plugin": "p", "case": "a", "check": "gpu", "outcome": "skipped", "reason": "no GPU"},
        {"plugin": "p", "case": "a", "check": "trains", "outcome": "passed", "reason": ""},
    ]
    table = report.matrix({"jax": rows})
    assert table["cells"]["p"] == {
        "jit": {"jax": "failed"},
        "gpu": {"jax": "skipped"},
        "trains": {"jax": "passed"},
    }
    text = report.markdown(table, "keras-plugins check")
    assert "| p | pass | FAIL | skip |" in text and "no GPU" in text


def test_case_skip_per_backend() -> None:
    from keras_plugin_harness import ConformanceCase

    case = ConformanceCase("c", list, list, skip={"mixed@jax": "no f16 dot on CPU", "gpu": "n/a"})
    assert case.skip_reason("mixed", "jax") == "no f16 dot on CPU"
    assert case.skip_reason("mixed", "torch") is None
    assert case.skip_reason("gpu", "torch") == "n/a"
    with pytest.raises(ValueError, match="'mixed@mxnet'"):
        ConformanceCase("c", list, list, skip={"mixed@mxnet": "?"})
