"""Spectral norm regularization as a ``kernel_regularizer`` (Yoshida & Miyato, 2017).

Where the persistent ``u`` lives: Keras hands a regularizer only the kernel (the variable on
TensorFlow and PyTorch, its traced value inside JAX's stateless train step), never the layer, and
a layer is locked once built. But a layer tracks every `keras.layers.Layer` assigned to one of
its attributes, and ``Dense(kernel_regularizer=r)`` assigns ``r`` in ``__init__``. So the
regularizer is also a (never called, never built) `Layer`: its ``u`` variables become the owning
layer's non-trainable variables, so JAX threads them through the stateless step, and `.keras`
files save them under ``<layer>/kernel_regularizer``.
"""

import keras
import numpy as np
from keras import ops

from keras_lipschitz import _keras_compat
from keras_lipschitz._eager import outside_trace
from keras_lipschitz._linear_maps import normalize


def _key(path):
    """``<layer>-<variable>`` from a kernel path: its layer-local part (a model reloaded from a
    file drops the model prefix), used to bind a restored ``u`` to its kernel."""
    return "-".join(path.split("/")[-2:])


def _matrix(kernel):
    """The kernel as ``(-1, out)``, float32 (the last axis is the output of Dense and Conv)."""
    kernel = ops.cast(kernel, "float32")
    return ops.reshape(kernel, (-1, kernel.shape[-1]))


class _Slot:
    """One regularized kernel and its ``u``. A plain object, so Keras' tracking skips the
    kernel reference (it belongs to the layer, not to the regularizer)."""

    def __init__(self, key, u, kernel=None):
        self.key, self.u, self.kernel = key, u, kernel


@keras.saving.register_keras_serializable(package="keras_lipschitz")
class SpectralNormRegularizer(keras.layers.Layer, keras.regularizers.Regularizer):
    """Penalty ``strength / 2 * sigma(W)^2`` on a kernel's largest singular value.

    The kernel is seen as the matrix ``M = reshape(W, (-1, out))`` (the last axis is the output
    for Dense and Conv kernels). Per regularized kernel a persistent, non-trainable ``u`` (length
    ``out``) is kept; each time Keras computes the losses (once per train step) it is refined by
    ``power_iterations`` steps of power iteration with no gradient through it,
    ``v = M u / |M u|``, ``u = M^T v / |M^T v|``, and ``sigma = v^T M u``. The gradient is
    ``strength * sigma * v u^T`` as in the paper. ``u`` starts from ``warmup_iterations`` power
    iterations on the kernel (like torch's spectral norm), is saved with the model and restored on
    load.

    ``u`` is created the first time Keras computes the losses with the kernel *variable*: in
    `fit`/`evaluate`/`train_on_batch` of a model compiled with a ``loss`` (Keras' symbolic
    build), or on any eager ``model.losses``. Losses computed earlier (for example inside a jitted
    JAX step of a model compiled without ``loss``), and calls on plain tensors, restart from a
    fixed vector with ``warmup_iterations`` steps and update nothing. ``evaluate`` also refines
    ``u``: Keras computes the regularization losses there too (on a fixed kernel this only
    sharpens the estimate). A regularizer instance may be shared by the layers of one model;
    give each model its own instance, since its ``u`` variables belong to every model it is in.

    Args:
        strength: lambda, the penalty weight (>= 0).
        power_iterations: power-iteration steps per loss computation (int >= 1, default 1).
        eps: floor for vector norms (> 0, default 1e-12).
        warmup_iterations: power-iteration steps when ``u`` is created, and for calls without a
            persistent ``u`` (int >= 1, default 20).

    Returns:
        A scalar penalty added to the layer's losses.

    References:
        Yoshida & Miyato, "Spectral Norm Regularization for Improving the Generalizability of
        Deep Learning", 2017.

    Example:

    >>> import numpy as np, keras
    >>> reg = SpectralNormRegularizer(2.0)
    >>> float(reg(np.diag([3.0, 1.0]).astype("float32")))  # 2 / 2 * 3^2
    9.0
    >>> layer = keras.layers.Dense(2, kernel_regularizer=reg, name="d")
    >>> _ = layer(np.ones((1, 2), "float32"))
    >>> _ = layer.kernel.assign(np.diag([3.0, 1.0]))
    >>> penalty = layer.losses[0]  # eager: creates the persistent `u`, one power iteration
    >>> [v.name for v in layer.non_trainable_weights]
    ['u_0']
    >>> round(float(penalty), 4)
    9.0
    """

    def __init__(self, strength, power_iterations=1, eps=1e-12, warmup_iterations=20, **kwargs):
        if isinstance(strength, bool) or not isinstance(strength, (int, float)) or strength < 0:
            raise ValueError(f"`strength` must be a number >= 0. Received: strength={strength!r}")
        for name, value in (
            ("power_iterations", power_iterations),
            ("warmup_iterations", warmup_iterations),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"`{name}` must be an int. Received: {name}={value!r}")
            if value < 1:
                raise ValueError(f"`{name}` must be >= 1. Received: {name}={value}")
        if not isinstance(eps, (int, float)) or not eps > 0:
            raise ValueError(f"`eps` must be a number > 0. Received: eps={eps!r}")
        super().__init__(**kwargs)
        self.strength = float(strength)
        self.power_iterations = power_iterations
        self.eps = float(eps)
        self.warmup_iterations = warmup_iterations
        self._slots = []
        # Nothing to build: `u` variables are added when kernels are first seen. Marking it
        # built keeps Keras from treating the owning model as unbuilt; the tracker stays open.
        self.built = True

    # ------------------------------------------------------------------ power iteration
    def _iterate(self, matrix, u, iterations):
        matrix = ops.stop_gradient(matrix)
        for _ in range(iterations):
            v = normalize(ops.matmul(matrix, u), self.eps)
            u = normalize(ops.matmul(v, matrix), self.eps)
        return u

    def _start(self, columns):
        start = np.random.RandomState(0).standard_normal(columns).astype("float32")
        return normalize(ops.convert_to_tensor(start), self.eps)

    def _penalty(self, matrix, u):
        v = ops.stop_gradient(normalize(ops.matmul(ops.stop_gradient(matrix), u), self.eps))
        sigma = ops.sum(v * ops.matmul(matrix, ops.stop_gradient(u)))
        return 0.5 * self.strength * ops.square(sigma)

    # ------------------------------------------------------------------ slots
    def _slot_for_variable(self, kernel):
        for slot in self._slots:
            if slot.kernel is kernel:
                return slot
        key = _key(kernel.path)
        for slot in self._slots:  # restored by `load_own_variables`, not yet bound
            if slot.kernel is None and slot.key == key and slot.u.shape == (kernel.shape[-1],):
                slot.kernel = kernel
                return slot

        def warm_start(shape, dtype=None):
            # Runs eagerly (at creation, or when a stateless scope initializes it on exit).
            return self._iterate(
                _matrix(kernel.value), self._start(shape[0]), self.warmup_iterations
            )

        with outside_trace():
            slot = _Slot(key, self._add_u(kernel.shape[-1], warm_start), kernel)
        self._slots.append(slot)
        return slot

    def _add_u(self, size, initializer):
        # Named by position: auto-numbered layer names differ between two builds of a model.
        return self.add_weight(
            name=f"u_{len(self._slots)}",
            shape=(size,),
            initializer=initializer,
            trainable=False,
            dtype="float32",
            autocast=False,
            aggregation="only_first_replica",
        )

    def _slot_for_value(self, value):
        """The slot whose kernel the current stateless scope maps to ``value`` (JAX's step)."""
        scope = _keras_compat.current_stateless_scope()
        for slot in self._slots:
            if slot.kernel is not None and scope.get_current_value(slot.kernel) is value:
                return slot
        return None

    # ------------------------------------------------------------------ regularizer API
    def __call__(self, x):
        if isinstance(x, keras.Variable):
            slot, value = self._slot_for_variable(x), x.value
        else:
            stateless = _keras_compat.in_stateless_scope()
            slot, value = (self._slot_for_value(x) if stateless else None), x
        matrix = _matrix(ops.convert_to_tensor(value))
        if slot is None:
            u = self._iterate(matrix, self._start(matrix.shape[1]), self.warmup_iterations)
            return self._penalty(matrix, u)
        u = self._iterate(matrix, slot.u.value, self.power_iterations)
        slot.u.assign(u)
        return self._penalty(matrix, u)

    def sigma(self, x):
        """The current estimate ``v^T M u`` of the largest singular value of ``x`` as a matrix,
        from the stored ``u`` when ``x`` is a regularized kernel (nothing is updated)."""
        matrix = _matrix(ops.convert_to_tensor(x.value if isinstance(x, keras.Variable) else x))
        slot = next((s for s in self._slots if s.kernel is x), None)
        if slot is not None:
            u = slot.u.value
        else:
            u = self._iterate(matrix, self._start(matrix.shape[1]), self.warmup_iterations)
        v = normalize(ops.matmul(matrix, u), self.eps)
        return ops.sum(v * ops.matmul(matrix, u))

    # ------------------------------------------------------------------ saving
    def save_own_variables(self, store):
        for index, slot in enumerate(self._slots):
            store[f"{index}_{slot.key}"] = slot.u

    def load_own_variables(self, store):
        # A freshly deserialized regularizer has seen no kernel yet: recreate the saved `u`s in
        # their original order; each binds to its kernel (by path) when first seen.
        for name in sorted(store.keys(), key=lambda name: int(name.split("_", 1)[0])):
            key, value = name.split("_", 1)[1], np.asarray(store[name])
            slot = next((s for s in self._slots if s.key == key), None)
            if slot is None:
                slot = _Slot(key, self._add_u(value.shape[0], "zeros"))
                self._slots.append(slot)
            slot.u.assign(value)

    # Keras re-shares an object used by several layers when a model is loaded, but only for
    # objects whose first config it can still mark: a regularizer's config is copied into its
    # layer's before the second use is seen, so one regularizer would come back as several and
    # the `u`s saved under the first layer would be missing in the others. While a model is
    # saved (Keras' object-sharing scope is open) the config carries the instance's id, and
    # while one is loaded `from_config` returns the instance already made for that id.
    def get_config(self):
        config = {
            "strength": self.strength,
            "power_iterations": self.power_iterations,
            "eps": self.eps,
            "warmup_iterations": self.warmup_iterations,
        }
        if _keras_compat.saving_shared_objects():
            config[_SHARING_KEY] = id(self)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        instance_id = config.pop(_SHARING_KEY, None)
        loaded = _keras_compat.loaded_shared_objects()
        if instance_id is None or loaded is None:
            return cls(**config)
        key = (_SHARING_KEY, instance_id)
        if key not in loaded:
            loaded[key] = cls(**config)
        return loaded[key]


_SHARING_KEY = "keras_lipschitz_instance"
