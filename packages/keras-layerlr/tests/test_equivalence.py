"""LayerLR == one copy of the optimizer per group with lr * multiplier (20 steps, atol 1e-6)."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_layerlr import LayerLR

ATOL = 1e-6
STEPS = 20
MULTIPLIERS = {"a/*": 0.1, "re:^b/": 3.0}  # "c/*" is unmatched: plain optimizer
SHAPES = {"a": [(3, 4), (4,)], "b": [(4, 2), (2,)], "c": [(2,)]}


@keras.saving.register_keras_serializable(package="keras_layerlr_tests")
class Scaled(keras.optimizers.schedules.LearningRateSchedule):
    """The reference for a group: the wrapped schedule times the multiplier."""

    def __init__(self, schedule, factor):
        self.schedule, self.factor = schedule, factor

    def __call__(self, step):
        return self.schedule(step) * self.factor


def schedule():
    return keras.optimizers.schedules.ExponentialDecay(0.02, decay_steps=5, decay_rate=0.5)


OPTIMIZERS = {
    "sgd": lambda lr: keras.optimizers.SGD(lr),
    "sgd-momentum": lambda lr: keras.optimizers.SGD(lr, momentum=0.9),
    "sgd-nesterov-wd": lambda lr: keras.optimizers.SGD(
        lr, momentum=0.8, nesterov=True, weight_decay=0.1
    ),
    "adam": lambda lr: keras.optimizers.Adam(lr),
    "adamw": lambda lr: keras.optimizers.AdamW(lr, weight_decay=0.05),
    "rmsprop": lambda lr: keras.optimizers.RMSprop(lr),
    "rmsprop-momentum": lambda lr: keras.optimizers.RMSprop(lr, momentum=0.5),
    "lion": lambda lr: keras.optimizers.Lion(lr, weight_decay=0.1),
    "adam-schedule": lambda lr: keras.optimizers.Adam(
        schedule() if lr == 1.0 else Scaled(schedule(), lr)
    ),
}
BASE_LR = {"adam-schedule": 1.0}


def make_variables(seed=0):
    rng = np.random.default_rng(seed)
    variables = {}
    for group, shapes in SHAPES.items():
        with keras.name_scope(group):
            variables[group] = [
                keras.Variable(rng.normal(size=s).astype("float32"), name=f"w{i}")
                for i, s in enumerate(shapes)
            ]
    return variables


def gradient(variable, step):
    # A quadratic pull towards 0.5 plus a step-dependent push, so the trajectory matters.
    return 2.0 * (variable.value - 0.5) + 0.1 * np.cos(step + 1.0)


def run_wrapped(factory, base_lr, steps=STEPS):
    variables = make_variables()
    flat = [v for vs in variables.values() for v in vs]
    opt = LayerLR(factory(base_lr), MULTIPLIERS)
    for step in range(steps):
        opt.apply([gradient(v, step) for v in flat], flat)
    return [ops.convert_to_numpy(v) for v in flat]


def run_reference(factory, base_lr, steps=STEPS):
    variables = make_variables()
    factors = {"a": 0.1, "b": 3.0, "c": 1.0}
    optimizers = {
        g: factory(base_lr * f if base_lr != 1.0 or f == 1.0 else f) for g, f in factors.items()
    }
    for step in range(steps):
        for group, vs in variables.items():
            optimizers[group].apply([gradient(v, step) for v in vs], vs)
    return [ops.convert_to_numpy(v) for vs in variables.values() for v in vs]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_matches_one_optimizer_per_group(name):
    factory, base_lr = OPTIMIZERS[name], BASE_LR.get(name, 0.01)
    wrapped = run_wrapped(factory, base_lr)
    reference = run_reference(factory, base_lr)
    start = [v for vs in make_variables().values() for v in vs]
    for w, r, s in zip(wrapped, reference, start, strict=True):
        np.testing.assert_allclose(w, r, atol=ATOL, rtol=0)
        assert np.abs(w - ops.convert_to_numpy(s)).max() > 1e-4  # every group moved


def test_multiplier_scales_update_not_gradient_for_adam():
    # One Adam step moves each entry by ~lr regardless of gradient scale: lr * m, here 0.1 * lr.
    with keras.name_scope("a"):
        w = keras.Variable(np.ones(3, "float32"), name="w")
    opt = LayerLR(keras.optimizers.Adam(0.01), {"a/*": 0.1})
    opt.apply([ops.array([10.0, -1.0, 0.1])], [w])
    np.testing.assert_allclose(ops.convert_to_numpy(w), [1 - 1e-3, 1 + 1e-3, 1 - 1e-3], atol=1e-6)


def compiled_step(opt, variables):
    """One update traced/compiled the way `fit` runs it on each backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(lambda grads: opt.apply(grads, variables), jit_compile=True)
    if backend == "jax":
        import jax

        @jax.jit
        def stateless(opt_values, grads, values):
            return opt.stateless_apply(opt_values, grads, values)

        def step(grads):
            new_values, new_opt = stateless(
                [v.value for v in opt.variables], grads, [v.value for v in variables]
            )
            for ref, value in zip(variables, new_values, strict=True):
                ref.assign(value)
            for ref, value in zip(opt.variables, new_opt, strict=True):
                ref.assign(value)

        return step
    return lambda grads: opt.apply(grads, variables)


@pytest.mark.parametrize("name", ["sgd-momentum", "adamw", "adam-schedule"])
def test_compiled_path_matches_eager(name):
    """`tf.function(jit_compile=True)` on TF, `stateless_apply` under `jax.jit` on JAX."""
    factory, base_lr = OPTIMIZERS[name], BASE_LR.get(name, 0.01)
    variables = make_variables()
    flat = [v for vs in variables.values() for v in vs]
    opt = LayerLR(factory(base_lr), MULTIPLIERS)
    opt.build(flat)
    step = compiled_step(opt, flat)
    for i in range(STEPS):
        step([ops.convert_to_tensor(gradient(v, i)) for v in flat])
    reference = run_reference(factory, base_lr)
    for w, r in zip(flat, reference, strict=True):
        np.testing.assert_allclose(ops.convert_to_numpy(w), r, atol=ATOL, rtol=0)
    assert int(ops.convert_to_numpy(opt.iterations)) == STEPS
