"""Tiling borders: H and W from 1 to 3*16+1, small-integer data, results bit-exact.

With small integers every product and partial sum is exact in float32 and float64, so any
correct summation order gives exactly the reference; a wrong edge (a tile reading past the
border, a missed column, an unzeroed pad) shows as a wrong integer.
(Bit-exactness holds for direct and GEMM paths; should a Winograd path land, its 3x3
stride-1 cases here need assert_close instead.)
"""

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import assert_close, assert_exact, small_ints

DTYPES = [np.float32, np.float64]

# A few values of every residue class mod 8 and mod 16, from 1 to 3*16+1.
SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 14, 15, 16, 17, 18, 21, 23, 24, 25, 30, 31, 32, 33,
         36, 39, 45, 47, 48, 49]
# Heights paired with the widths so that each size also appears as a height.
PAIRS = list(zip(SIZES, SIZES[7:] + SIZES[:7]))
C_OUTS = [1, 3, 4, 5, 8, 13, 16, 17, 32, 33]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("h,w", PAIRS)
def test_generic_conv_borders(h, w, dtype):
    rng = np.random.default_rng(h * 100 + w)
    c_out = C_OUTS[(h + w) % len(C_OUTS)]
    x = small_ints(rng, (2, 3, h, w), dtype)
    for k in (3, 5):
        wt = small_ints(rng, (c_out, 3, k, k), dtype, -2, 2)
        b = small_ints(rng, (c_out,), dtype)
        for pad in range(k):
            if h + 2 * pad < k or w + 2 * pad < k:
                continue
            assert_exact(cc.conv2d(x, wt, b, padding=pad), R.conv2d(x, wt, b, padding=pad), dtype)
        if h + 1 >= k and w + 2 >= k:
            pad = ((1, 0), (0, 2))
            assert_exact(cc.conv2d(x, wt, padding=pad, stride=2),
                         R.conv2d(x, wt, padding=pad, stride=2), dtype)
    wt = small_ints(rng, (c_out, 3, 2, 3), dtype, -2, 2)
    assert_exact(cc.conv2d(x, wt, padding="same"), R.conv2d(x, wt, padding="same"), dtype)
    if h >= 3 and w >= 3:
        assert_exact(cc.conv2d(x, wt, dilation=(2, 1), padding=1),
                     R.conv2d(x, wt, dilation=(2, 1), padding=1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("h,w", PAIRS)
def test_pointwise_conv_borders(h, w, dtype):
    rng = np.random.default_rng(h * 100 + w + 1)
    c_in = [1, 7, 16, 17][w % 4]
    c_out = C_OUTS[(h * 3 + w) % len(C_OUTS)]
    x = small_ints(rng, (2, c_in, h, w), dtype)
    wt = small_ints(rng, (c_out, c_in, 1, 1), dtype, -2, 2)
    b = small_ints(rng, (c_out,), dtype)
    assert_exact(cc.conv2d(x, wt, b), R.conv2d(x, wt, b), dtype)
    assert_exact(cc.conv2d(x, wt, b, stride=2), R.conv2d(x, wt, b, stride=2), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("h,w", PAIRS)
def test_depthwise_conv_borders(h, w, dtype):
    rng = np.random.default_rng(h * 100 + w + 2)
    c = [1, 4, 8, 9, 16, 17][(h + w) % 6]
    x = small_ints(rng, (2, c, h, w), dtype)
    for k in (3, 5):
        for mult in (1, 2):
            wt = small_ints(rng, (c * mult, 1, k, k), dtype, -2, 2)
            b = small_ints(rng, (c * mult,), dtype)
            for pad in range(k):
                if h + 2 * pad < k or w + 2 * pad < k:
                    continue
                assert_exact(cc.conv2d(x, wt, b, padding=pad, groups=c),
                             R.conv2d(x, wt, b, padding=pad, groups=c), dtype)
            if h + 2 >= k and w + 2 >= k:
                assert_exact(cc.conv2d(x, wt, b, padding=1, stride=2, groups=c),
                             R.conv2d(x, wt, b, padding=1, stride=2, groups=c), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("h,w", PAIRS)
def test_pool_borders(h, w, dtype):
    rng = np.random.default_rng(h * 100 + w + 3)
    c = [1, 3, 8, 16, 17][(h + w) % 5]
    x = small_ints(rng, (2, c, h, w), dtype, -50, 50)
    for k, s, p, ceil in [(2, 2, 0, False), (2, 2, 1, True), (3, 2, 1, True), (3, 1, 1, False),
                          (3, 3, 0, True), (5, 2, 2, False)]:
        if R.pool_output_size(h, k, s, p, p, 1, ceil) < 1 or \
                R.pool_output_size(w, k, s, p, p, 1, ceil) < 1:
            continue
        y, i = cc.max_pool2d(x, k, s, p, ceil_mode=ceil, return_indices=True)
        ry, ri = R.max_pool2d(x, k, s, p, ceil_mode=ceil)
        assert_exact(y, ry, dtype)
        np.testing.assert_array_equal(i, ri)
        assert_close(cc.avg_pool2d(x, k, s, p, ceil_mode=ceil),
                     R.avg_pool2d(x, k, s, p, ceil_mode=ceil), dtype)
        assert_close(cc.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=False),
                     R.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=False), dtype)
    assert_exact(cc.global_max_pool2d(x), R.global_max_pool2d(x), dtype)
    assert_close(cc.global_avg_pool2d(x), R.global_avg_pool2d(x), dtype)
