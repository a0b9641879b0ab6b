"""The shared checks. Each takes the plugin name, the case and the discovered plugins and raises
``AssertionError`` (fail) or calls ``pytest.skip`` with the reason (does not apply)."""

from __future__ import annotations

import inspect
import json
import math
import os
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest

from ..cases import ConformanceCase
from ..manager import Plugins
from . import devices, runs

Check = Callable[[str, ConformanceCase, Plugins], None]


def check_trains(plugin: str, case: ConformanceCase, plugins: Plugins) -> None:
    model, history = runs.reference(case)
    losses = history.get("loss", [])
    assert losses, "fit recorded no `loss`; compile the model with a loss or add_loss()"
    assert all(math.isfinite(v) for v in losses), f"non-finite loss during fit: {losses}"
    assert losses[-1] < losses[0], f"loss did not go down over {case.epochs} epochs: {losses}"
    bad = [
        n
        for n, v in runs.weights(model).items()
        if v.dtype.kind == "f" and not np.isfinite(v).all()
    ]
    assert not bad, f"non-finite values after training in {bad[:5]}"


def check_saves(
    plugin: str, case: ConformanceCase, plugins: Plugins, reloaded: dict[str, Any]
) -> None:
    """Compares what the fresh process (see ``reload.py``) read back with the original run."""
    if "error" in reloaded:
        raise AssertionError(f"fresh process could not reload the model: {reloaded['error']}")
    expected, actual = reloaded["expected"], reloaded["actual"]
    runs.assert_close(
        expected["predictions"], actual["predictions"], "predictions after reload", 1e-6
    )
    runs.assert_close(expected["state"], actual["state"], "state after reload", 1e-6)
    runs.assert_close(
        expected["after_step"], actual["after_step"], "state after one more epoch", 1e-6
    )


def check_config(plugin: str, case: ConformanceCase, plugins: Plugins) -> None:
    registry = plugins.registry
    components = registry.for_plugin(plugin)
    for component in components:
        if inspect.isclass(component.obj) and hasattr(component.obj, "get_config"):
            assert component.example is not None, (
                f"{component.name} has get_config but was registered without `example=`; "
                "register it with an example instance so its config can be checked"
            )
            _round_trip(component.name, component.example())
    model = runs.build(case)
    _all_plugin_objects_registered(plugin, plugins, model)
    x, _ = runs.data(case)
    model.predict(x, batch_size=case.batch_size, verbose=0)  # builds subclassed models
    config = json.loads(json.dumps(keras.saving.serialize_keras_object(model)))
    with keras.saving.custom_object_scope(plugins.custom_objects()):
        clone = keras.saving.deserialize_keras_object(config)
    clone.predict(x, batch_size=case.batch_size, verbose=0)
    clone.set_weights(model.get_weights())
    runs.assert_close(
        runs.predictions(case, model),
        runs.predictions(case, clone),
        "model rebuilt from its config",
        atol=1e-6,
    )


def _round_trip(name: str, obj: Any) -> None:
    config = obj.get_config()
    try:
        text = json.dumps(config, sort_keys=True)
    except TypeError as error:
        raise AssertionError(f"{name}.get_config() is not JSON serializable: {error}") from error
    parameters = inspect.signature(type(obj).__init__).parameters.values()
    wanted = [
        p.name
        for p in parameters
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    missing = [p for p in wanted if p not in config]
    assert not missing, f"{name}.get_config() drops constructor argument(s) {missing}"
    clone = type(obj).from_config(json.loads(text))
    again = json.dumps(clone.get_config(), sort_keys=True)
    assert again == text, f"{name}.from_config(get_config()) does not reproduce the config"


def _all_plugin_objects_registered(plugin: str, plugins: Plugins, model: Any) -> None:
    # the entry-point module `keras_ema_plugin` registers the classes of package `keras_ema`
    entry_module = plugins.module(plugin).__name__.split(".")[0]
    packages = {entry_module, entry_module.removesuffix("_plugin")}
    packages |= {c.obj.__module__.split(".")[0] for c in plugins.registry.for_plugin(plugin)}
    registered = {id(c.obj) for c in plugins.registry}
    objects = [*model._flatten_layers(include_self=False), getattr(model, "optimizer", None)]
    for obj in objects:
        cls = type(obj)
        if cls.__module__.split(".")[0] in packages and id(cls) not in registered:
            raise AssertionError(
                f"{cls.__module__}.{cls.__qualname__} is used by the model but not registered in "
                "register_components(); a saved model using it cannot be loaded through discovery"
            )


def check_seeded(plugin: str, case: ConformanceCase, plugins: Plugins) -> None:
    first, second = runs.reference(case)[0], runs.train(case)[0]
    runs.assert_close(
        runs.state(case, first), runs.state(case, second), "same seed, two runs", 0, 0
    )
    runs.assert_close(
        runs.predictions(case, first),
        runs.predictions(case, second),
        "same seed, two runs (predictions)",
        0,
        0,
    )


def check_jit(plugin: str, case: ConformanceCase, plugins: Plugins) -> None:
    if keras.backend.backend() == "torch":
        import torch

        # torch.compile caches per code object: a layer compiled earlier in this process with
        # other shapes is recompiled with dynamic shapes, whose symbolic conv-transpose shape
        # checks fail in torch 2.13. Each check compiles from a clean cache instead.
        torch._dynamo.reset()
    reference = runs.reference(case)[0]
    # the reference ran with the case's own setting (usually "auto"); train the other one
    other, _ = runs.train(case, jit_compile=not reference.jit_compile)
    compiled, eager = (reference, other) if reference.jit_compile else (other, reference)
    runs.assert_close(
        runs.state(case, eager),
        runs.state(case, compiled),
        "jit_compile=True vs False",
        case.atol,
        rtol=1e-3,
    )


def check_distributed(plugin: str, case: ConformanceCase, plugins: Plugins) -> None:
    with devices.data_parallel(case):
        distributed, _ = runs.train(case)
    single, _ = runs.reference(case)
    runs.assert_close(
        runs.state(case, single),
        runs.state(case, distributed),
        "2-device data parallel vs single device",
        case.atol,
        rtol=1e-3,
    )


def check_mixed(plugin: str, case: ConformanceCase, plugins: Plugins) -> None:
    for policy in ("mixed_float16", "mixed_bfloat16"):
        with runs.dtype_policy(policy):
            model, history = runs.train(case)
        losses = history.get("loss", [])
        assert losses and all(math.isfinite(v) for v in losses), f"{policy}: loss {losses}"
        for variable in model.weights:
            dtype = keras.backend.standardize_dtype(variable.dtype)
            assert dtype not in ("float16", "bfloat16"), (
                f"{policy}: variable {variable.path} is {dtype}; variables must stay float32"
            )
        outputs = runs.predictions(case, model)
        assert all(
            np.isfinite(o.astype("float32")).all() for o in outputs if o.dtype.kind == "f"
        ), f"{policy}: NaN/inf in predictions"


def check_bad_input(plugin: str, case: ConformanceCase, plugins: Plugins) -> None:
    assert case.misuses, "case declares no `misuses`; document at least one misuse and its error"
    for misuse in case.misuses:
        label = misuse.description or misuse.argument
        try:
            misuse.call()
        except misuse.error as error:
            assert misuse.argument in str(error), (
                f"misuse {label!r} raised {type(error).__name__} whose message does not name "
                f"`{misuse.argument}`: {error}"
            )
        except Exception as error:
            raise AssertionError(
                f"misuse {label!r} raised {type(error).__name__} instead of {misuse.error}: {error}"
            ) from error
        else:
            raise AssertionError(f"misuse {label!r} was accepted silently (no error raised)")


def check_gpu(plugin: str, case: ConformanceCase, plugins: Plugins) -> None:
    accelerator = devices.accelerator()
    if accelerator is None and os.environ.get("KERAS_PLUGINS_REQUIRE_GPU"):
        raise AssertionError(
            f"KERAS_PLUGINS_REQUIRE_GPU is set but {keras.backend.backend()} sees no GPU"
        )
    if accelerator is None:
        pytest.skip(f"no GPU visible to the {keras.backend.backend()} backend")
    with keras.device("cpu:0"):
        on_cpu, _ = runs.train(case)
        cpu_state = runs.state(case, on_cpu)
    with keras.device(accelerator):
        on_gpu, _ = runs.train(case)
        gpu_state = runs.state(case, on_gpu)
    runs.assert_close(cpu_state, gpu_state, f"{accelerator} vs cpu", case.atol * 10, rtol=1e-2)


CHECK_FUNCTIONS: dict[str, Check] = {
    "trains": check_trains,
    "config": check_config,
    "seeded": check_seeded,
    "jit": check_jit,
    "distributed": check_distributed,
    "mixed": check_mixed,
    "bad-input": check_bad_input,
    "gpu": check_gpu,
}
