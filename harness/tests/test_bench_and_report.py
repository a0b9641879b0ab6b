"""The benchmark runner and the matrix report."""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from harness_support import FIXTURES
from keras_plugin_harness import BenchCase, bench, bench_figures, report


def test_hook_bench_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))
    from kph_fixtures import good

    cases = good.bench_cases(images=None)
    backend = keras.backend.backend()
    timing = bench.run_case("fixture-good", cases[0], backend)
    assert "error" not in timing, timing.get("traceback")
    assert timing["ratio"] > 0 and timing["budget"] == 3.0
    measured = bench.run_case("fixture-good", cases[1], backend)
    assert measured["rows"][0]["model"] == "dense+scale"
    text = bench.markdown([timing, measured], "keras-plugins bench")
    assert "| fixture-good | scale-step |" in text and "final loss" in text
    assert sys.modules.get("kph_fixtures.good") is good


BENCH_MODULE = """
from keras_plugin_harness import BenchCase

PLUGIN = "keras-demo"

def bench_cases(images):
    def measure():
        (images / "keras-demo-figure.png").write_bytes(b"png")
        return [{"images": images.name}]
    return [BenchCase("quality", "writes a figure where the runner says", measure=measure)]
"""


def test_benchmark_modules_outside_wheels_write_where_the_runner_says(tmp_path: Path) -> None:
    folder = tmp_path / "benchmarks"
    folder.mkdir()
    (folder / "kph_demo_bench.py").write_text(BENCH_MODULE)
    (folder / "helpers.py").write_text("raise RuntimeError('not a *_bench.py module')")
    images = tmp_path / "out" / "images"
    images.mkdir(parents=True)
    try:
        found = bench.collect(images, [folder], plugin="keras-demo")
        assert [(plugin, case.name) for plugin, case in found] == [("keras-demo", "quality")]
        assert bench.run_case("keras-demo", found[0][1], "jax")["rows"] == [{"images": "images"}]
        assert (images / "keras-demo-figure.png").read_bytes() == b"png"
        assert bench.collect(images, [folder], plugin="keras-other") == []
    finally:
        sys.modules.pop("kph_demo_bench", None)
    (folder / "nameless_bench.py").write_text("def bench_cases(images):\n    return []\n")
    with pytest.raises(ValueError, match="defines no PLUGIN"):
        bench.load_benchmarks([folder])
    sys.modules.pop("kph_demo_bench", None)
    sys.modules.pop("nameless_bench", None)
    with pytest.raises(ValueError, match="`--benchmarks` names no folder"):
        bench.load_benchmarks([tmp_path / "missing"])


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


def test_merge_replaces_only_the_plugins_and_backends_run() -> None:
    def row(plugin: str, outcome: str) -> dict[str, str]:
        reason = "" if outcome == "passed" else f"{plugin} {outcome}"
        return {"plugin": plugin, "case": "c", "check": "jit", "outcome": outcome, "reason": reason}

    previous = report.matrix(
        {
            "tensorflow": [row("a", "failed"), row("b", "skipped")],
            "jax": [row("a", "failed"), row("b", "passed")],
        }
    )
    rerun = report.matrix({"jax": [row("a", "passed")]})  # check --plugin a --backend jax
    merged = report.merge(previous, rerun, {"a"})
    assert merged["backends"] == ["tensorflow", "jax"]
    assert merged["cells"] == {
        "a": {"jit": {"tensorflow": "failed", "jax": "passed"}},
        "b": {"jit": {"tensorflow": "skipped", "jax": "passed"}},
    }
    assert [(n["backend"], n["plugin"]) for n in merged["notes"]] == [
        ("tensorflow", "a"),
        ("tensorflow", "b"),
    ]
    # the same notes in the same order whatever order the cases ran in
    rows = [row("b", "failed"), row("a", "skipped"), {**row("a", "failed"), "case": "b"}]
    assert report.matrix({"jax": rows})["notes"] == report.matrix({"jax": rows[::-1]})["notes"]
    # a plugin named on the command line that left no rows loses its stale cells there
    gone = report.merge(previous, report.matrix({"jax": []}), {"b"})
    assert gone["cells"]["b"] == {"jit": {"tensorflow": "skipped"}}


def test_case_skip_per_backend() -> None:
    from keras_plugin_harness import ConformanceCase

    case = ConformanceCase("c", list, list, skip={"mixed@jax": "no f16 dot on CPU", "gpu": "n/a"})
    assert case.skip_reason("mixed", "jax") == "no f16 dot on CPU"
    assert case.skip_reason("mixed", "torch") is None
    assert case.skip_reason("gpu", "torch") == "n/a"
    with pytest.raises(ValueError, match="'mixed@mxnet'"):
        ConformanceCase("c", list, list, skip={"mixed@mxnet": "?"})


# -- the benchmark page and its plots (fake results: nothing is trained) ---------------------

FAKE_RESULTS = [
    {"plugin": "keras-a", "case": "step", "backend": "jax", "baseline_ms": 10.0,
     "candidate_ms": 10.4, "ratio": 1.04, "budget": 1.05, "within_budget": True},
    {"plugin": "keras-a", "case": "step", "backend": "torch", "baseline_ms": 10.0,
     "candidate_ms": 11.2, "ratio": 1.12, "budget": 1.05, "within_budget": False},
    {"plugin": "keras-mixup", "case": "step", "backend": "jax", "baseline_ms": 5.0,
     "candidate_ms": 4.5, "ratio": 0.9, "budget": None, "within_budget": None},
    {"plugin": "keras-mixup", "case": "quality", "backend": "jax", "description": "accuracy",
     "rows": [{"method": "mixup", "acc": 0.97}]},
    {"plugin": "keras-a", "case": "broken", "backend": "jax", "description": "x",
     "error": "RuntimeError: boom"},
]  # fmt: skip

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def docs_folder(tmp_path: Path) -> Path:
    """A docs/ folder whose images/ holds what plugin benchmarks and the screenshots wrote."""
    images = tmp_path / "docs" / "images"
    images.mkdir(parents=True)
    for name in ("keras-mixup-reliability.png", "gan-arch-dcgan.png", "site-home.png"):
        (images / name).write_bytes(PNG_MAGIC + b"fake")
    return tmp_path / "docs"


def plt_image_shape(path: Path) -> tuple[int, int]:
    from matplotlib.image import imread

    height, width = imread(path).shape[:2]
    return height, width


def test_ratio_figure_draws_each_ratio_against_its_budget() -> None:
    from matplotlib.colors import to_rgba

    axes = bench_figures.ratio_figure(FAKE_RESULTS).axes[0]
    labels = [t.get_text() for t in axes.get_yticklabels()]
    assert labels == ["keras-a::step::jax", "keras-a::step::torch", "keras-mixup::step::jax"]
    bars = axes.patches
    assert [round(b.get_x(), 6) for b in bars] == [1.0, 1.0, 1.0]  # every bar starts at parity
    assert [round(b.get_x() + b.get_width(), 6) for b in bars] == [1.04, 1.12, 0.9]
    colors = [to_rgba(c) for c in ("tab:green", "tab:red", "tab:gray")]
    assert [b.get_facecolor() for b in bars] == colors
    # one short black line at each budget, across its own bar only (none for the third row)
    budget_lines = sorted(
        (float(np.mean(line.get_ydata())), float(line.get_xdata()[0]))
        for line in axes.lines
        if line.get_color() == "black"
    )
    assert budget_lines == [(0.0, 1.05), (1.0, 1.05)]
    low, high = axes.get_xlim()
    assert low < 0.9 and high > 1.12  # every bar and budget is inside the plot


def test_write_page_plots_ratios_and_links_existing_plugin_images(tmp_path: Path) -> None:
    docs = docs_folder(tmp_path)
    page = docs / "benchmarks.md"
    written = bench.write_page(
        FAKE_RESULTS, page, "keras-plugins bench", plugins=["keras-gan-arch"]
    )
    plot = docs / "images" / "benchmarks-ratios.png"
    assert written == [page, plot]
    assert plot.read_bytes()[:8] == PNG_MAGIC
    height, width = plt_image_shape(plot)
    assert (width, height) == (800, round(100 * (1.2 + 0.32 * 3)))  # 3 ratio rows
    assert sorted(p.name for p in (docs / "images").iterdir()) == [  # no temporary file left
        "benchmarks-ratios.png",
        "gan-arch-dcgan.png",
        "keras-mixup-reliability.png",
        "site-home.png",
    ]
    text = page.read_text()
    assert "![Step-time ratios against their budgets](images/benchmarks-ratios.png)" in text
    # a plugin's images follow its own tables; a plugin without results still gets its images
    mixup = text.index("## keras-mixup: quality (jax)")
    figures = text.index("## keras-mixup: figures")
    assert mixup < figures < text.index("(images/keras-mixup-reliability.png)")
    assert "## keras-gan-arch: figures" in text and "(images/gan-arch-dcgan.png)" in text
    assert "site-home" not in text and "No plots" not in text
    assert "| keras-a | step | torch | 10.00 | 11.20 | 1.120 | 1.05 | **NO** |" in text
    assert "- keras-a::broken on jax: RuntimeError: boom" in text


def test_write_page_without_ratios_draws_no_plot(tmp_path: Path) -> None:
    docs = docs_folder(tmp_path)
    bench.write_page(FAKE_RESULTS[3:4], docs / "benchmarks.md", "keras-plugins bench")
    assert not (docs / "images" / "benchmarks-ratios.png").exists()
    assert "benchmarks-ratios" not in (docs / "benchmarks.md").read_text()


def test_write_page_without_matplotlib_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules: ImportError
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    docs = docs_folder(tmp_path)
    written = bench.write_page(FAKE_RESULTS, docs / "benchmarks.md", "keras-plugins bench")
    assert written == [docs / "benchmarks.md"]
    text = (docs / "benchmarks.md").read_text()
    assert not (docs / "images" / "benchmarks-ratios.png").exists()
    assert '!!! note "No plots"' in text and "matplotlib could not be imported" in text
    assert "benchmarks-ratios" not in text
    assert "| keras-a | step | jax | 10.00 | 10.40 | 1.040 | 1.05 | yes |" in text
    assert "(images/keras-mixup-reliability.png)" in text  # images already there are still shown


def test_plugin_images_longest_plugin_name_wins(tmp_path: Path) -> None:
    for name in ("gan-arch-dcgan.png", "gan-x.png", "keras-gan-y.png", "benchmarks-ratios.png"):
        (tmp_path / name).write_bytes(PNG_MAGIC)
    found = bench_figures.plugin_images(tmp_path, ["keras-gan", "keras-gan-arch", "keras-ema"])
    assert {p: [f.name for f in files] for p, files in found.items()} == {
        "keras-gan": ["gan-x.png", "keras-gan-y.png"],
        "keras-gan-arch": ["gan-arch-dcgan.png"],
    }


def test_run_all_one_case_keeps_every_other_row(
    fixture_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`keras-plugins bench --plugin P --case C --backend B` replaces only the rows of (P, C, B)."""
    import json

    from harness_support import fixture_env

    for key, value in fixture_env(fixture_site).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    backend = keras.backend.backend()
    old = {"description": "old", "rows": [{"model": "stale"}]}
    previous = [
        {"plugin": "fixture-good", "case": "scale-quality", "backend": backend, **old},
        {
            "plugin": "fixture-good",
            "case": "scale-step",
            "backend": backend,
            "ratio": 0.5,
            "baseline_ms": 1.0,
            "candidate_ms": 0.5,
            "budget": 3.0,
            "within_budget": True,
            "description": "kept",
        },
        {"plugin": "other", "case": "x", "backend": "jax", **old},
    ]
    json_path, page = tmp_path / "b.json", tmp_path / "b.md"
    json_path.write_text(json.dumps(previous))
    rc = bench.run_all([backend], "fixture-good", page, json_path, ["scale-quality"])
    assert rc == 0
    merged = {(r["plugin"], r["case"], r["backend"]): r for r in json.loads(json_path.read_text())}
    assert len(merged) == 3
    assert merged[("fixture-good", "scale-quality", backend)]["rows"][0]["model"] == "dense+scale"
    assert merged[("fixture-good", "scale-step", backend)]["ratio"] == 0.5  # not re-run
    assert merged[("other", "x", "jax")]["rows"] == [{"model": "stale"}]
    assert "| fixture-good | scale-step |" in page.read_text()
