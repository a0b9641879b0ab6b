"""Per-variable gradient transforms, composable like optax (`chain`), for `LayerLR`.

Each transform maps ``(gradient, variable, step) -> gradient`` for one variable, with
hyperparameters held on the object (and in ``get_config``). They run on the unscaled gradient
(after `LossScaleOptimizer`, after the cross-replica sum under `tf.distribute`), before the
wrapped optimizer's own `clipnorm`/`clipvalue` and update.

References:
    Brock et al. 2021, "High-Performance Large-Scale Image Recognition Without
    Normalization" (adaptive gradient clipping). Yong et al. 2020, "Gradient Centralization".
    Neelakantan et al. 2015, "Adding Gradient Noise Improves Learning for Very Deep Networks".
"""

from __future__ import annotations

import keras
from keras import ops

from . import _keras_compat

_PACKAGE = "keras_layerlr"


def _positive(value, name, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"`{name}` must be a number. Received: {name}={value!r}")
    if not (value >= 0 if allow_zero else value > 0):
        rule = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be {rule}. Received: {name}={value!r}")
    return float(value)


def _reduce_axes(x):
    """All axes but the last (the output units of Dense/Conv kernels)."""
    return tuple(range(len(x.shape) - 1))


class GradientTransform:
    """Base class: ``update(gradient, variable, step)`` returns the new gradient.

    Subclasses with random draws override ``build(optimizer)`` to create their state as
    optimizer variables (so JAX's stateless train step threads it and saving restores it).
    Subclasses with hyperparameters return them from ``get_config``; decorate them with
    ``keras.saving.register_keras_serializable`` so a saved `LayerLR` reloads them.

    >>> from keras import ops
    >>> from keras_layerlr import Chain, ClipByValue, GradientTransform
    >>> class Scale(GradientTransform):
    ...     def __init__(self, factor):
    ...         self.factor = factor
    ...     def update(self, gradient, variable, step):
    ...         return gradient * self.factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> scale = Scale.from_config(Scale(0.5).get_config())
    >>> ops.convert_to_numpy(scale(ops.array([4.0, -1.0]), None)).tolist()
    [2.0, -0.5]
    >>> ops.convert_to_numpy(Chain(scale, ClipByValue(1.0))(ops.array([4.0, -1.0]), None)).tolist()
    [1.0, -0.5]
    """

    def build(self, optimizer):
        """Create state on ``optimizer`` once, before the first update (default: none)."""

    def update(self, gradient, variable, step):
        raise NotImplementedError

    def __call__(self, gradient, variable, step=0):
        return self.update(gradient, variable, step)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Chain(GradientTransform):
    """Apply transforms one after another (optax ``chain``).

    Args:
        *transforms: `GradientTransform` objects, applied left to right.

    >>> t = Chain(ClipByValue(1.0), ClipByNorm(0.5))
    >>> round(float(ops.norm(t(ops.array([3.0, -4.0]), None))), 4)
    0.5
    """

    def __init__(self, *transforms):
        if not transforms:
            raise ValueError("`transforms` must name at least one transform. Received: none")
        for t in transforms:
            if not isinstance(t, GradientTransform):
                raise TypeError(
                    "`transforms` must be GradientTransform objects (wrap a function with "
                    f"`from_callable`). Received: transforms=({t!r}, ...)"
                )
        self.transforms = tuple(transforms)

    def build(self, optimizer):
        for t in self.transforms:
            t.build(optimizer)

    def update(self, gradient, variable, step):
        for t in self.transforms:
            gradient = t.update(gradient, variable, step)
        return gradient

    def get_config(self):
        return {"transforms": [keras.saving.serialize_keras_object(t) for t in self.transforms]}

    @classmethod
    def from_config(cls, config):
        return cls(*[keras.saving.deserialize_keras_object(t) for t in config["transforms"]])


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ClipByValue(GradientTransform):
    """Clip every gradient entry to ``[-limit, limit]``.

    Args:
        limit: float > 0.

    >>> ops.convert_to_numpy(ClipByValue(1.0)(ops.array([-3.0, 0.5, 2.0]), None)).tolist()
    [-1.0, 0.5, 1.0]
    """

    def __init__(self, limit):
        self.limit = _positive(limit, "limit")

    def update(self, gradient, variable, step):
        return ops.clip(gradient, -self.limit, self.limit)

    def get_config(self):
        return {"limit": self.limit}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ClipByNorm(GradientTransform):
    """Rescale each variable's gradient so its L2 norm is at most ``max_norm``.

    Args:
        max_norm: float > 0.

    >>> round(float(ops.norm(ClipByNorm(1.0)(ops.array([3.0, 4.0]), None))), 4)
    1.0
    """

    def __init__(self, max_norm):
        self.max_norm = _positive(max_norm, "max_norm")

    def update(self, gradient, variable, step):
        norm = ops.sqrt(ops.sum(ops.square(gradient)))
        return gradient * (self.max_norm / ops.maximum(norm, self.max_norm))

    def get_config(self):
        return {"max_norm": self.max_norm}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class AdaptiveGradClip(GradientTransform):
    """Unit-wise adaptive gradient clipping (AGC, Brock et al. 2021).

    For each output unit (norms over all axes but the last; element-wise for biases), the
    gradient norm is capped at ``clipping * max(||W||, eps)``.

    Args:
        clipping: float > 0, the ratio lambda (paper: 0.01 to 0.16). Defaults to 0.01.
        eps: float >= 0, floor on the weight norm so zero-initialised units can move.
            Defaults to 1e-3.

    >>> g = AdaptiveGradClip(0.1)(ops.array([[1.0], [0.0]]), ops.array([[2.0], [0.0]]))
    >>> [round(v, 4) for v in ops.convert_to_numpy(g).ravel().tolist()]
    [0.2, 0.0]
    """

    def __init__(self, clipping=0.01, eps=1e-3):
        self.clipping = _positive(clipping, "clipping")
        self.eps = _positive(eps, "eps", allow_zero=True)

    def update(self, gradient, variable, step):
        weight = ops.cast(variable, gradient.dtype)
        axes = _reduce_axes(gradient)
        if axes:
            g_norm = ops.sqrt(ops.sum(ops.square(gradient), axis=axes, keepdims=True))
            w_norm = ops.sqrt(ops.sum(ops.square(weight), axis=axes, keepdims=True))
        else:
            g_norm, w_norm = ops.abs(gradient), ops.abs(weight)
        max_norm = ops.maximum(w_norm, self.eps) * self.clipping
        # max(g_norm, tiny) keeps the division finite where the gradient is zero.
        scale = ops.minimum(1.0, max_norm / ops.maximum(g_norm, 1e-30))
        return gradient * scale

    def get_config(self):
        return {"clipping": self.clipping, "eps": self.eps}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class CentralizeGradients(GradientTransform):
    """Gradient centralization (Yong et al. 2020): remove the mean over all axes but the last.

    Vectors (biases, norms) are left unchanged, as in the paper.

    >>> g = CentralizeGradients()(ops.array([[1.0, 2.0], [3.0, 6.0]]), None)
    >>> ops.convert_to_numpy(g).tolist()
    [[-1.0, -2.0], [1.0, 2.0]]
    """

    def update(self, gradient, variable, step):
        axes = _reduce_axes(gradient)
        if not axes:
            return gradient
        return gradient - ops.mean(gradient, axis=axes, keepdims=True)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class AddNoise(GradientTransform):
    """Add annealed Gaussian noise (Neelakantan et al. 2015).

    The noise variance at step ``t`` is ``eta / (1 + t) ** gamma``. Draws come from a
    `keras.random.SeedGenerator(seed)` whose state is an optimizer variable, so runs are
    reproducible and resume exactly after `model.save`/`load_model`.

    Args:
        eta: float > 0, initial variance. Defaults to 0.01.
        gamma: float >= 0, decay exponent. Defaults to 0.55.
        seed: int, seed of the generator. Defaults to 0.

    >>> noise = AddNoise(eta=1e-6, seed=1)
    >>> noise.build(None)
    >>> abs(float(noise(ops.zeros((3,)), None, 0)[0])) < 0.01
    True
    """

    def __init__(self, eta=0.01, gamma=0.55, seed=0):
        self.eta = _positive(eta, "eta")
        self.gamma = _positive(gamma, "gamma", allow_zero=True)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"`seed` must be an int. Received: seed={seed!r}")
        self.seed = seed
        self.generator = None

    def build(self, optimizer):
        if self.generator is not None:
            return
        self.generator = keras.random.SeedGenerator(self.seed, name="gradient_noise_seed")
        if optimizer is not None:
            _keras_compat.track_variable(optimizer, self.generator.state)

    def update(self, gradient, variable, step):
        step = ops.cast(step, "float32")
        stddev = ops.sqrt(self.eta / ops.power(1.0 + step, self.gamma))
        noise = keras.random.normal(ops.shape(gradient), seed=self.generator)
        return gradient + ops.cast(noise * stddev, gradient.dtype)

    def get_config(self):
        return {"eta": self.eta, "gamma": self.gamma, "seed": self.seed}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class FromCallable(GradientTransform):
    """Wrap a user function ``f(gradient, variable) -> gradient``.

    To save a model that uses it, decorate ``f`` with
    ``keras.saving.register_keras_serializable`` (lambdas cannot be reloaded safely).

    Args:
        fn: the callable.

    >>> ops.convert_to_numpy(FromCallable(lambda g, v: g * 2.0)(ops.ones((2,)), None)).tolist()
    [2.0, 2.0]
    """

    def __init__(self, fn):
        if isinstance(fn, dict):
            fn = keras.saving.deserialize_keras_object(fn)
        if not callable(fn):
            raise TypeError(f"`fn` must be callable f(grad, variable). Received: fn={fn!r}")
        self.fn = fn

    def update(self, gradient, variable, step):
        return self.fn(gradient, variable)

    def get_config(self):
        return {"fn": keras.saving.serialize_keras_object(self.fn)}


# optax-style lowercase factories (the names used in the README).
chain = Chain
clip_by_value = ClipByValue
clip_by_norm = ClipByNorm
adaptive_grad_clip = AdaptiveGradClip
centralize_gradients = CentralizeGradients
add_noise = AddNoise
from_callable = FromCallable
