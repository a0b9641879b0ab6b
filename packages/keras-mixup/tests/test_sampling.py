"""Mixing parameters and their application, against numpy references."""

import keras
import numpy as np
import pytest

from keras_mixup import CutMix, Mixup, SamplePairing, _sampling

ATOL = 1e-6


def to_np(params):
    """Params as numpy, with the full input ``weight`` built from ``share`` and ``box``."""
    rank = 2 + len(params.get("box", ()))
    weight = _sampling.input_weight(_sampling.ops_backend(), params, rank)
    params = dict(params, weight=weight)
    params.pop("box", None)
    return {k: np.asarray(keras.ops.convert_to_numpy(v)) for k, v in params.items()}


def draw(mixer, x, seed=None):
    return to_np(mixer.draw(keras.ops.convert_to_tensor(x), seed=seed))


def test_mix_inputs_matches_hand_computed_values():
    x = np.array([[0.0, 10.0], [2.0, 20.0], [4.0, 40.0]], "float32")
    params = {
        "index": np.array([1, 2, 0], "int32"),
        "share": np.array([0.25, 1.0, 0.5], "float32"),
    }
    mixed = _sampling.mix_inputs(_sampling.ops_backend(), keras.ops.convert_to_tensor(x), params)
    # row 0: 0.25 * [0, 10] + 0.75 * [2, 20] = [1.5, 17.5]
    expected = [[1.5, 17.5], [2.0, 20.0], [2.0, 25.0]]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mixed), expected, atol=ATOL)


@pytest.mark.parametrize("shape", [(6, 5), (5, 7, 3), (6, 4, 4, 2)])
@pytest.mark.parametrize("mode", ["batch", "elem"])
def test_mixup_matches_numpy_reference(shape, mode):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, shape[0])]
    mixer = Mixup(alpha=0.4, mode=mode, seed=11)
    params = draw(Mixup(alpha=0.4, mode=mode, seed=11), x)
    mixed_x, mixed_y = (keras.ops.convert_to_numpy(t) for t in mixer(x, y))
    index, lam = params["index"], params["lam_y"]
    assert sorted(index.tolist()) == list(range(shape[0]))  # a permutation
    if mode == "batch":
        assert np.ptp(lam) == 0
    else:
        assert np.ptp(lam) > 0
    lam_x = lam.reshape((-1,) + (1,) * (len(shape) - 1))
    np.testing.assert_allclose(mixed_x, lam_x * x + (1 - lam_x) * x[index], atol=1e-5)
    np.testing.assert_allclose(mixed_y, lam[:, None] * y + (1 - lam[:, None]) * y[index], atol=1e-6)


@pytest.mark.parametrize("n", [7, 8])
def test_pair_mode_pairs_are_disjoint_and_share_lambda(n):
    params = draw(Mixup(alpha=1.0, mode="pair", seed=2), np.zeros((n, 3), "float32"))
    index, lam = params["index"], params["lam_y"]
    np.testing.assert_array_equal(index[index], np.arange(n))  # an involution
    np.testing.assert_allclose(lam, lam[index], atol=0)
    assert int(np.sum(index == np.arange(n))) == n % 2  # odd batch: one sample left alone


def test_beta_moments():
    alpha = 0.4
    lam = draw(Mixup(alpha=alpha, mode="elem", seed=0), np.zeros((4000, 1), "float32"))["lam_y"]
    assert abs(lam.mean() - 0.5) < 0.02
    assert abs(lam.var() - 1.0 / (4 * (2 * alpha + 1))) < 0.01  # Var of Beta(a, a)


@pytest.mark.parametrize("alpha", [0.2, 1.0, 2.5])
def test_beta_draws_follow_the_beta_distribution(alpha):
    # the whole distribution, not only its moments, at alphas on both sides of the < 1 boost
    from scipy import stats

    lam = draw(Mixup(alpha=alpha, mode="elem", seed=3), np.zeros((4000, 1), "float32"))["lam_y"]
    result = stats.kstest(np.asarray(lam, "float64"), stats.beta(alpha, alpha).cdf)
    assert result.pvalue > 0.01, result


@pytest.mark.parametrize("alpha", [0.05, 0.4, 1.0, 2.5, 50.0])
def test_beta_quantile_table_matches_scipy(alpha):
    from scipy import stats

    table = _sampling.beta_quantiles(alpha)
    midpoints = (np.arange(table.size) + 0.5) / table.size
    np.testing.assert_allclose(table, stats.beta(alpha, alpha).ppf(midpoints), atol=1e-6)
    assert np.all(np.diff(table) >= 0)


@pytest.mark.parametrize("shape", [(6, 8, 8, 3), (6, 12, 2), (4, 4, 5, 6, 1)])
def test_cutmix_pastes_one_box_and_label_weight_is_kept_area(shape):
    rng = np.random.default_rng(1)
    x = rng.normal(size=shape).astype("float32")
    y = np.eye(3, dtype="float32")[np.arange(shape[0]) % 3]
    mixer = CutMix(alpha=1.0, mode="elem", seed=5)
    params = draw(CutMix(alpha=1.0, mode="elem", seed=5), x)
    mixed_x, mixed_y = (keras.ops.convert_to_numpy(t) for t in mixer(x, y))
    keep = params["weight"][..., 0]  # (N, *spatial), 1 outside the box
    assert set(np.unique(keep)) <= {0.0, 1.0}
    index = params["index"]
    np.testing.assert_allclose(mixed_x, np.where(keep[..., None] == 1, x, x[index]), atol=ATOL)
    kept = keep.reshape(shape[0], -1).mean(1)
    np.testing.assert_allclose(params["lam_y"], kept, atol=1e-6)
    np.testing.assert_allclose(
        mixed_y, kept[:, None] * y + (1 - kept[:, None]) * y[index], atol=1e-6
    )
    for i in range(shape[0]):  # the pasted region is one axis-aligned box
        inside = np.argwhere(keep[i] == 0)
        if len(inside):
            lo, hi = inside.min(0), inside.max(0) + 1
            assert len(inside) == np.prod(hi - lo)


@pytest.mark.parametrize("spatial", [(8, 8), (8, 6), (5, 5, 5), (12,)])
def test_cutmix_box_matches_numpy_reference(spatial):
    """Box extents per axis (square grids take a vectorized path) and the kept share."""
    rng = np.random.default_rng(2)
    lam = rng.random(32).astype("float32")
    centres = rng.random((len(spatial), 32)).astype("float32")
    extents, kept = _sampling.cutmix_box(
        _sampling.ops_backend(),
        keras.ops.convert_to_tensor(lam),
        keras.ops.convert_to_tensor(centres),
        spatial,
    )
    ratio = (1.0 - lam) ** np.float32(1.0 / len(spatial))
    volume = np.ones(32, "float32")
    for axis, size in enumerate(spatial):
        half = np.floor(np.floor(ratio * size) / 2)
        centre = np.floor(centres[axis] * size)
        grid = np.arange(size)
        expected = (grid >= (centre - half)[:, None]) & (grid < (centre + half)[:, None])
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(extents[axis]), expected)
        volume = volume * expected.mean(-1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(kept), 1.0 - volume, atol=1e-6)


def test_switch_prob_mixes_mixup_and_cutmix_per_sample():
    x = np.zeros((400, 4, 4, 1), "float32")
    params = draw(Mixup(alpha=1.0, cutmix_alpha=1.0, switch_prob=0.3, mode="elem", seed=3), x)
    weight = params["weight"].reshape(400, -1)
    is_box = np.all((weight == 0) | (weight == 1), axis=1) & (np.ptp(weight, axis=1) > 0)
    assert 0.2 < is_box.mean() < 0.4


def test_prob_zero_is_identity():
    x = np.arange(12, dtype="float32").reshape(4, 3)
    y = np.eye(4, dtype="float32")
    mixed_x, mixed_y = Mixup(alpha=1.0, prob=0.0, seed=0)(x, y)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(mixed_x), x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(mixed_y), y)


def test_label_smoothing_and_num_classes():
    y = np.array([0, 2, 1, 2], "int32")
    mixer = Mixup(alpha=0.5, label_smoothing=0.1, num_classes=3, seed=4)
    params = draw(Mixup(alpha=0.5, label_smoothing=0.1, num_classes=3, seed=4), np.zeros((4, 2)))
    _, mixed = mixer(np.zeros((4, 2), "float32"), y)
    smooth = np.eye(3)[y] * 0.9 + 0.1 / 3
    lam = params["lam_y"][:, None]
    expected = lam * smooth + (1 - lam) * smooth[params["index"]]
    np.testing.assert_allclose(keras.ops.convert_to_numpy(mixed), expected, atol=1e-6)


@pytest.mark.parametrize("labels", [np.array([3, 1, 4, 1, 5]), np.array([[3], [1], [4], [1], [5]])])
def test_integer_labels_are_packed_for_the_loss(labels):
    x = np.zeros((5, 2), "float32")
    params = draw(Mixup(alpha=1.0, mode="elem", seed=9), x)
    _, packed = Mixup(alpha=1.0, mode="elem", seed=9)(x, labels.astype("int64"))
    packed = keras.ops.convert_to_numpy(packed)
    assert packed.shape == (*labels.shape, 3)
    flat = packed.reshape(5, 3)
    np.testing.assert_array_equal(flat[:, 0], labels.ravel())
    np.testing.assert_array_equal(flat[:, 1], labels.ravel()[params["index"]])
    np.testing.assert_allclose(flat[:, 2], params["lam_y"], atol=0)


def test_sample_weights_follow_their_labels():
    x = np.zeros((6, 2), "float32")
    y = np.eye(6, dtype="float32")
    w = np.arange(1, 7, dtype="float32")
    params = draw(Mixup(alpha=1.0, mode="elem", seed=8), x)
    _, _, mixed_w = Mixup(alpha=1.0, mode="elem", seed=8)(x, y, w)
    lam = params["lam_y"]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(mixed_w), lam * w + (1 - lam) * w[params["index"]], atol=1e-5
    )


def test_seeded_and_deterministic():
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    a = [keras.ops.convert_to_numpy(Mixup(alpha=1.0, mode="elem", seed=1)(x)) for _ in range(2)]
    b = keras.ops.convert_to_numpy(Mixup(alpha=1.0, mode="elem", seed=2)(x))
    np.testing.assert_array_equal(a[0], a[1])
    assert not np.allclose(a[0], b)
    mixer = Mixup(alpha=1.0, mode="elem", seed=1)
    first, second = (keras.ops.convert_to_numpy(mixer(x)) for _ in range(2))
    assert not np.allclose(first, second)  # the generator advances


def test_sample_pairing_averages_and_keeps_labels():
    x = np.arange(8, dtype="float32").reshape(4, 2)
    y = np.array([0, 1, 2, 3], "int32")
    params = draw(SamplePairing(seed=6), x)
    mixed_x, mixed_y = SamplePairing(seed=6)(x, y)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(mixed_x), (x + x[params["index"]]) / 2, atol=ATOL
    )
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(mixed_y), y)


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: Mixup(alpha=0.0), "alpha"),
        (lambda: Mixup(alpha=-0.5), "alpha"),
        (lambda: Mixup(alpha=None), "alpha"),
        (lambda: Mixup(cutmix_alpha=0.0), "cutmix_alpha"),
        (lambda: CutMix(alpha=0), "alpha"),
        (lambda: Mixup(mode="sample"), "mode"),
        (lambda: Mixup(prob=-0.1), "prob"),
        (lambda: Mixup(switch_prob=2), "switch_prob"),
        (lambda: Mixup(label_smoothing=1.0), "label_smoothing"),
        (lambda: Mixup(num_classes=1), "num_classes"),
        (lambda: SamplePairing(on_steps=0), "on_steps"),
        (lambda: SamplePairing(off_steps=2), "off_steps"),
        (lambda: SamplePairing(start_step=-1), "start_step"),
    ],
)
def test_bad_arguments_name_the_argument(make, argument):
    with pytest.raises((ValueError, TypeError), match=f"`{argument}`.*Received: {argument}="):
        make()


def test_bad_batches_name_the_argument():
    x = np.zeros((4, 3), "float32")
    with pytest.raises(ValueError, match=r"`cutmix_alpha`.*rank >= 3.*x.shape=\(4, 3\)"):
        CutMix()(x)
    with pytest.raises(ValueError, match=r"`y` must have the batch size of `x`"):
        Mixup()(x, np.zeros((5,), "int32"))
    with pytest.raises(ValueError, match=r"`sample_weight` must have the batch size"):
        Mixup()(x, np.eye(4, dtype="float32"), np.ones((3,), "float32"))
    with pytest.raises(ValueError, match=r"`label_smoothing` needs `num_classes`"):
        Mixup(label_smoothing=0.1)(x, np.zeros((4,), "int32"))
