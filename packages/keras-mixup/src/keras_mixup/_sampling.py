"""Drawing and applying the random mixing parameters of one batch (free functions).

Every function takes ``backend``: an object with keras' backend layout (``backend.numpy``,
``backend.random``, ``backend.cast``, ``backend.shape``) so the same code runs under the active
Keras backend and, inside a ``tf.data`` pipeline, under TensorFlow. ``keras_mixup.ops_backend()``
gives the active one.

A batch's mixing is described by a dict of tensors (``MixParams``):

- ``index`` (N,) int: sample ``i`` is mixed with sample ``index[i]`` of the same batch;
- ``weight``: broadcastable to the inputs, the share of sample ``i`` in the mixed input
  (a per-sample lambda for mixup, a 0/1 mask outside/inside the box for CutMix);
- ``lam_x`` (N,): the mean input share of sample ``i`` (used by manifold mixup on hidden layers);
- ``lam_y`` (N,): the share of label ``i`` in the mixed label (1 keeps the first label).

References:
    Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018.
    Yun et al., "CutMix: Regularization Strategy to Train Strong Classifiers", ICCV 2019.
    timm ``timm/data/mixup.py`` (modes batch/pair/elem, box sampling).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _backend_ops, _rng

MODES = ("batch", "pair", "elem")


def ops_backend() -> Any:
    """The active Keras backend as a namespace (``.numpy``, ``.random``, ``.cast``...).

    Returns:
        Keras' ``DynamicBackend``: the mixers call its ops instead of ``keras.ops`` so that
        ``set_backend("tensorflow")`` can switch them to TensorFlow ops inside
        ``tf.data.Dataset.map`` on any backend, and ``reset()`` switches back.

    >>> import keras
    >>> backend = ops_backend()
    >>> backend.name == keras.backend.backend()
    True
    >>> float(backend.numpy.sum(backend.convert_to_tensor([1.0, 2.0])))
    3.0
    >>> backend.set_backend("tensorflow")
    >>> backend.name
    'tensorflow'
    >>> backend.reset()
    >>> backend.name == keras.backend.backend()
    True
    """
    from keras.src.utils.backend_utils import DynamicBackend

    return DynamicBackend()


def is_float(x: Any) -> bool:
    """Whether a tensor (of any backend) holds floating point values."""
    import keras

    return "float" in keras.backend.standardize_dtype(x.dtype)


def batch_size(backend: Any, x: Any) -> Any:
    """Static batch size when known, else a scalar tensor."""
    static = getattr(x, "shape", (None,))[0]
    return int(static) if static is not None else backend.shape(x)[0]


def groups(backend: Any, random_bits: Any, n: Any, mode: str) -> tuple[Any, Callable[[Any], Any]]:
    """Partners, and how per-sample draws become per-group ones: ``(index, per_group)``.

    ``batch`` and ``elem``: ``index`` is a random permutation; ``per_group`` gives every sample
    the first sample's draw (batch: one lambda) or its own (elem). ``pair``: samples are paired
    at random (``index[index[i]] == i``; with an odd batch one sample is paired with itself)
    and both members of a pair get the same draw, hence a lambda and a CutMix box.
    ``per_group`` works on the last axis (samples), so one call regroups a block of draws.
    """
    np_ = backend.numpy
    order = np_.argsort(random_bits)
    if mode == "pair":
        order = backend.cast(order, "int32")
        place = _backend_ops.invert_permutation(backend, order)  # position of i in `order`
        partner_place = place + 1 - 2 * np_.mod(place, 2)
        partner_place = np_.where(partner_place >= n, place, partner_place)
        group = np_.floor_divide(place, 2)
        partner = _backend_ops.take_rows(backend, order, partner_place)
        return partner, lambda v: _backend_ops.take_rows(backend, v, group, axis=-1)
    index = backend.cast(order, "int32")
    if mode == "elem":
        return index, lambda values: values
    # a broadcast, not a gather: fewer ops in every train step
    return index, lambda v: np_.broadcast_to(v[..., :1], backend.shape(v))


def cutmix_box(backend: Any, lam: Any, centres: Any, spatial: tuple[int, ...]) -> tuple[Any, Any]:
    """Boxes of area ``~(1 - lam)`` of the spatial grid; returns ``(inside, lam_corrected)``.

    Args:
        lam: (N,) target share of the kept sample.
        centres: (len(spatial), N) uniforms in [0, 1): box centre per spatial axis.
        spatial: static spatial sizes, e.g. ``(H, W)`` or ``(T,)``.

    Returns:
        ``inside`` (N, *spatial) float 0/1, 1 inside the box (taken from the partner), and the
        per-sample share actually kept, ``1 - box_volume / grid_volume``.
    """
    # Python operators (floor is `// 1`): on PyTorch every op here runs eagerly at each step,
    # and keras.ops' argument handling costs more than these small ops themselves
    ratio = (1.0 - lam) ** (1.0 / len(spatial))  # side ratio of a box of volume 1 - lam
    per_sample = (slice(None),) + (None,) * len(spatial)  # (N,) -> (N, 1, ..., 1)
    inside = None
    for axis, size in enumerate(spatial):
        half = (ratio * size // 1.0) // 2.0  # half the box side, in cells
        centre = centres[axis] * size // 1.0
        lo, hi = (centre - half)[per_sample], (centre + half)[per_sample]
        grid_shape = [1] * (len(spatial) + 1)
        grid_shape[axis + 1] = size
        grid = backend.convert_to_tensor(np.arange(size, dtype="float32").reshape(grid_shape))
        # no clipping needed: the grid is inside [0, size) whatever lo and hi are
        in_axis = (grid >= lo) & (grid < hi)
        inside = in_axis if inside is None else inside & in_axis
    inside = backend.cast(inside, lam.dtype)
    kept = 1.0 - backend.numpy.mean(inside, axis=tuple(range(1, len(spatial) + 1)))
    return inside, kept


def draw(
    backend: Any,
    seed: Any,
    x: Any,
    *,
    alpha: float | None,
    cutmix_alpha: float | None,
    prob: float,
    switch_prob: float,
    mode: str,
    fixed_lam: float | None = None,
    keep_first_label: bool = False,
    active: Any = None,
) -> dict[str, Any]:
    """Draw one batch's ``MixParams`` for inputs ``x`` (see the module docstring).

    Args:
        seed: a ``SeedGenerator`` (each draw advances it) or an int.
        alpha / cutmix_alpha: Beta parameters of mixup / CutMix; ``None`` disables one.
        prob: probability that a group is mixed at all.
        switch_prob: probability of CutMix rather than mixup when both are enabled.
        mode: ``"batch"``, ``"pair"`` or ``"elem"``.
        fixed_lam: use this lambda instead of a Beta draw (SamplePairing: 0.5).
        keep_first_label: labels are not mixed (``lam_y = 1``), as in SamplePairing.
        active: optional scalar bool, ANDed with the ``prob`` draw (schedules).
    """
    np_ = backend.numpy
    n = batch_size(backend, x)
    spatial = tuple(int(s) for s in x.shape[1:-1])
    count = 2 + (1 if fixed_lam is None and alpha is not None else 0)
    count += (len(spatial) + 2) if cutmix_alpha is not None else 0
    rows = _rng.Rows(backend, _rng.seed_pair(backend, seed), n, count)
    index, per_group = groups(backend, rows.bits(), n, mode)
    # every later row: one value per group (a single gather or broadcast for all of them)
    rows.regroup(per_group)

    def ones() -> Any:
        return np_.ones((n,), dtype="float32")

    # `on` stays None when every group mixes: fewer ops in every train step. The coin's row
    # is skipped then, so that the rows after it do not depend on `prob`.
    on = None
    if prob >= 1.0:
        rows.skip()
    else:
        on = rows.uniform() < prob
    if active is not None:
        on = active if on is None else on & active
    if fixed_lam is not None:
        lam_mix = ones() * fixed_lam
    elif alpha is not None:
        lam_mix = sample_beta(backend, rows, alpha)
    else:
        lam_mix = ones()
    weight_shape = [-1] + [1] * (len(x.shape) - 1)
    weight = np_.reshape(lam_mix, weight_shape)
    lam_x = lam_mix
    if cutmix_alpha is not None:
        lam_cut = sample_beta(backend, rows, cutmix_alpha)
        inside, lam_box = cutmix_box(backend, lam_cut, rows.uniform(len(spatial)), spatial)
        keep = np_.expand_dims(1.0 - inside, -1)
        if alpha is None:
            weight, lam_x = keep, lam_box
        else:
            use_cut = rows.uniform() < switch_prob
            weight = np_.where(np_.reshape(use_cut, weight_shape), keep, weight)
            lam_x = np_.where(use_cut, lam_box, lam_mix)
    if on is not None:
        lam_x = np_.where(on, lam_x, 1.0)
        weight = np_.where(np_.reshape(on, weight_shape), weight, 1.0)
    lam_y = ones() if keep_first_label else lam_x
    return {"index": index, "weight": weight, "lam_x": lam_x, "lam_y": lam_y}


BETA_TABLE_BITS = 16


def sample_beta(backend: Any, rows: _rng.Rows, alpha: float) -> Any:
    """(n,) draws of Beta(alpha, alpha) by inverse-CDF lookup, from one row of raw bits.

    The top 16 bits of each hash pick one of 2**16 equiprobable bins; the draw is the Beta
    quantile at the bin's midpoint (``beta_quantiles``, computed once per alpha in numpy).
    That is inverse transform sampling with the uniform rounded to 16 bits: the draws' CDF is
    within 2**-16 of Beta(alpha, alpha) everywhere. Three ops per batch (shift, mask, gather)
    instead of a rejection sampler's dozens: on a small model every op of the train step's
    graph costs dispatch time. No loop either, so it compiles with XLA and gives the same
    numbers with and without ``jit_compile`` (``keras.random.beta`` does neither on TF).
    """
    index = _rng.top_bits(backend, rows.bits(), BETA_TABLE_BITS)
    return _backend_ops.take_rows(backend, _quantile_tensor(backend, alpha), index)


_TORCH_TABLES: dict[tuple[float, str], Any] = {}


def _quantile_tensor(backend: Any, alpha: float) -> Any:
    if backend.name != "torch":  # a constant of the traced graph / XLA computation
        return backend.convert_to_tensor(beta_quantiles(alpha))
    # PyTorch runs eagerly: convert once per device, not at every step
    key = (alpha, str(backend.core.get_device()))
    if key not in _TORCH_TABLES:
        _TORCH_TABLES[key] = backend.convert_to_tensor(beta_quantiles(alpha))
    return _TORCH_TABLES[key]


@functools.lru_cache(maxsize=32)
def beta_quantiles(alpha: float, bits: int = BETA_TABLE_BITS) -> np.ndarray:
    """Beta(alpha, alpha) quantiles at the midpoints of ``2**bits`` equiprobable bins (float32).

    The CDF is integrated numerically (trapezoids on 2**20 intervals) over [0, 1/2] and
    inverted by interpolation; the upper half mirrors the lower one (the law is symmetric).
    For alpha < 1 the density is unbounded at 0, so the integral runs over ``t = x**alpha``,
    where it is bounded: ``F(x) = C * integral_0^(x**alpha) (1 - t**(1/alpha))**(alpha-1) dt``.
    Agrees with ``scipy.stats.beta.ppf`` to 1e-6 (tested).

    >>> table = beta_quantiles(1.0)  # Beta(1, 1) is uniform
    >>> bool(abs(table - (np.arange(2**16) + 0.5) / 2**16).max() < 1e-6)
    True
    """
    size = 1 << bits
    u = (np.arange(size // 2) + 0.5) / size
    if alpha >= 1.0:
        variable = np.linspace(0.0, 0.5, (1 << 20) + 1)
        x = np.maximum(variable, np.finfo("float64").tiny)
        log_pdf = (alpha - 1.0) * (np.log(x) + np.log1p(-x))
        density = np.exp(log_pdf - log_pdf[-1])  # largest at x = 1/2
    else:
        variable = np.linspace(0.0, 0.5**alpha, (1 << 20) + 1)
        density = (1.0 - variable ** (1.0 / alpha)) ** (alpha - 1.0)
    steps = 0.5 * (density[1:] + density[:-1]) * np.diff(variable)
    cdf = np.concatenate([[0.0], np.cumsum(steps)])
    lower = np.interp(u, cdf * (0.5 / cdf[-1]), variable)
    if alpha < 1.0:
        lower = lower ** (1.0 / alpha)
    return np.concatenate([lower, 1.0 - lower[::-1]]).astype("float32")


def mix_inputs(backend: Any, x: Any, params: dict[str, Any], dtype: str = "float32") -> Any:
    """``weight * x + (1 - weight) * x[index]`` (integer inputs are cast to ``dtype``)."""
    if not is_float(x):
        x = backend.cast(x, dtype)
    weight = params["weight"]
    if weight.dtype != x.dtype:
        weight = backend.cast(weight, x.dtype)
    return _with_partner(backend, x, weight, params["index"])


def mix_hidden(backend: Any, h: Any, params: dict[str, Any]) -> Any:
    """Manifold mixup of a hidden tensor: per-sample ``lam_x`` (no boxes)."""
    return _with_partner(backend, h, backend.cast(params["lam_x"], h.dtype), params["index"])


def mix_labels(
    backend: Any,
    y: Any,
    params: dict[str, Any],
    *,
    label_smoothing: float = 0.0,
    num_classes: int | None = None,
) -> Any:
    """Mix labels with ``lam_y``.

    Float labels (one-hot, soft, regression targets) are mixed linearly after label smoothing.
    Integer labels are one-hot encoded when ``num_classes`` is given; otherwise they are packed
    as ``stack([y, y[index], lam_y], -1)`` (float32) for :class:`keras_mixup.MixupLoss`, which
    interpolates the loss instead of the labels.
    """
    np_ = backend.numpy
    lam_y, index = params["lam_y"], params["index"]
    if not is_float(y):
        if num_classes is None:
            if label_smoothing:
                raise ValueError(
                    "`label_smoothing` needs `num_classes` when labels are integer class ids "
                    f"(they are one-hot encoded first). Received: label_smoothing={label_smoothing}"
                    ", num_classes=None"
                )
            lam = np_.reshape(lam_y, [-1] + [1] * (len(y.shape) - 1)) * np_.ones_like(
                backend.cast(y, "float32")
            )
            y = backend.cast(y, "float32")
            return np_.stack([y, _backend_ops.take_rows(backend, y, index), lam], axis=-1)
        y = backend.nn.one_hot(backend.cast(y, "int32"), num_classes, dtype="float32")
    else:
        y = backend.cast(y, "float32")
    if label_smoothing:
        y = y * (1.0 - label_smoothing) + label_smoothing / y.shape[-1]
    return _with_partner(backend, y, lam_y, index)


def mix_sample_weight(backend: Any, sample_weight: Any, params: dict[str, Any]) -> Any:
    """``lam_y * w + (1 - lam_y) * w[index]``: each label keeps its sample's weight."""
    w = backend.cast(sample_weight, "float32")
    return _with_partner(backend, w, params["lam_y"], params["index"])


def _with_partner(backend: Any, a: Any, share: Any, index: Any) -> Any:
    """``share * a + (1 - share) * a[index]``; a (N,) ``share`` is broadcast over ``a``'s
    other axes. Every mix of inputs, hidden states, labels and weights is this one blend."""
    if len(share.shape) < len(a.shape):
        share = backend.numpy.reshape(share, [-1] + [1] * (len(a.shape) - 1))
    return share * a + (1.0 - share) * _backend_ops.take_rows(backend, a, index)
