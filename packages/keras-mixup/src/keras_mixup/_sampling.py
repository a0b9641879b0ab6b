"""Drawing and applying the random mixing parameters of one batch (free functions).

Every function takes ``backend``: an object with keras' backend layout (``backend.numpy``,
``backend.random``, ``backend.cast``, ``backend.shape``) so the same code runs under the active
Keras backend and, inside a ``tf.data`` pipeline, under TensorFlow. ``keras_mixup.ops_backend()``
gives the active one.

A batch's mixing is described by a dict of tensors (``MixParams``):

- ``index`` (N,) int: sample ``i`` is mixed with sample ``index[i]`` of the same batch;
- ``share`` (N,) and, with CutMix, ``box``: the share of sample ``i`` in the mixed input,
  ``share[i] + box[0][i, a] * box[1][i, b] * ...`` at spatial position ``(a, b, ...)``
  (``input_weight`` builds it): a per-sample lambda for mixup; for a CutMix sample
  ``share = 1`` and ``box[0] = -1``, ``box[k > 0] = 1`` on the box's extent along each axis, 0
  elsewhere. The per-axis factors keep the parameters of a step to ``O(N * sum(spatial))``
  values (PyTorch draws several steps at once, ``keras_mixup._ahead``);
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
        A Keras ``DynamicBackend`` (``_backend_ops.StepBackend``): the mixers call its ops
        instead of ``keras.ops`` so that ``set_backend("tensorflow")`` can switch them to
        TensorFlow ops inside ``tf.data.Dataset.map`` on any backend, and ``reset()`` switches
        back. Under PyTorch its hot-path ops are torch's own functions.

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
    return _backend_ops.StepBackend()


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
        partner_place = place ^ 1  # places 2k and 2k + 1 are a pair
        if not isinstance(n, int) or n % 2:  # an odd batch's last place has no partner
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
    """Boxes of area ``~(1 - lam)`` of the spatial grid; returns ``(extents, lam_corrected)``.

    Args:
        lam: (N,) target share of the kept sample.
        centres: (len(spatial), N) uniforms in [0, 1): box centre per spatial axis.
        spatial: static spatial sizes, e.g. ``(H, W)`` or ``(T,)``.

    Returns:
        ``extents``: per spatial axis, (N, size) float 0/1, 1 on the box's extent along that
        axis (the box is their outer product, taken from the partner); and the per-sample
        share actually kept, ``1 - box_volume / grid_volume``.
    """
    # Python operators (floor is `// 1`): on PyTorch every op here runs eagerly at each step,
    # and keras.ops' argument handling costs more than these small ops themselves
    ratio = (1.0 - lam) ** (1.0 / len(spatial))  # side ratio of a box of volume 1 - lam
    if len(spatial) == 2 and spatial[0] == spatial[1]:
        # a square grid: both axes in one set of ops (the same values as one axis at a time;
        # each op costs dispatch time in every train step)
        extent = _box_extent(backend, ratio, centres, spatial[0], lam.dtype)  # (2, N, size)
        shares = backend.numpy.mean(extent, axis=-1)
        return [extent[0], extent[1]], 1.0 - shares[0] * shares[1]
    extents: list[Any] = []
    volume: Any = None
    for axis, size in enumerate(spatial):
        extent = _box_extent(backend, ratio, centres[axis], size, lam.dtype)
        extents.append(extent)
        share = backend.numpy.mean(extent, axis=-1)  # the box's share of this axis
        volume = share if volume is None else volume * share
    return extents, 1.0 - volume


def _box_extent(backend: Any, ratio: Any, centres: Any, size: int, dtype: Any) -> Any:
    """(..., N, size) float 0/1: 1 on the box's extent along an axis of ``size`` cells, for
    box side ratios ``ratio`` (N,) and centres ``centres`` (..., N) in [0, 1)."""
    half = (ratio * size // 1.0) // 2.0  # half the box side, in cells
    centre = centres * size // 1.0
    lo, hi = (centre - half)[..., None], (centre + half)[..., None]
    grid = _constant(backend, ("grid", size), lambda: _grid(size))
    # no clipping needed: the grid is inside [0, size) whatever lo and hi are
    return backend.cast((grid >= lo) & (grid < hi), dtype)


def _grid(size: int) -> np.ndarray:
    return np.arange(size, dtype="float32")[None, :]


def input_weight(backend: Any, params: dict[str, Any], rank: int) -> Any:
    """The share of each sample in its mixed input, broadcastable to inputs of ``rank``:
    ``share`` per sample, plus the outer product of the CutMix ``box`` factors (N, *spatial, 1).
    """
    share = backend.numpy.reshape(params["share"], [-1] + [1] * (rank - 1))
    box = params.get("box")
    if not box:
        return share
    product = None
    for axis, extent in enumerate(box):
        shape = [-1] + [1] * (rank - 1)
        shape[axis + 1] = int(extent.shape[-1])
        factor = backend.numpy.reshape(extent, shape)
        product = factor if product is None else product * factor
    return share + product


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
        share = ones() * fixed_lam
    elif alpha is not None:
        share = sample_beta(backend, rows, alpha)
    else:
        share = ones()
    if on is not None:
        share = np_.where(on, share, 1.0)
    lam_x = share
    params = {"index": index}
    if cutmix_alpha is not None:
        lam_cut = sample_beta(backend, rows, cutmix_alpha)
        extents, lam_box = cutmix_box(backend, lam_cut, rows.uniform(len(spatial)), spatial)
        cut = on  # the samples that get a box (None: all of them)
        if alpha is not None:
            use_cut = rows.uniform() < switch_prob
            cut = use_cut if on is None else use_cut & on
        if cut is None:
            share, lam_x, sign = ones(), lam_box, -1.0
        else:
            share = np_.where(cut, 1.0, share)
            lam_x = np_.where(cut, lam_box, lam_x)
            sign = -backend.cast(cut, "float32")[:, None]
        params["box"] = (extents[0] * sign, *extents[1:])
    lam_y = ones() if keep_first_label else lam_x
    params.update(share=share, lam_x=lam_x, lam_y=lam_y)
    return params


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
    return _backend_ops.take_rows(
        backend, _constant(backend, ("beta", alpha), lambda: beta_quantiles(alpha)), index
    )


_TORCH_CONSTANTS: dict[tuple[Any, ...], Any] = {}


def _constant(backend: Any, key: tuple[Any, ...], make: Callable[[], np.ndarray]) -> Any:
    """A numpy constant as a tensor: part of the graph on TensorFlow/JAX; converted once per
    device on PyTorch, which runs eagerly (not at every step)."""
    if backend.name != "torch":
        return backend.convert_to_tensor(make())
    key = (*key, str(backend.core.get_device()))
    if key not in _TORCH_CONSTANTS:
        _TORCH_CONSTANTS[key] = backend.convert_to_tensor(make())
    return _TORCH_CONSTANTS[key]


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
    weight = input_weight(backend, params, len(x.shape))
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


def loss_pairs(backend: Any, params: dict[str, Any]) -> tuple[Any, Any]:
    """``([0..N-1; index], [lam_y; 1 - lam_y])``: the rows and weights of the interpolated
    loss over the batch stacked twice (``MixupModel``). Taken from ``params`` when present:
    PyTorch's blocks of draws (``_ahead``) compute them once per block, not per step."""
    if "pairs" in params:
        return params["pairs"], params["shares"]
    index, lam = params["index"], params["lam_y"]
    np_ = backend.numpy
    own = np_.arange(batch_size(backend, index), dtype="int32")
    return np_.concatenate([own, index], axis=0), np_.concatenate([lam, 1.0 - lam], axis=0)


def mix_sample_weight(backend: Any, sample_weight: Any, params: dict[str, Any]) -> Any:
    """``lam_y * w + (1 - lam_y) * w[index]``: each label keeps its sample's weight."""
    w = backend.cast(sample_weight, "float32")
    return _with_partner(backend, w, params["lam_y"], params["index"])


def _with_partner(backend: Any, a: Any, share: Any, index: Any) -> Any:
    """``share * a + (1 - share) * a[index]``; a (N,) ``share`` is broadcast over ``a``'s
    other axes. Every mix of inputs, hidden states, labels and weights is this one blend."""
    if len(share.shape) < len(a.shape):
        share = backend.numpy.reshape(share, [-1] + [1] * (len(a.shape) - 1))
    return _backend_ops.blend(backend, a, _backend_ops.take_rows(backend, a, index), share)
