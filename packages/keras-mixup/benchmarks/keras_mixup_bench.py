"""keras-mixup benchmarks (run by `keras-plugins bench`, not shipped in the wheel): quality
with each method, and the per-step cost of mixing.

Quality: the digits CNN and the breast-cancer MLP (scikit-learn's bundled data), 3 seeds each;
test accuracy, NLL and expected calibration error (15 bins) for baseline / mixup / CutMix /
SamplePairing / manifold mixup, and a reliability diagram for the digits CNN written to
``keras-mixup-reliability.png`` in the runner's image folder (``docs/images``).

Keras and the plugin are imported inside the functions: the runner imports this module in a
process that only lists the plugins too.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from keras_plugin_harness import BenchCase

PLUGIN = "keras-mixup"

SEEDS = (0, 1, 2)
BINS = 15


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    confidence, correct = probs.max(1), probs.argmax(1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    return float(
        sum(
            abs(correct[which == b].mean() - confidence[which == b].mean()) * np.mean(which == b)
            for b in range(bins)
            if np.any(which == b)
        )
    )


def _digits() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 8, 8, 1).astype("float32")
    return tuple(train_test_split(x, y.astype("int32"), test_size=0.3, random_state=0, stratify=y))


def _breast_cancer() -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y.astype("int32"), test_size=0.3, random_state=0, stratify=y
    )
    mean, std = x_train.mean(0), x_train.std(0)
    return (
        ((x_train - mean) / std).astype("float32"),
        ((x_test - mean) / std).astype("float32"),
        y_train,
        y_test,
    )


def _cnn(manifold: bool = False) -> Any:
    import keras

    from keras_mixup import ManifoldMixup

    layers = [
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
    ]
    layers += [ManifoldMixup()] if manifold else []
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(64, activation="relu")]
    layers += [ManifoldMixup()] if manifold else []
    layers += [keras.layers.Dense(10, activation="softmax")]
    return keras.Sequential(layers)


def _mlp(manifold: bool = False) -> Any:
    import keras

    from keras_mixup import ManifoldMixup

    layers = [keras.Input((30,)), keras.layers.Dense(64, activation="relu")]
    layers += [ManifoldMixup()] if manifold else []
    layers += [
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ]
    return keras.Sequential(layers)


def _methods(steps: int, spatial: bool) -> dict[str, Callable[[Any, int], Any]]:
    from keras_mixup import CutMix, Mixup, MixupModel, SamplePairing

    methods: dict[str, Callable[[Any, int], Any]] = {
        "baseline": lambda build, seed: build(False),
        "mixup": lambda build, seed: MixupModel(build(False), Mixup(alpha=0.4, seed=seed)),
    }
    if spatial:
        methods["CutMix"] = lambda build, seed: MixupModel(build(False), CutMix(seed=seed))
    # the paper's schedule, in steps: off for the first 20%, then 8 on / 2 off, off for the last 15%
    cycle = max(1, steps // 20)
    methods["SamplePairing"] = lambda build, seed: MixupModel(
        build(False),
        SamplePairing(
            start_step=steps // 5,
            on_steps=8 * cycle,
            off_steps=2 * cycle,
            stop_step=int(steps * 0.85),
            seed=seed,
        ),
    )
    methods["manifold mixup"] = lambda build, seed: MixupModel(
        build(True), Mixup(alpha=2.0, seed=seed)
    )
    return methods


def _quality(
    name: str,
    data: tuple[np.ndarray, ...],
    build: Callable[[bool], Any],
    epochs: int,
    batch_size: int,
    spatial: bool,
    plot: Path | None = None,
) -> list[dict[str, Any]]:
    import keras

    x_train, x_test, y_train, y_test = data
    steps = epochs * -(-len(x_train) // batch_size)
    rows, pooled = [], {}
    for method, make in _methods(steps, spatial).items():
        scores = []
        for seed in SEEDS:
            keras.utils.set_random_seed(seed)
            model = make(build, seed)
            model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy")
            model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0)
            probs = np.asarray(model.predict(x_test, batch_size=256, verbose=0), "float64")
            pooled.setdefault(method, []).append(probs)
            nll = -np.mean(np.log(np.clip(probs[np.arange(len(y_test)), y_test], 1e-12, 1)))
            scores.append(
                (np.mean(probs.argmax(1) == y_test), nll, expected_calibration_error(probs, y_test))
            )
        mean, std = np.mean(scores, 0), np.std(scores, 0)
        rows.append(
            {
                "data": name,
                "method": method,
                "seeds": len(SEEDS),
                "test accuracy": f"{mean[0]:.4f} ± {std[0]:.4f}",
                "test NLL": f"{mean[1]:.4f} ± {std[1]:.4f}",
                "ECE": f"{mean[2]:.4f} ± {std[2]:.4f}",
            }
        )
    if plot:
        _reliability_diagram(pooled, np.tile(y_test, len(SEEDS)), plot)
    return rows


def _reliability_diagram(
    pooled: dict[str, list[np.ndarray]], labels: np.ndarray, path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    edges = np.linspace(0, 1, BINS + 1)
    centres = (edges[1:] + edges[:-1]) / 2
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    for method, runs in pooled.items():
        probs = np.concatenate(runs)
        confidence, correct = probs.max(1), probs.argmax(1) == labels
        which = np.clip(np.digitize(confidence, edges[1:-1]), 0, BINS - 1)
        accuracy = [
            correct[which == b].mean() if np.any(which == b) else np.nan for b in range(BINS)
        ]
        ece = expected_calibration_error(probs, labels)
        ax.plot(centres, accuracy, "o-", ms=3, label=f"{method} (ECE {ece:.3f})")
    ax.set(
        xlabel="confidence",
        ylabel="accuracy",
        xlim=(0, 1),
        ylim=(0, 1),
        title="digits CNN, test set, 3 seeds pooled",
    )
    ax.legend(fontsize=8, loc="upper left")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def digits_quality(images: Path) -> list[dict[str, Any]]:
    """Digits CNN: 30 epochs, batch 64, 3 seeds per method; writes the reliability diagram
    into the folder ``images``."""
    return _quality(
        "digits CNN",
        _digits(),
        _cnn,
        epochs=30,
        batch_size=64,
        spatial=True,
        plot=Path(images) / "keras-mixup-reliability.png",
    )


def tabular_quality() -> list[dict[str, Any]]:
    """Breast-cancer MLP: 60 epochs, batch 32, 3 seeds per method (CutMix does not apply)."""
    return _quality(
        "breast cancer MLP", _breast_cancer(), _mlp, epochs=60, batch_size=32, spatial=False
    )


def _step_mixers() -> dict[str, Callable[[], Any]]:
    """The two mixing configurations whose step time is measured (budget and breakdown)."""
    from keras_mixup import Mixup

    return {
        "mixup": lambda: Mixup(alpha=0.4, seed=0),
        "mixup-or-CutMix per pair": lambda: Mixup(alpha=0.4, cutmix_alpha=1.0, mode="pair", seed=0),
    }


def _step_batch() -> tuple[np.ndarray, np.ndarray]:
    x_train, _, y_train, _ = _digits()
    return x_train[:256], y_train[:256]


def _step_model(make: Callable[[], Any], batch: tuple[Any, Any], warmup: int = 1) -> Any:
    """``make()`` seeded and compiled as every step-time measure does it, after ``warmup``
    train steps on ``batch`` (tracing and first-call costs stay out of the timings)."""
    import keras

    keras.utils.set_random_seed(0)
    model = make()
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    for _ in range(warmup):
        model.train_on_batch(*batch)
    return model


def _step(mixer: Any) -> Callable[[], Callable[[], object]]:
    def setup() -> Callable[[], object]:
        from keras_mixup import MixupModel

        x, y = _step_batch()
        model = _step_model(
            lambda: _cnn() if mixer is None else MixupModel(_cnn(), mixer()), (x, y)
        )
        return lambda: model.train_on_batch(x, y)

    return setup


def plain_step() -> Callable[[], object]:
    """One train step of the digits CNN on a batch of 256."""
    return _step(None)()


def mixup_step() -> Callable[[], object]:
    """The same step, mixup mixing in the graph."""
    return _step(_step_mixers()["mixup"])()


def cutmix_step() -> Callable[[], object]:
    """The same step, mixup or CutMix (switch_prob 0.5) per pair in the graph."""
    return _step(_step_mixers()["mixup-or-CutMix per pair"])()


def _breakdown_variants() -> dict[str, Any]:
    """MixupModel variants that stop after each part of a mixing train step (bench only)."""
    import keras

    from keras_mixup import MixupModel, _context

    class MixedInputsOnly(MixupModel):
        """Draws and mixed inputs; the loss of the unmixed labels."""

        # *args: whatever Keras passes, forwarded as is (Keras' own defaults apply)
        def compute_loss(self, *args: Any, **kwargs: Any) -> Any:
            _context.pop_pending(self)
            return keras.Model.compute_loss(self, *args, **kwargs)

    class WrapperOnly(MixedInputsOnly):
        """The wrapper model alone: no draws, no mixing, the plain loss."""

        def call(self, inputs: Any, training: bool | None = None) -> Any:
            return self.wrapped(inputs, training=training)

    return {
        "+ wrapper model": WrapperOnly,
        "+ draws, mixed inputs": MixedInputsOnly,
        "+ interpolated loss (all of it)": MixupModel,
    }


def step_breakdown(rounds: int = 300, instances: int = 2) -> list[dict[str, Any]]:
    """Where a mixing train step's time goes: each variant's median step time over the plain
    model's, the variants and the plain model stepping in turn (one step each per round, order
    rotated), ``instances`` models of each pooled (a model instance alone can be 1% off)."""
    batch = _step_batch()
    rows = []
    for mixer_name, mixer in _step_mixers().items():
        kinds: dict[str, Callable[[], Any]] = {"plain": _cnn}
        for name, variant in _breakdown_variants().items():
            kinds[name] = lambda variant=variant, mixer=mixer: variant(_cnn(), mixer())
        models = [
            (kind, _step_model(make, batch, warmup=5))
            for kind, make in kinds.items()
            for _ in range(instances)
        ]
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for r in range(rounds):
            shift = r % len(models)
            for kind, model in models[shift:] + models[:shift]:
                start = time.perf_counter()
                model.train_on_batch(*batch)
                times[kind].append(time.perf_counter() - start)
        plain = float(np.median(times["plain"]))
        for kind in list(kinds)[1:]:
            rows.append(
                {
                    "mixer": mixer_name,
                    "step": kind,
                    "ratio to plain": f"{np.median(times[kind]) / plain:.3f}",
                }
            )
        rows.append(
            {"mixer": mixer_name, "step": "plain step (ms)", "ratio to plain": f"{plain * 1e3:.2f}"}
        )
    return rows


def bench_cases(images: Path) -> list[BenchCase]:
    """Step-time budgets and breakdown, and quality per method (the digits case writes its
    reliability diagram into ``images``)."""
    return [
        BenchCase(
            "step-mixup",
            "train step: in-graph mixup vs plain (digits CNN, batch 256)",
            baseline=plain_step,
            candidate=mixup_step,
            max_ratio=1.05,
            # a 3-10 ms step on a shared machine: many short alternating blocks for a stable median
            steps=30,
            blocks=21,
        ),
        BenchCase(
            "step-cutmix",
            "train step: in-graph mixup/CutMix per pair vs plain",
            baseline=plain_step,
            candidate=cutmix_step,
            max_ratio=1.05,
            steps=30,
            blocks=21,
        ),
        BenchCase(
            "step-breakdown",
            "where the step time of mixing goes (digits CNN, batch 256): each row adds one part "
            "of the train step; median step time over the plain model's, all models stepping "
            "in turn in one process, 2 instances of each pooled",
            measure=step_breakdown,
        ),
        BenchCase(
            "quality-digits",
            "digits CNN: accuracy / NLL / ECE per method, 3 seeds",
            measure=functools.partial(digits_quality, images),
        ),
        BenchCase(
            "quality-tabular",
            "breast-cancer MLP: accuracy / NLL / ECE per method, 3 seeds",
            measure=tabular_quality,
        ),
    ]
