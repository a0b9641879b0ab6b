"""keras-layerlr benchmarks (run by `keras-plugins bench`, not shipped in the wheel).

Step time of a `LayerLR`-wrapped Adam (3 groups + one transform) vs plain Adam.
"""

from __future__ import annotations

from pathlib import Path

from keras_plugin_harness import BenchCase

PLUGIN = "keras-layerlr"

BATCH = 256
GROUPS = {"block_0/*": 0.25, "block_1/*": 0.5, "head/*": 1.0}


def _data():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.data[: 4 * BATCH] / 16.0).astype("float32")
    y = digits.target[: 4 * BATCH].astype("int32")
    return x[:BATCH], y[:BATCH]


def _model(optimizer):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(512, activation="relu", name="block_0"),
            keras.layers.Dense(512, activation="relu", name="block_1"),
            keras.layers.Dense(10, name="head"),
        ],
        name="bench",
    )
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _step(model):
    x, y = _data()
    model.train_on_batch(x, y)  # builds and compiles
    return lambda: model.train_on_batch(x, y)


def plain():
    import keras

    return _step(_model(keras.optimizers.Adam(1e-3)))


def wrapped():
    import keras

    from keras_layerlr import LayerLR, clip_by_norm

    plain_adam = keras.optimizers.Adam(1e-3)
    optimizer = LayerLR(keras.optimizers.Adam(1e-3), GROUPS, {"head/*": clip_by_norm(1.0)})
    step = _step(_model(optimizer))
    reference = _model(plain_adam)
    reference.optimizer.build(reference.trainable_variables)
    extra = len(optimizer.variables) - len(plain_adam.variables)
    if extra != len(GROUPS):
        raise AssertionError(
            f"LayerLR added {extra} optimizer variables; expected one multiplier per group "
            f"({len(GROUPS)})"
        )
    return step


def bench_cases(images: Path) -> list[BenchCase]:
    """The bench cases; ``images`` (the runner's figure folder) is unused: no figures."""
    return [
        BenchCase(
            "step-time",
            "train_on_batch: LayerLR(Adam, 3 groups, clip_by_norm on head) / plain Adam, "
            "MLP 64-512-512-10, batch 256 (digits)",
            baseline=plain,
            candidate=wrapped,
            max_ratio=1.05,
        )
    ]
