"""A host application that knows no plugin by name.

It discovers the installed Keras plugins, shows them, trains a digits classifier with every
capability it finds (weight EMA, per-layer learning rates, spectral normalization, mixup),
saves the model, reloads it in a fresh process through ``discover().custom_objects()`` alone
and prints what each plugin did. With fewer plugins installed it uses what is there.

    python examples/host-app/host_app.py [--epochs 30] [--workdir DIR] [--no-baseline]

``KERAS_PLUGINS_ALLOW=keras-ema`` (or ``_BLOCK``) shows the app running with fewer plugins.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from capabilities import Found, find_capabilities, registered_names, short_name

from keras_plugin_harness import Plugins, discover

BATCH_SIZE = 64
LEARNING_RATE = 5e-3
#: layer-wise learning-rate decay: earlier layers learn slower, the head at the full rate
LR_MULTIPLIERS = {"hidden_1/*": 0.5, "hidden_2/*": 0.75}
EMA_DECAY = 0.99
MIXUP_ALPHA = 0.2
MODEL_FILE = "digits.keras"
DATA_FILE = "test-set.npz"
RELOAD_ATOL = 1e-5


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)), flush=True)


# -- discovery (no Keras import) ------------------------------------------------------------------


def show_plugins(plugins: Plugins) -> None:
    section("Installed plugins (discovered through the `keras_plugins` entry points)")
    if not plugins.infos:
        print("none: install a plugin, e.g. `pip install -e packages/keras-ema`")
    components: dict[str, list[str]] = {}
    for component in plugins.registry:
        components.setdefault(component.plugin, []).append(short_name(component.name))
    for name, info in plugins.infos.items():
        print(f"{name} {info.version}: {info.summary}")
        print(f"    components: {', '.join(components.get(name, [])) or '-'}")
    for problem in plugins.problems:
        print(f"left out: {problem}")


def show_capabilities(found: dict[str, Found]) -> None:
    section("What this app will use")
    for item in found.values():
        if item.available:
            provider = ", ".join(item.plugins)
            print(f"[x] {item.capability:<15} {item.description} (from {provider})")
        else:
            missing = ", ".join(item.missing)
            print(f"[ ] {item.capability:<15} no installed plugin registers {missing}: skipped")


# -- data, model, metrics ---------------------------------------------------------------------


def load_digits_split(seed: int) -> tuple[np.ndarray, ...]:
    """scikit-learn's bundled 8x8 digits, 75% train / 25% test, standardized with the training
    statistics (unit-scale inputs suit spectrally normalized layers, whose gain is 1)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.data))
    train, test = np.split(order, [int(0.75 * len(order))])
    mean, scale = digits.data[train].mean(axis=0), digits.data[train].std(axis=0) + 0.1
    x = ((digits.data - mean) / scale).astype("float32")
    y = digits.target.astype("int32")
    return x[train], y[train], x[test], y[test]


def build_network(found: dict[str, Found] | None) -> Any:
    """A 64-128-64-10 MLP; hidden layers spectrally normalized when that is available."""
    import keras

    sn = found["spectral-norm"] if found and found["spectral-norm"].available else None

    def hidden(units: int, name: str) -> Any:
        layer = keras.layers.Dense(units, activation="relu", name=name)
        return sn.obj()(layer, name=f"sn_{name}") if sn else layer

    return keras.Sequential(
        [
            keras.Input((64,)),
            hidden(128, "hidden_1"),
            hidden(64, "hidden_2"),
            keras.layers.Dense(10, activation="softmax", name="head"),
        ],
        name="digits_mlp",
    )


def build_optimizer(found: dict[str, Found]) -> Any:
    import keras

    optimizer = keras.optimizers.Adam(LEARNING_RATE)
    if not found["layer-lr"].available:
        return optimizer
    transforms = None
    if found["gradient-clip"].available:
        transforms = {"head/kernel": found["gradient-clip"].obj()(1.0)}
    return found["layer-lr"].obj()(optimizer, LR_MULTIPLIERS, transforms)


def scores(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy, negative log-likelihood and expected calibration error (10 bins)."""
    probabilities = np.asarray(probabilities, dtype="float64")
    confidence = probabilities.max(axis=1)
    correct = probabilities.argmax(axis=1) == labels
    nll = -np.mean(np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0)))
    bins = np.minimum((confidence * 10).astype(int), 9)
    ece = sum(
        abs(correct[bins == b].mean() - confidence[bins == b].mean()) * np.mean(bins == b)
        for b in range(10)
        if np.any(bins == b)
    )
    return {"accuracy": float(correct.mean()), "nll": float(nll), "ece": float(ece)}


def score_line(name: str, values: dict[str, float]) -> str:
    return (
        f"{name:<28} accuracy {values['accuracy']:.4f}   NLL {values['nll']:.4f}   "
        f"ECE {values['ece']:.4f}"
    )


# -- training ------------------------------------------------------------------------------------


def train_plain(data: tuple[np.ndarray, ...], epochs: int, seed: int) -> tuple[Any, dict]:
    """The same network with plain Keras (Adam, no plugin), for comparison."""
    import keras

    x_train, y_train, x_test, y_test = data
    keras.utils.set_random_seed(seed)
    network = build_network(None)
    network.compile(keras.optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy")
    network.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, verbose=0)
    return network, scores(network.predict(x_test, verbose=0), y_test)


def train_with_plugins(
    found: dict[str, Found], data: tuple[np.ndarray, ...], epochs: int, seed: int
) -> dict[str, Any]:
    """Build and fit the network with every available capability; return what was built."""
    import keras

    x_train, y_train, _, _ = data
    keras.utils.set_random_seed(seed)
    network = build_network(found)
    model = network
    if found["mixup"].available:
        mixer = found["mixup"].obj("Mixup")(alpha=MIXUP_ALPHA, seed=seed)
        model = found["mixup"].obj("MixupModel")(network, mixer)
    model(x_train[:BATCH_SIZE])  # build: a callback may need the weights at train begin
    optimizer = build_optimizer(found)
    # sparse integer labels: a mixing model interpolates this loss between the two labels
    model.compile(optimizer, "sparse_categorical_crossentropy")
    callbacks = []
    ema = None
    if found["weight-average"].available:
        # Trainable weights only: averaging spectral normalization's power-iteration vectors
        # (non-trainable) would shrink them and so its sigma estimate.
        ema = found["weight-average"].obj()(
            decay=EMA_DECAY, warmup="ratio", include_non_trainable=False
        )
        callbacks.append(ema)
    model.fit(
        x_train,
        y_train,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        callbacks=callbacks,
        verbose=0,
    )
    return {"network": network, "model": model, "optimizer": optimizer, "ema": ema}


# -- what each plugin did ----------------------------------------------------------------------


def report(found: dict[str, Found], run: dict[str, Any], plain: Any, data: tuple) -> dict:
    """Print one paragraph per capability used; return the scores of the model to deploy."""
    _, _, x_test, y_test = data
    network = run["network"]
    raw = scores(network.predict(x_test, verbose=0), y_test)
    deployed = raw

    if run["ema"] is not None:
        ema = run["ema"]
        section(f"Weight EMA ({', '.join(found['weight-average'].plugins)})")
        with ema.swapped():
            averaged = scores(network.predict(x_test, verbose=0), y_test)
        print(f"{ema.step} training steps averaged, decay {EMA_DECAY} with warm-up")
        print(score_line("raw weights", raw))
        print(score_line("averaged weights (EMA)", averaged))
        deployed = averaged

    if found["layer-lr"].available:
        section(f"Per-layer learning rates ({', '.join(found['layer-lr'].plugins)})")
        table = getattr(run["optimizer"], "lr_table", None)
        print(table(network) if table else f"multipliers: {LR_MULTIPLIERS}")

    if found["spectral-norm"].available:
        section(f"Spectral normalization ({', '.join(found['spectral-norm'].plugins)})")
        lipschitz_report = found["spectral-norm"].helper("lipschitz_report")
        if lipschitz_report is None:
            print("the providing package has no `lipschitz_report`; no sigma report")
        else:
            print(lipschitz_report(network, x_test[:256]))
            if plain is not None:
                bound = lipschitz_report(plain, x_test[:256]).bound
                print(f"plain Keras network, same data: Lipschitz bound {bound:.4f}")

    if found["mixup"].available:
        section(f"mixup ({', '.join(found['mixup'].plugins)})")
        mixer = run["model"].mixer
        print(
            f"every training batch was mixed in-graph with lam ~ Beta({mixer.alpha}, "
            f"{mixer.alpha}) (mode {mixer.mode!r}), the sparse labels by loss interpolation;\n"
            "predict/evaluate see plain inputs. Expect softer probabilities (see NLL/ECE in "
            "the summary)."
        )
    return deployed


# -- save, and reload in a fresh process --------------------------------------------------------


def save(run: dict[str, Any], data: tuple, workdir: Path) -> Path:
    _, _, x_test, y_test = data
    if run["ema"] is not None:
        run["ema"].apply_averages()  # deploy the averaged weights
    path = workdir / MODEL_FILE
    run["model"].save(path)
    expected = run["network"].predict(x_test, verbose=0)
    np.savez(workdir / DATA_FILE, x=x_test, y=y_test, expected=expected)
    return path


def reload_in_fresh_process(workdir: Path) -> int:
    """Run this file with ``--reload`` in a new interpreter: nothing is shared but the files."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--reload", str(workdir)],
        env=os.environ.copy(),
        check=False,
    )
    return done.returncode


def reload(workdir: Path) -> int:
    """The fresh process: load through discovery alone, compare predictions."""
    started = time.perf_counter()
    plugins = discover()
    import keras

    path = workdir / MODEL_FILE
    with zipfile.ZipFile(path) as archive:
        needed = registered_names(json.loads(archive.read("config.json")))
    providers = {c.name: c.plugin for c in plugins.registry}
    section("Fresh process: load through `discover().custom_objects()` alone")
    for name in sorted(needed):
        print(f"{name:<40} provided by {providers.get(name, 'Keras / not a plugin')}")
    model = keras.saving.load_model(path, custom_objects=plugins.custom_objects())
    data = np.load(workdir / DATA_FILE)
    got = model.predict(data["x"], verbose=0)
    difference = float(np.max(np.abs(got - data["expected"])))
    print(f"loaded {type(model).__name__} with optimizer {type(model.optimizer).__name__}")
    print(score_line("reloaded model", scores(got, data["y"])))
    verdict = "same predictions" if difference <= RELOAD_ATOL else "DIFFERENT predictions"
    print(
        f"max |reloaded - saved| = {difference:.2e}: {verdict} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return 0 if difference <= RELOAD_ATOL else 1


# -- main ------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="where the model is saved (default: temp)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the plain-Keras run")
    parser.add_argument("--reload", type=Path, metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reload:
        return reload(args.reload)

    started = time.perf_counter()
    plugins = discover()
    show_plugins(plugins)
    found = find_capabilities(plugins.registry)
    show_capabilities(found)

    import keras

    section(f"Training on digits ({keras.backend.backend()} backend, {args.epochs} epochs)")
    data = load_digits_split(args.seed)
    plain, plain_scores = (None, None)
    if not args.no_baseline:
        plain, plain_scores = train_plain(data, args.epochs, args.seed)
    run = train_with_plugins(found, data, args.epochs, args.seed)
    print(f"trained in {time.perf_counter() - started:.1f} s since start")
    final = report(found, run, plain, data)

    section("Summary on the test set (450 digits)")
    if plain_scores is not None:
        print(score_line("plain Keras", plain_scores))
    print(score_line("with the plugins above", final))

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="host-app-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = save(run, data, workdir)
    print(
        f"\nsaved {path} ({path.stat().st_size / 1024:.0f} KiB)"
        + (" with the EMA weights applied" if run["ema"] is not None else "")
    )
    status = reload_in_fresh_process(workdir)
    print(f"\ndone in {time.perf_counter() - started:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
