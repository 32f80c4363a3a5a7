"""TESTING.md's catalogue of known bugs: the cases (and the backward halves of cases) that
no other test file covers. docs/testing.md maps every case to its tests.

Backward results are checked against reference_sparse (the transposes of the forward
definitions, float64), never against convcore itself."""

import itertools
import os

import numpy as np
import pytest

import convcore as cc
import reference as R
import reference_sparse as S
from helpers import assert_close, assert_exact, assert_same_bits, rand, small_ints

DTYPES = [np.float32, np.float64]
NAN, INF = np.nan, np.inf


def pool_shape(h, k, s, p, ceil, d=1):
    return R.pool_output_size(h, k, s, p, p, d, ceil)


def avg_backward_ref(dy, x_shape, k, s, p, ceil=False, cip=True, div=None):
    return S.avg_pool2d_backward(dy, x_shape, R.pair(k), R.pair(s if s is not None else k),
                                 R.pool_padding(p), ceil, cip, div or 0)


# ------------------------------------------------------------------ case 1 (backward)

def test_case01_ceil_mode_shapes_backward():
    """The backward passes take the forward output's shape for every (H, k, s, p, ceil)
    in small ranges and give back the input's; another grad_output shape is refused."""
    for h, k, s, ceil in itertools.product(range(1, 8), range(1, 5), range(1, 4), (False, True)):
        for p in range(k // 2 + 1):
            oh = pool_shape(h, k, s, p, ceil)
            if oh < 1:
                continue
            x = np.arange(h * 3, dtype=np.float64).reshape(1, 1, h, 3)
            kw = dict(kernel_size=(k, 1), stride=(s, 1), padding=(p, 0), ceil_mode=ceil)
            y, idx = cc.max_pool2d(x, return_indices=True, **kw)
            assert y.shape == (1, 1, oh, 3)
            dx = cc.max_pool2d_backward(np.ones_like(y), idx, x.shape)
            assert dx.shape == x.shape and dx.sum() == y.size
            dy = np.ones((1, 1, oh, 3))
            assert cc.avg_pool2d_backward(dy, x.shape, **kw).shape == x.shape
            with pytest.raises(ValueError, match="grad_output"):
                cc.avg_pool2d_backward(np.ones((1, 1, oh + 1, 3)), x.shape, **kw)


# ------------------------------------------------------------------ case 2 (backward)

@pytest.mark.parametrize("dtype", DTYPES)
def test_case02_avg_backward_grid_no_nan(dtype):
    """The avg-pool gradient over the (k, s, p, ceil, count_include_pad) grid: no 0/0, and
    the float64 reference's values. The TESTING.md example first: kernel (1, 2),
    padding (0, 1), stride 2, ceil_mode on 4x4."""
    dy = np.arange(1, 7, dtype=dtype).reshape(1, 1, 2, 3)
    dx = cc.avg_pool2d_backward(dy, (1, 1, 4, 4), (1, 2), 2, (0, 1), True, True)
    assert not np.isnan(dx).any()
    assert_close(dx, avg_backward_ref(dy, (1, 1, 4, 4), (1, 2), 2, (0, 1), True, True), dtype)
    rng = np.random.default_rng(100)
    for h, w in [(4, 4), (5, 7), (1, 3)]:
        shape = (2, 2, h, w)
        for k, s, ceil, cip in itertools.product((1, 2, 3, 4), (1, 2, 3), (False, True),
                                                  (False, True)):
            for p in range(k // 2 + 1):
                oh, ow = pool_shape(h, k, s, p, ceil), pool_shape(w, k, s, p, ceil)
                if oh < 1 or ow < 1:
                    continue
                dy = rand(rng, (2, 2, oh, ow), dtype)
                dx = cc.avg_pool2d_backward(dy, shape, k, s, p, ceil, cip)
                assert not np.isnan(dx).any(), (h, w, k, s, p, ceil, cip)
                assert_close(dx, avg_backward_ref(dy, shape, k, s, p, ceil, cip), dtype)


# ------------------------------------------------------------------ case 3 (backward)

@pytest.mark.parametrize("dtype", DTYPES)
def test_case03_edge_window_divisors_backward(dtype):
    """AvgPool(2, stride=3, ceil_mode=True) on 7x7: windows start at rows/cols 0, 3, 6;
    the last one holds one row/column, so the divisors are 4 inside, 2 on the edges and
    1 in the corner, and rows/cols 2 and 5 get no gradient at all."""
    dx = cc.avg_pool2d_backward(np.ones((1, 1, 3, 3), dtype), (1, 1, 7, 7), 2, 3,
                                ceil_mode=True)
    per_axis = np.array([1, 1, 0, 1, 1, 0, 1.0])
    size = np.array([2, 2, 0, 2, 2, 0, 1.0])  # the window length covering each index
    want = np.outer(per_axis, per_axis) / np.where(np.outer(size, size) == 0, 1,
                                                   np.outer(size, size))
    assert_exact(dx[0, 0], want, dtype)


# ------------------------------------------------------------------ case 4 (backward)

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("divisor", [1, 3, -1, -4, 1000])
def test_case04_divisor_override_backward(divisor, dtype):
    rng = np.random.default_rng(101)
    shape = (2, 3, 7, 6)
    for padding, cip, ceil in itertools.product([0, 1, ((1, 0), (0, 1))], (False, True),
                                                 (False, True)):
        oh = R.pool_output_size(7, 3, 2, *R.pool_padding(padding)[:2], 1, ceil)
        ow = R.pool_output_size(6, 3, 2, *R.pool_padding(padding)[2:], 1, ceil)
        dy = rand(rng, (2, 3, oh, ow), dtype)
        dx = cc.avg_pool2d_backward(dy, shape, 3, 2, padding, ceil, cip, divisor)
        assert_close(dx, avg_backward_ref(dy, shape, 3, 2, padding, ceil, cip, divisor), dtype)


def test_case04_divisor_zero_raises_backward():
    with pytest.raises(ValueError, match="divisor_override"):
        cc.avg_pool2d_backward(np.ones((1, 1, 2, 2)), (1, 1, 4, 4), 2, divisor_override=0)


# ------------------------------------------------------------------ case 5 (backward)

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pos", range(9))
def test_case05_nan_window_gradient_goes_to_the_nan(pos, dtype):
    x = np.arange(9, dtype=dtype).reshape(1, 1, 3, 3)
    x.flat[pos] = NAN
    y, idx = cc.max_pool2d(x, 3, return_indices=True)
    dx = cc.max_pool2d_backward(np.full_like(y, 2.5), idx, x.shape)
    want = np.zeros(9, dtype)
    want[pos] = 2.5
    np.testing.assert_array_equal(dx.reshape(-1), want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_case05_ties_gradient_goes_to_the_first_max(dtype):
    x = np.array([[[[1, 3, 3], [3, 0, 3], [2, 3, 1]]]], dtype)
    y, idx = cc.max_pool2d(x, 2, stride=1, return_indices=True)
    np.testing.assert_array_equal(idx[0, 0], [[1, 1], [3, 5]])
    dx = cc.max_pool2d_backward(np.ones_like(y), idx, x.shape)
    np.testing.assert_array_equal(dx[0, 0], [[0, 2, 0], [1, 0, 1], [0, 0, 0]])


# ------------------------------------------------------------------ case 6 (every target)

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33])
def test_case06_nan_in_one_lane_every_target(size, dtype, simd_target):
    """Widths and channel counts of vector width +- 1 with NaN in one lane only: every SIMD
    target gives the reference's (the scalar definition's) bits, indices and gradients."""
    rng = np.random.default_rng(size)
    for lane in (0, size // 2, size - 1):
        for shape, where in [((1, 2, 4, size), (0, 1, 2, lane)), ((2, size, 5, 3), (1, lane, 3, 1))]:
            x = rand(rng, shape, dtype)
            x[where] = NAN
            for k, s, p in [(2, 1, 0), (3, 2, 1), ((1, 3), (1, 1), (0, 1))]:
                y, idx = cc.max_pool2d(x, k, s, p, return_indices=True)
                ry, ri = R.max_pool2d(x, k, s, p)
                assert_exact(y, ry, dtype)
                np.testing.assert_array_equal(idx, ri)
                dx = cc.max_pool2d_backward(y, idx, x.shape)
                assert_close(dx, S.max_pool2d_backward(y, idx, x.shape), dtype)
                assert_close(cc.avg_pool2d(x, k, s, p), R.avg_pool2d(x, k, s, p), dtype)
            w = rand(rng, (3, 1, 3, 3), dtype)
            c = x.shape[1]
            wd = np.repeat(w[:1], c, axis=0)
            assert_close(cc.conv2d(x, wd, padding=1, groups=c),
                         R.conv2d(x, wd, padding=1, groups=c), dtype)


# ------------------------------------------------------------------ case 7 (backward)

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fill", [NAN, -INF])
def test_case07_all_nan_or_neg_inf_then_backward(fill, dtype):
    """All-NaN / all -inf input, windows partly or wholly in the padding (dilation can skip
    the whole input), then backward: no index -1, none outside the plane, and the gradient
    lands inside the input (AddressSanitizer checks the writes in the sanitizer job)."""
    x = np.full((2, 3, 7, 8), fill, dtype)
    cases = [(2, 2, 0, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False), (4, 3, 2, 1, True),
             ((3, 2), (2, 3), (1, 1), (1, 2), True), ((3, 2), (1, 2), (1, 1), (3, 5), True)]
    for k, s, p, d, ceil in cases:
        y, idx = cc.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
        assert (idx >= 0).all() and (idx < 7 * 8).all()
        dy = np.ones_like(y)
        dx = cc.max_pool2d_backward(dy, idx, x.shape)
        assert dx.shape == x.shape
        np.testing.assert_array_equal(dx.sum(axis=(2, 3)), dy.sum(axis=(2, 3)))
        assert_close(dx, S.max_pool2d_backward(dy, idx, x.shape), dtype)
    # a window with no element inside the input at all (all taps in the padding)
    x1 = np.full((1, 1, 8, 1), fill, dtype)
    y, idx = cc.max_pool2d(x1, (4, 2), (1, 2), (1, 1), (2, 2), return_indices=True)
    assert (idx >= 0).all() and (idx < 8).all()
    dx = cc.max_pool2d_backward(np.ones_like(y), idx, x1.shape)
    assert dx.sum() == y.size


# ------------------------------------------------------------------ case 8

def test_case08_backward_sizes_overflowing_int64_raise():
    """The pool backward passes take input_shape as given: an input gradient whose element
    count (or byte count) overflows int64 must be refused, never allocated or walked.
    grad_output is a one-element zero-stride view, its forward shape made tiny by a stride
    as large as the input."""
    for shape in [(1, 1, 2**62, 2**62), (1, 1, 2**31, 2**31 + 1), (1, 1, 2**40, 2**20),
                  (2**20, 2**20, 2**20, 2**20), (2**29, 2**30, 16, 1)]:
        n, c = shape[:2]
        dy = np.broadcast_to(np.float32(1), (n, c, 1, 1))
        idx = np.broadcast_to(np.int64(0), (n, c, 1, 1))
        with pytest.raises((ValueError, MemoryError)):
            cc.max_pool2d_backward(dy, idx, shape)
        with pytest.raises((ValueError, MemoryError)):
            cc.avg_pool2d_backward(dy, shape, 1, stride=(shape[2], shape[3]))
    # conv2d_backward: an input gradient no memory can hold (2**62 bytes)
    x = np.broadcast_to(np.float32(1), (2**20, 1, 2**20, 2**20))
    w = np.ones((1, 1, 1, 1), np.float32)
    with pytest.raises((ValueError, MemoryError)):
        cc.conv2d_backward(x, x, w, weight_grad=False, bias_grad=False)


def available_memory():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0


@pytest.mark.slow
def test_case08_im2col_beyond_2_pow_31_elements():
    """A real layer whose column matrix (C * kh * kw x OH * OW) has 3.3e9 > 2**31 elements:
    forward, input and weight gradients, checked at positions spread over the whole
    tensor (32-bit offsets would wrap there). Small integers: every sum is exact."""
    if available_memory() < 3 << 30:
        pytest.skip("needs about 3 GB of free memory")
    c, h, w, k = 256, 512, 512, 7
    assert c * k * k * h * w > 2**31
    rng = np.random.default_rng(102)
    x = rng.integers(-1, 2, size=(1, c, h, w)).astype(np.float32)
    wt = rng.integers(-1, 2, size=(1, c, k, k)).astype(np.float32)
    y = cc.conv2d(x, wt, padding=3)
    assert y.shape == (1, 1, h, w)
    xp = np.pad(x[0], ((0, 0), (3, 3), (3, 3)))
    points = [(0, 0), (h - 1, w - 1), (0, w - 1), (h - 1, 0), (h // 2, w // 2)] + \
        [tuple(p) for p in rng.integers(0, [h, w], size=(20, 2))]
    for i, j in points:
        assert y[0, 0, i, j] == np.sum(xp[:, i:i + k, j:j + k] * wt[0]), (i, j)
    dy = np.ones_like(y)
    dx, dw, db = cc.conv2d_backward(dy, x, wt, padding=3)
    assert db[0] == h * w
    for ci, a, b in [(0, 0, 0), (c - 1, k - 1, k - 1), (c // 2, 3, 3), (c - 1, 0, k - 1)]:
        # dw[0, ci, a, b] = sum of the input under tap (a, b) over every output position
        assert dw[0, ci, a, b] == np.sum(xp[ci, a:a + h, b:b + w]), (ci, a, b)
    for ci, i, j in [(0, 0, 0), (c - 1, h - 1, w - 1), (c // 2, h // 2, 7), (c - 1, 2, w - 3)]:
        # dx[ci, i, j] = sum of the weights over the taps whose output position exists
        rows = [a for a in range(k) if 0 <= i + 3 - a < h]
        cols = [b for b in range(k) if 0 <= j + 3 - b < w]
        assert dx[0, ci, i, j] == wt[0, ci][np.ix_(rows, cols)].sum(), (ci, i, j)


# ------------------------------------------------------------------ case 9 (backward)

def test_case09_width_2_pow_24_plus_one_backward():
    width = 2**24 + 1
    dy = (np.arange(width, dtype=np.int64) % 1000).astype(np.float32).reshape(1, 1, 1, width)
    dx = cc.avg_pool2d_backward(dy, (1, 1, 1, width), 1)
    assert dx.shape == (1, 1, 1, width)
    assert_exact(dx, dy)
    del dx
    idx = np.arange(width, dtype=np.int64).reshape(1, 1, 1, width)
    dx = cc.max_pool2d_backward(dy, idx, (1, 1, 1, width))
    assert dx.shape == (1, 1, 1, width) and dx[0, 0, 0, -1] == dy[0, 0, 0, -1]
    assert_exact(dx, dy)


# ------------------------------------------------------------------ case 10 (backward)

BAD_INTS = [0, -1, -(2**31), 2**63, 2**64, -(2**63) - 1]


@pytest.mark.parametrize("value", BAD_INTS)
@pytest.mark.parametrize("name", ["stride", "padding", "dilation", "groups"])
def test_case10_conv_backward_bad_integers(name, value):
    x, w, dy = np.ones((1, 2, 5, 5)), np.ones((2, 2, 3, 3)), np.ones((1, 2, 3, 3))
    if name in ("stride", "dilation", "groups") or value < 0 or value >= 2**63:
        with pytest.raises(ValueError, match=name):
            cc.conv2d_backward(dy, x, w, **{name: value})


POOL_BAD = {
    "kernel_size": [0, -1, -(2**31), 2**62, 2**63, 2**64, -(2**63) - 1],
    "stride": [0, -1, -(2**31), 2**63, 2**64, -(2**63) - 1],
    "padding": [-1, -(2**31), 2, 2**62, 2**63, -(2**63) - 1],  # 2 > kernel // 2
    "divisor_override": [0, 2**63, 2**64, -(2**63) - 1],
    "input_shape": [0, -1, 2**63, 2**64, -(2**63) - 1],
}


@pytest.mark.parametrize("name,value", [(k, v) for k, vs in POOL_BAD.items() for v in vs])
def test_case10_pool_backward_bad_integers(name, value):
    kw = dict(kernel_size=2)
    shape = (1, 1, 4, 4)
    if name == "input_shape":
        shape = (1, 1, value, 4)
    else:
        kw[name] = value
    with pytest.raises((ValueError, MemoryError)):
        cc.avg_pool2d_backward(np.ones((1, 1, 2, 2)), shape, **kw)
    if name == "input_shape":
        with pytest.raises((ValueError, MemoryError)):
            cc.max_pool2d_backward(np.ones((1, 1, 2, 2)), np.zeros((1, 1, 2, 2), np.int64),
                                   shape)


# ------------------------------------------------------------------ case 11 (pools)

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("threads", [1, 2, 5])
def test_case11_pool_backward_empty_batch_and_channels(threads, dtype, restore_threads):
    cc.set_num_threads(threads)
    for shape in [(0, 3, 6, 6), (2, 0, 6, 6)]:
        dy = np.ones(shape[:2] + (3, 3), dtype)
        dx = cc.avg_pool2d_backward(dy, shape, 2)
        assert dx.shape == shape and dx.dtype == dtype
        dx = cc.max_pool2d_backward(dy, np.zeros(dy.shape, np.int64), shape)
        assert dx.shape == shape and dx.dtype == dtype


@pytest.mark.parametrize("threads", [1, 2, 3, 5, 8])
@pytest.mark.parametrize("groups", [1, 4])
def test_case11_dw_db_exactly_zero_for_empty_batch(groups, threads, restore_threads):
    cc.set_num_threads(threads)
    x = np.ones((0, 4, 6, 6), np.float32)
    w = np.full((8, 4 // groups, 3, 3), np.nan, np.float32)  # never read
    dx, dw, db = cc.conv2d_backward(np.ones((0, 8, 4, 4), np.float32), x, w, groups=groups)
    assert dx.shape == x.shape
    assert_same_bits(dw, np.zeros(w.shape, np.float32))
    assert_same_bits(db, np.zeros(8, np.float32))


# ------------------------------------------------------------------ case 12 (backward)

def layouts(a):
    big = np.zeros(tuple(2 * s for s in a.shape), a.dtype)
    sl = tuple(slice(None, None, 2) for _ in a.shape)
    big[sl] = a
    flipped = np.ascontiguousarray(a[tuple(slice(None, None, -1) for _ in a.shape)])
    return {"stepped": big[sl], "fortran": np.asfortranarray(a),
            "negative": flipped[tuple(slice(None, None, -1) for _ in a.shape)]}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c", [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33])
def test_case12_backward_channel_sweep(c, dtype):
    """Gradients for C in TESTING.md's list, kernels 1..7 in turn, a depth multiplier of 2
    and dilation 2 with padding; every argument non-contiguous in some call, the weight
    broadcast (stride 0) in another. Against the float64 transposes."""
    rng = np.random.default_rng(103 + c)
    k = [1, 2, 3, 4, 5, 7][c % 6]
    x = rand(rng, (2, c, 9, 8), dtype)
    w = rand(rng, (3, c, k, k), dtype)
    kw = dict(padding=k // 2 + 1, dilation=2 if k < 5 else 1)
    (sh, sw), pads, dil = (1, 1), (kw["padding"],) * 4, (kw["dilation"],) * 2
    dy = rand(rng, cc.conv2d(x, w, **kw).shape, dtype)
    ref = S.conv2d_backward(dy, x, w, (sh, sw), pads, dil, 1)
    lay = [layouts(a) for a in (dy, x, w)]
    for name in ("stepped", "fortran", "negative"):
        got = cc.conv2d_backward(lay[0][name], lay[1][name], lay[2][name], **kw)
        for g, r in zip(got, ref):
            assert_close(g, r, dtype)
    wb = np.broadcast_to(w[:1], w.shape)
    ref = S.conv2d_backward(dy, x, np.array(wb), (sh, sw), pads, dil, 1)
    for g, r in zip(cc.conv2d_backward(dy, x, wb, **kw), ref):
        assert_close(g, r, dtype)
    # depthwise with depth multiplier 2
    wd = rand(rng, (2 * c, 1, 3, 3), dtype)
    dyd = rand(rng, cc.conv2d(x, wd, padding=2, dilation=2, groups=c).shape, dtype)
    ref = S.conv2d_backward(dyd, x, wd, (1, 1), (2, 2, 2, 2), (2, 2), c)
    for g, r in zip(cc.conv2d_backward(dyd, layouts(x)["negative"], wd, padding=2, dilation=2,
                                       groups=c), ref):
        assert_close(g, r, dtype)


# ------------------------------------------------------------------ case 13 (backward)

SIZES = [1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("h,w", list(zip(SIZES, SIZES[5:] + SIZES[:5])))
def test_case13_backward_tiling_borders(h, w, dtype):
    """Gradients at every border: H and W from 1 to 3*16+1, every padding 0..K-1, small
    integers, so the results are bit-exact against the reference."""
    rng = np.random.default_rng(h * 100 + w)
    x = small_ints(rng, (2, 3, h, w), dtype)
    for k, groups in [(3, 1), (3, 3), (5, 1)]:
        wt = small_ints(rng, (6, 3 // groups, k, k), dtype, -2, 2)
        for pad in range(k):
            if h + 2 * pad < k or w + 2 * pad < k:
                continue
            dy = small_ints(rng, cc.conv2d(x, wt, padding=pad, groups=groups).shape, dtype)
            got = cc.conv2d_backward(dy, x, wt, padding=pad, groups=groups)
            ref = S.conv2d_backward(dy, x, wt, (1, 1), (pad,) * 4, (1, 1), groups)
            for g, r in zip(got, ref):
                assert_exact(g, r, dtype)
    for k, s, p, ceil in [(2, 2, 0, False), (3, 2, 1, True), (3, 1, 1, False)]:
        if pool_shape(h, k, s, p, ceil) < 1 or pool_shape(w, k, s, p, ceil) < 1:
            continue
        y, idx = cc.max_pool2d(x, k, s, p, ceil_mode=ceil, return_indices=True)
        dy = small_ints(rng, y.shape, dtype)
        assert_exact(cc.max_pool2d_backward(dy, idx, x.shape),
                     S.max_pool2d_backward(dy, idx, x.shape), dtype)
        assert_close(cc.avg_pool2d_backward(dy, x.shape, k, s, p, ceil),
                     avg_backward_ref(dy, x.shape, k, s, p, ceil), dtype)


# ------------------------------------------------------------------ case 14 (backward)

def offset1(a):
    buf = np.empty(a.size + 1, a.dtype)
    buf[1:] = a.ravel()
    return buf[1:].reshape(a.shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["grad_output", "x", "weight", "all"])
@pytest.mark.parametrize("kind", ["generic", "depthwise"])
def test_case14_misaligned_backward_arguments(kind, which, dtype):
    rng = np.random.default_rng(104)
    groups = 4 if kind == "depthwise" else 1
    x = rand(rng, (2, 4, 9, 7), dtype)
    w = rand(rng, (8, 4 // groups, 3, 3), dtype)
    dy = rand(rng, (2, 8, 9, 7), dtype)
    ref = S.conv2d_backward(dy, x, w, (1, 1), (1, 1, 1, 1), (1, 1), groups)
    args = {"grad_output": dy, "x": x, "weight": w}
    for name in (args if which == "all" else [which]):
        args[name] = offset1(args[name])
        assert args[name].ctypes.data % args[name].itemsize == 0  # element-aligned only
    got = cc.conv2d_backward(args["grad_output"], args["x"], args["weight"], padding=1,
                             groups=groups)
    for g, r in zip(got, ref):
        assert_close(g, r, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_case14_misaligned_pool_backward_arguments(dtype):
    rng = np.random.default_rng(105)
    x = rand(rng, (2, 3, 9, 8), dtype)
    y, idx = cc.max_pool2d(x, 3, 2, 1, return_indices=True)
    dy = rand(rng, y.shape, dtype)
    want = S.max_pool2d_backward(dy, idx, x.shape)
    assert_close(cc.max_pool2d_backward(offset1(dy), offset1(idx), x.shape), want, dtype)
    raw = np.zeros(idx.nbytes + 1, np.uint8)
    unaligned = raw[1:].view(np.int64).reshape(idx.shape)
    unaligned[...] = idx
    assert_close(cc.max_pool2d_backward(dy, unaligned, x.shape), want, dtype)
    a = cc.avg_pool2d(x, 3, 2, 1)
    da = rand(rng, a.shape, dtype)
    assert_close(cc.avg_pool2d_backward(offset1(da), x.shape, 3, 2, 1),
                 avg_backward_ref(da, x.shape, 3, 2, 1), dtype)


# ------------------------------------------------------------------ case 18

@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.uint64, np.uint32])
def test_case18_indices_range_checked_in_every_integer_dtype(dtype):
    """Indices of any integer dtype are checked against [0, H * W): a wrapped uint64, a
    negative int32, one equal to H * W; and out-of-range indices in a strided view."""
    dy = np.ones((1, 2, 2, 2))
    good = np.array([[[[0, 5], [10, 15]], [[3, 3], [12, 1]]]])
    dx = cc.max_pool2d_backward(dy, good.astype(dtype), (1, 2, 4, 4))
    assert dx.sum() == 8 and dx[0, 1, 0, 3] == 2
    for bad in ([-1, 16, 2**31 - 1] if np.dtype(dtype).kind == "i" else [16, 2**32 - 1]):
        if bad > np.iinfo(dtype).max:
            continue
        idx = good.astype(dtype)
        idx[0, 1, 1, 0] = bad
        with pytest.raises(ValueError, match="indices"):
            cc.max_pool2d_backward(dy, idx, (1, 2, 4, 4))
    if dtype == np.uint64:
        idx = good.astype(np.uint64)
        idx[0, 0, 0, 0] = np.uint64(2**64 - 1)  # -1 once read as int64
        with pytest.raises(ValueError, match="indices"):
            cc.max_pool2d_backward(dy, idx, (1, 2, 4, 4))
    # a strided view: the out-of-range value is one the view includes
    big = np.zeros((1, 2, 2, 4), dtype)
    big[..., ::2] = good.astype(dtype)
    big[0, 0, 1, 2] = 16
    with pytest.raises(ValueError, match="indices"):
        cc.max_pool2d_backward(dy, big[..., ::2], (1, 2, 4, 4))
