"""max_pool2d / avg_pool2d / global pools against the reference and TESTING.md's cases."""

import itertools

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import assert_close, assert_exact, assert_maxpool_indices, rand

DTYPES = [np.float32, np.float64]
NAN = np.nan
INF = np.inf


def check_max(x, *args, **kw):
    """max_pool2d with and without indices against the reference; returns (y, indices)."""
    x0 = np.array(x, copy=True)
    y, idx = cc.max_pool2d(x, *args, return_indices=True, **kw)
    ry, ri = R.max_pool2d(x, *args, **kw)
    assert_exact(y, ry, x.dtype)
    assert_maxpool_indices(idx, ri, x.shape[-2] * x.shape[-1])
    y2 = cc.max_pool2d(x, *args, **kw)
    assert isinstance(y2, np.ndarray)
    assert_exact(y2, ry, x.dtype)
    np.testing.assert_array_equal(x, x0)
    return y, idx


def check_avg(x, *args, **kw):
    x0 = np.array(x, copy=True)
    y = cc.avg_pool2d(x, *args, **kw)
    assert_close(y, R.avg_pool2d(x, *args, **kw), x.dtype)
    np.testing.assert_array_equal(x, x0)
    return y


def nan_is_in_window(x, idx, y_pos, kernel, stride, padding=(0, 0), dilation=(1, 1)):
    """idx (flat h*W+w) is an element of output position y_pos's window and holds NaN."""
    h, w = divmod(int(idx), x.shape[-1])
    oh, ow = y_pos
    rows = [oh * stride[0] - padding[0] + i * dilation[0] for i in range(kernel[0])]
    cols = [ow * stride[1] - padding[1] + j * dilation[1] for j in range(kernel[1])]
    return h in rows and w in cols and np.isnan(x[..., h, w]).all()


# ------------------------------------------------------------------ case 1: shapes

@pytest.mark.parametrize(
    "hw,k,s,p,expected",
    [((2, 2), 1, 2, 0, (1, 1)), ((6, 7), 1, 2, 0, (3, 4)), ((5, 5), 3, 3, 1, (2, 2))],
)
def test_ceil_mode_shapes(hw, k, s, p, expected):
    x = np.ones((1, 1) + hw)
    assert cc.max_pool2d(x, k, s, p, ceil_mode=True).shape == (1, 1) + expected
    assert cc.avg_pool2d(x, k, s, p, ceil_mode=True).shape == (1, 1) + expected


def test_output_shape_grid():
    """Every (H, k, s, p, dilation, ceil) in small ranges: shape as the reference, or
    ValueError where the reference has no output."""
    for h, k, s, d, ceil in itertools.product(range(1, 9), range(1, 5), range(1, 4),
                                              range(1, 3), (False, True)):
        for p in range(k // 2 + 1):
            x = np.zeros((1, 1, h, 2))
            oh = R.pool_output_size(h, k, s, p, p, d, ceil)
            args = dict(kernel_size=(k, 1), stride=(s, 1), padding=(p, 0), ceil_mode=ceil)
            if oh < 1:
                with pytest.raises(ValueError):
                    cc.max_pool2d(x, dilation=(d, 1), **args)
                if d == 1:
                    with pytest.raises(ValueError):
                        cc.avg_pool2d(x, **args)
                continue
            assert cc.max_pool2d(x, dilation=(d, 1), **args).shape == (1, 1, oh, 2), (h, k, s, p, d)
            if d == 1:
                assert cc.avg_pool2d(x, **args).shape == (1, 1, oh, 2), (h, k, s, p, ceil)


# ------------------------------------------------------------------ case 2, 3, 4: avg divisors

def test_avg_ceil_count_include_pad_no_nan():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    y = cc.avg_pool2d(x, (1, 2), stride=2, padding=(0, 1), ceil_mode=True,
                      count_include_pad=True)
    assert not np.isnan(y).any()
    assert_close(y, R.avg_pool2d(x, (1, 2), 2, (0, 1), True, True), np.float32)


@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_grid(dtype):
    rng = np.random.default_rng(20)
    for h, w in [(4, 4), (5, 7), (7, 6), (1, 3)]:
        x = rand(rng, (2, 3, h, w), dtype)
        for k, s, ceil, cip in itertools.product((1, 2, 3, 4), (1, 2, 3), (False, True),
                                                  (False, True)):
            for p in range(k // 2 + 1):
                if R.pool_output_size(h, k, s, p, p, 1, ceil) < 1 or \
                        R.pool_output_size(w, k, s, p, p, 1, ceil) < 1:
                    continue
                y = check_avg(x, k, s, p, ceil_mode=ceil, count_include_pad=cip)
                assert not np.isnan(y).any()


def test_avg_edge_window_divisors():
    x = np.arange(49, dtype=np.float64).reshape(1, 1, 7, 7)
    y = cc.avg_pool2d(x, 2, stride=3, ceil_mode=True)
    np.testing.assert_array_equal(y[0, 0], [[4, 7, 9.5], [25, 28, 30.5], [42.5, 45.5, 48]])
    y32 = cc.avg_pool2d(x.astype(np.float32), 2, stride=3, ceil_mode=True)
    assert y32.dtype == np.float32
    np.testing.assert_array_equal(y32[0, 0], [[4, 7, 9.5], [25, 28, 30.5], [42.5, 45.5, 48]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("divisor", [1, 2, 5, 9, -1, -3, 1000])
def test_divisor_override(divisor, dtype):
    rng = np.random.default_rng(21)
    x = rand(rng, (2, 3, 7, 6), dtype)
    for padding, cip, ceil in itertools.product([0, 1, ((1, 0), (0, 1))], (False, True),
                                                 (False, True)):
        check_avg(x, 3, 2, padding, ceil_mode=ceil, count_include_pad=cip,
                  divisor_override=divisor)


def test_divisor_override_values():
    x = np.ones((1, 1, 4, 4))
    np.testing.assert_array_equal(cc.avg_pool2d(x, 2, divisor_override=-2), -2 * np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(cc.avg_pool2d(x, 2, padding=1, divisor_override=1)[0, 0],
                                  [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_divisor_override_zero_raises():
    with pytest.raises(ValueError, match="divisor_override"):
        cc.avg_pool2d(np.ones((1, 1, 4, 4)), 2, divisor_override=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_asymmetric_padding(dtype):
    rng = np.random.default_rng(22)
    x = rand(rng, (2, 2, 7, 8), dtype)
    for pad in [((0, 1), (1, 0)), ((1, 1), (0, 2)), ((2, 0), (1, 2))]:
        for ceil, cip in itertools.product((False, True), (False, True)):
            check_avg(x, (4, 5), (2, 3), pad, ceil_mode=ceil, count_include_pad=cip)


# ------------------------------------------------------------------ max pooling sweeps

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dilation", [1, 2, 3, (1, 2)])
@pytest.mark.parametrize("kernel,stride", [(2, None), (3, 1), (3, 2), ((2, 4), (1, 3)), (5, 2), (1, 1)])
def test_max_sweep(kernel, stride, dilation, dtype):
    rng = np.random.default_rng(23)
    x = rand(rng, (2, 3, 11, 12), dtype)
    kh, kw = R.pair(kernel)
    dh, dw = R.pair(dilation)
    sh, sw = R.pair(kernel if stride is None else stride)
    for padding in [0, (kh // 2, kw // 2), ((0, kh // 2), (kw // 2, 0))]:
        t, b, l, r = R.pool_padding(padding)
        for ceil in (False, True):
            if R.pool_output_size(11, kh, sh, t, b, dh, ceil) < 1 or \
                    R.pool_output_size(12, kw, sw, l, r, dw, ceil) < 1:
                with pytest.raises(ValueError):
                    cc.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode=ceil)
                continue
            check_max(x, kernel, stride, padding, dilation, ceil_mode=ceil)


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_ties_first_in_row_major_order(dtype):
    rng = np.random.default_rng(24)
    x = rng.integers(0, 3, size=(2, 3, 9, 10)).astype(dtype)  # many ties
    for k, s, p in [(2, 2, 0), (3, 1, 1), (3, 2, 1), ((2, 3), (2, 1), (1, 0))]:
        check_max(x, k, s, p)
        check_max(x, k, s, p, ceil_mode=True)
    x = np.array([[[[5, 5], [5, 5]]]], dtype)
    _, idx = cc.max_pool2d(x, 2, return_indices=True)
    assert idx[0, 0, 0, 0] == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_max_unbatched(dtype):
    rng = np.random.default_rng(25)
    x = rand(rng, (3, 8, 9), dtype)
    y, idx = cc.max_pool2d(x, 3, 2, 1, return_indices=True)
    ry, ri = R.max_pool2d(x, 3, 2, 1)
    assert y.shape == (3, 4, 5) and idx.shape == (3, 4, 5)
    assert_exact(y, ry, dtype)
    np.testing.assert_array_equal(idx, ri)
    assert_close(cc.avg_pool2d(x, 3, 2, 1), R.avg_pool2d(x, 3, 2, 1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pool_empty_batch_and_channels(dtype):
    for shape, out in [((0, 3, 6, 6), (0, 3, 3, 3)), ((2, 0, 6, 6), (2, 0, 3, 3))]:
        x = np.zeros(shape, dtype)
        y, idx = cc.max_pool2d(x, 2, return_indices=True)
        assert y.shape == out and y.dtype == dtype and idx.shape == out and idx.dtype == np.int64
        y = cc.avg_pool2d(x, 2)
        assert y.shape == out and y.dtype == dtype
        assert cc.global_avg_pool2d(x).shape == out[:2] + (1, 1)
        assert cc.global_max_pool2d(x).shape == out[:2] + (1, 1)


# ------------------------------------------------------------------ case 5: NaN

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pos", range(9))
def test_nan_at_each_window_position(pos, dtype):
    x = np.arange(9, dtype=dtype).reshape(1, 1, 3, 3) * (1 if pos % 2 else -1)
    x.flat[pos] = NAN
    y, idx = cc.max_pool2d(x, 3, return_indices=True)
    assert np.isnan(y[0, 0, 0, 0])
    assert idx[0, 0, 0, 0] == pos
    # the same NaN inside bigger, overlapping windows (stride 1, padding 1)
    big = np.zeros((1, 2, 6, 6), dtype)
    big[0, 1, 1:4, 2:5] = x[0, 0]
    check_max(big, 3, 1, 1)
    check_max(big, 3, 2, 1, ceil_mode=True)
    assert np.isnan(cc.global_max_pool2d(big)[0, 1, 0, 0])
    assert not np.isnan(cc.global_max_pool2d(big)[0, 0, 0, 0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_nan_window(dtype):
    x = np.full((1, 1, 3, 3), NAN, dtype)
    y, idx = cc.max_pool2d(x, 3, return_indices=True)
    assert np.isnan(y).all()
    assert 0 <= idx[0, 0, 0, 0] < 9
    assert np.isnan(cc.global_max_pool2d(x)).all()
    assert np.isnan(cc.avg_pool2d(x, 3)).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_several_nans_index_points_at_a_nan(dtype):
    rng = np.random.default_rng(26)
    x = rand(rng, (2, 3, 9, 9), dtype)
    x[rng.random(x.shape) < 0.2] = NAN
    for k, s, p, d in [(3, 1, 1, 1), (3, 2, 0, 1), (2, 2, 1, 2), (4, 3, 2, 1)]:
        y, idx = cc.max_pool2d(x, k, s, p, d, return_indices=True)
        ry, _ = R.max_pool2d(x, k, s, p, d)
        assert_exact(y, ry, dtype)
        for n, c, oh, ow in zip(*np.nonzero(np.isnan(y))):
            assert nan_is_in_window(x[n, c], idx[n, c, oh, ow], (oh, ow), (k, k), (s, s),
                                    (p, p), (d, d))


# ------------------------------------------------------------------ case 6: SIMD lanes

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [15, 16, 17, 31, 32, 33])
def test_nan_in_one_lane(size, dtype):
    rng = np.random.default_rng(size)
    # width = size: NaN in one column of the row
    for lane in (0, size // 2, size - 1):
        x = rand(rng, (1, 2, 4, size), dtype)
        x[0, 1, 2, lane] = NAN
        check_max(x, (1, 1))
        check_max(x, 2, 1, ceil_mode=True)
        check_max(x, 3, 1, 1)
        check_max(x, (2, 3), (2, 2), (1, 1), ceil_mode=True)
        y = check_avg(x, 3, 1, 1)
        assert np.isnan(y[0, 1]).any() and not np.isnan(y[0, 0]).any()
        g = cc.global_max_pool2d(x)
        assert_exact(g, R.global_max_pool2d(x), dtype)
        assert np.isnan(g[0, 1, 0, 0]) and not np.isnan(g[0, 0, 0, 0])
    # channels = size: NaN in one channel
    for lane in (0, size // 2, size - 1):
        x = rand(rng, (2, size, 5, 3), dtype)
        x[1, lane, 3, 1] = NAN
        check_max(x, 2, 1)
        check_max(x, 3, 2, 1)
        check_avg(x, 2, 1)
        g = cc.global_max_pool2d(x)
        assert_exact(g, R.global_max_pool2d(x), dtype)
        assert np.isnan(g).sum() == 1
        assert_close(cc.global_avg_pool2d(x), R.global_avg_pool2d(x), dtype)


# ------------------------------------------------------------------ case 7: all-NaN / -inf

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fill", [NAN, -INF])
def test_all_nan_or_neg_inf_indices_in_range(fill, dtype):
    x = np.full((2, 3, 7, 8), fill, dtype)
    for k, s, p, d, ceil in [(2, 2, 0, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False),
                             (4, 3, 2, 1, True), ((3, 2), (2, 3), (1, 1), (1, 2), True)]:
        y, idx = cc.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
        ry, ri = R.max_pool2d(x, k, s, p, d, ceil_mode=ceil)
        assert_exact(y, ry, dtype)
        assert np.all(idx >= 0) and np.all(idx < 7 * 8)
        if fill == -INF:
            # every element ties: the first in-bounds element of the window wins
            assert_maxpool_indices(idx, ri, 7 * 8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mixed_neg_inf_and_nan_windows(dtype):
    rng = np.random.default_rng(27)
    x = rand(rng, (2, 2, 9, 10), dtype)
    x[rng.random(x.shape) < 0.4] = -INF
    x[rng.random(x.shape) < 0.05] = NAN
    for k, s, p, ceil in [(2, 2, 1, True), (3, 1, 1, False), (3, 3, 1, True)]:
        y, idx = cc.max_pool2d(x, k, s, p, ceil_mode=ceil, return_indices=True)
        ry, ri = R.max_pool2d(x, k, s, p, ceil_mode=ceil)
        assert_exact(y, ry, dtype)
        assert np.all(idx >= 0) and np.all(idx < 90)
        finite = ~np.isnan(ry)
        np.testing.assert_array_equal(idx[finite], ri[finite])


# ------------------------------------------------------------------ case 9: 2**24 + 1

def test_kernel_one_on_width_two_pow_24_plus_one():
    width = 2**24 + 1
    x = (np.arange(width, dtype=np.int64) % 1000).astype(np.float32).reshape(1, 1, 1, width)
    y = cc.max_pool2d(x, 1)
    assert y.shape == (1, 1, 1, width)
    assert_exact(y, x)
    del y
    y, idx = cc.max_pool2d(x, (1, 1), stride=1, return_indices=True)
    assert y.shape == (1, 1, 1, width)
    assert idx[0, 0, 0, -1] == width - 1 and idx[0, 0, 0, 12345] == 12345
    del y, idx
    y = cc.avg_pool2d(x, 1)
    assert y.shape == (1, 1, 1, width)
    assert_exact(y, x)


# ------------------------------------------------------------------ global pools

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 5, 7), (3, 17, 1, 33), (1, 16, 16, 16),
                                   (2, 33, 9, 1), (0, 4, 3, 3)])
def test_global_pools(shape, dtype):
    rng = np.random.default_rng(28)
    x = rand(rng, shape, dtype)
    x0 = x.copy()
    ga = cc.global_avg_pool2d(x)
    gm = cc.global_max_pool2d(x)
    assert ga.shape == shape[:2] + (1, 1) and gm.shape == shape[:2] + (1, 1)
    assert_close(ga, R.global_avg_pool2d(x), dtype)
    assert_exact(gm, R.global_max_pool2d(x), dtype)
    # the same as a full-size window
    if shape[0] > 0:
        assert_close(cc.avg_pool2d(x, shape[2:]), R.global_avg_pool2d(x), dtype)
        assert_exact(cc.max_pool2d(x, shape[2:]), R.global_max_pool2d(x), dtype)
    np.testing.assert_array_equal(x, x0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_max_special_values(dtype):
    x = np.full((1, 3, 4, 4), -INF, dtype)
    x[0, 1, 2, 3] = NAN
    x[0, 2, 0, 0] = INF
    g = cc.global_max_pool2d(x)
    assert g[0, 0, 0, 0] == -INF and np.isnan(g[0, 1, 0, 0]) and g[0, 2, 0, 0] == INF


@pytest.mark.parametrize("dtype", DTYPES)
def test_windows_without_input_elements(dtype):
    """Dilation can make a window skip the whole input (all taps in padding): -inf, and an
    index that still lies inside the plane."""
    x = np.arange(1, 9, dtype=dtype).reshape(1, 1, 8, 1)
    y, idx = cc.max_pool2d(x, (4, 2), (1, 2), (1, 1), (2, 2), return_indices=True)
    ry, ri = R.max_pool2d(x, (4, 2), (1, 2), (1, 1), (2, 2))
    assert np.all(ri == -1)
    assert_exact(y, ry, dtype)
    assert np.all(y == -INF)
    assert np.all(idx >= 0) and np.all(idx < 8)


@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_3x3_stride1_row_sums_path(simd_target, dtype):
    """3x3 stride-1 average pooling keeps each input row's horizontal sums for the three
    output rows that use them: against the float64 reference over widths around the
    vector widths, every padding <= 1 (asymmetric too), count_include_pad both ways,
    divisor_override, inf and NaN; exact on small integers."""
    rng = np.random.default_rng(33)
    pads = [0, 1, ((1, 0), (0, 1)), ((0, 1), (1, 1)), ((1, 0), (1, 1)), ((0, 0), (1, 1))]
    for w in (1, 2, 3, 7, 15, 16, 17, 18, 31, 33, 40):
        for pad in pads:
            for cip, div in ((True, None), (False, None), (True, 7)):
                h = 2 + w % 5
                x = rng.integers(-4, 5, size=(2, 3, h, w)).astype(dtype)
                kwargs = dict(padding=pad, count_include_pad=cip, divisor_override=div)
                try:
                    want = R.avg_pool2d(x, 3, 1, **kwargs)
                except ValueError:
                    with pytest.raises(ValueError):
                        cc.avg_pool2d(x, 3, 1, **kwargs)
                    continue
                got = cc.avg_pool2d(x, 3, 1, **kwargs)
                np.testing.assert_array_equal(got, want.astype(dtype), err_msg=str((w, kwargs)))
    x = rng.standard_normal((1, 2, 6, 21)).astype(dtype)
    x[0, 0, 2, 5] = np.inf
    x[0, 1, 4, 20] = np.nan
    got = cc.avg_pool2d(x, 3, 1, 1)
    want = R.avg_pool2d(x, 3, 1, 1)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    scale = np.abs(want[np.isfinite(want)]).max()
    np.testing.assert_allclose(got, want, rtol=0, atol=(1e-6 if dtype == np.float32 else 1e-14) * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_3x3_stride1_flat_path(simd_target, dtype):
    """Small dense planes with padding 1 left and right run as one stream of vectors across
    row ends; the lanes at each row's first and last column read the neighbouring row and
    are remade. Bit-identical to the row path (the same input through a view whose rows
    are not W apart) on random data with inf, NaN and -0 placed at row ends, where a
    neighbouring row's value must not leak in, and against the float64 reference."""
    rng = np.random.default_rng(34)
    for h, w in [(1, 2), (1, 17), (2, 2), (3, 5), (5, 16), (7, 15), (4, 33), (28, 28),
                 (9, 64), (30, 100), (2, 256), (3, 257), (70, 70)]:
        base = rng.standard_normal((2, 3, h, w + 3)).astype(dtype)
        base[0, 0, :, w - 1] = np.inf            # last column: the next row's first lane
        base[0, 1, :, 0] = np.nan                # first column: the previous row's last
        base[1, 0, :, 0] = -0.0
        base[1, 0, :, w - 1] = -np.inf
        base[1, 2] = -0.0
        strided = base[..., :w]                  # rows w + 3 apart: the row path
        dense = np.ascontiguousarray(strided)
        for pad in (1, ((1, 0), (1, 1)), ((0, 1), (1, 1)), ((0, 0), (1, 1))):
            for cip, div in ((True, None), (False, None), (True, 5)):
                kwargs = dict(padding=pad, count_include_pad=cip, divisor_override=div)
                try:
                    want = R.avg_pool2d(dense, 3, 1, **kwargs)
                except ValueError:  # no output row: both layouts must refuse it too
                    for arr in (dense, strided):
                        with pytest.raises(ValueError):
                            cc.avg_pool2d(arr, 3, 1, **kwargs)
                    continue
                got = cc.avg_pool2d(dense, 3, 1, **kwargs)
                rows = cc.avg_pool2d(strided, 3, 1, **kwargs)
                msg = str((h, w, kwargs))
                assert got.tobytes() == rows.tobytes(), msg
                np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=msg)
                np.testing.assert_array_equal(np.signbit(got[got == 0]),
                                              np.signbit(want[want == 0]), err_msg=msg)
                fin = np.isfinite(want)
                np.testing.assert_array_equal(got[~fin & ~np.isnan(want)],
                                              want[~fin & ~np.isnan(want)], err_msg=msg)
                scale = max(1.0, np.abs(want[fin]).max(initial=0))
                tol = (1e-6 if dtype == np.float32 else 1e-14) * scale
                np.testing.assert_allclose(got[fin], want[fin], rtol=0, atol=tol, err_msg=msg)
