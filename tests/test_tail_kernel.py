"""The forward GEMM's tail tiles: where the last vector of a plane's outputs would be mostly
empty (7x7 planes: 49 = 3 * 16 + 1 on AVX-512), the plane is cut into tiles of whole
vectors plus one output, which the gemm_tail kernels (gemm_simd.template.c) compute with k
in the lanes.

Small-integer data make every summation order exact, so each result must equal the float64
reference exactly; random data check the tolerance against float64 and bit-equality across
thread counts (the lane-sum tree is fixed). Run on every SIMD target this machine has (the
targets without the kernel take the ordinary tiles: the same answers).
"""

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import assert_close, assert_exact, assert_same_bits, small_ints

DTYPES = [np.float32, np.float64]

# (H, W, stride, padding): output planes of 17, 33, 49 (float32 tails) and 9, 17, 25, 33, 49
# (float64 tails), padded (phase layout) and unpadded stride 1 (the input read in place).
PLANES = [
    (7, 7, 1, 1),     # 7x7 -> 49
    (9, 9, 1, 0),     # 7x7 in place
    (13, 13, 2, 1),   # 7x7, stride 2
    (1, 17, 1, 0),    # 1x17
    (3, 11, 1, 0),    # 1x9
    (5, 13, 1, 1),    # 5x13 -> 65
    (11, 3, 1, 1),    # 11x3 -> 33
    (5, 5, 1, 1),     # 5x5 -> 25
    (4, 19, 1, 0),    # 2x17 -> 34: two tail tiles
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("h,w,stride,pad", PLANES)
@pytest.mark.parametrize("c_in,k", [(1, 3), (2, 3), (17, 1), (40, 3), (70, 3)])
def test_tail_tiles_exact(simd_target, h, w, stride, pad, c_in, k, dtype):
    """Row counts around the kernel's 6 rows, reductions shorter than a vector, not a
    multiple of it, and longer than one k block (70 * 9 = 630 > 256), bias or none."""
    rng = np.random.default_rng(h * 1000 + w * 10 + c_in)
    x = small_ints(rng, (2, c_in, h, w), dtype)
    for c_out in (1, 5, 6, 7, 13, 15):  # under 16: no Winograd, every order exact
        wt = small_ints(rng, (c_out, c_in, k, k), dtype, -2, 2)
        b = small_ints(rng, (c_out,), dtype) if c_out % 2 else None
        if h + 2 * pad < k or w + 2 * pad < k:
            continue
        assert_exact(cc.conv2d(x, wt, b, stride=stride, padding=pad),
                     R.conv2d(x, wt, b, stride=stride, padding=pad), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tail_tile_many_rows_tile_outer(simd_target, dtype):
    """Output channels enough that the output no longer fits the k-outer budget, so tiles
    run one after another over every k block (the other loop order), with a long
    reduction."""
    rng = np.random.default_rng(7)
    x = small_ints(rng, (1, 30, 7, 7), dtype)
    wt = small_ints(rng, (6000, 30, 3, 3), dtype, -1, 1)
    b = small_ints(rng, (6000,), dtype)
    assert_exact(cc.conv2d(x, wt, b, padding=1), R.conv2d(x, wt, b, padding=1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tail_tiles_beside_full_tiles(simd_target, dtype):
    """A plane of several tiles whose last one has the extra output (1x113: 64 + 49)."""
    rng = np.random.default_rng(8)
    x = small_ints(rng, (1, 9, 1, 115), dtype)
    wt = small_ints(rng, (20, 9, 1, 3), dtype, -2, 2)
    b = small_ints(rng, (20,), dtype)
    assert_exact(cc.conv2d(x, wt, b), R.conv2d(x, wt, b), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_tail_tiles_random_data_and_threads(simd_target, restore_threads, dtype):
    """A late stage in miniature (7x7 planes, 5x5 filters so that Winograd does not take
    it): random data within tolerance of float64, and the same bits on every thread
    count."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 96, 7, 7)).astype(dtype)
    wt = rng.standard_normal((64, 96, 5, 5)).astype(dtype)
    b = rng.standard_normal(64).astype(dtype)
    ref = R.conv2d(x.astype(np.float64), wt.astype(np.float64), b.astype(np.float64), padding=2)
    cc.set_num_threads(1)
    y1 = cc.conv2d(x, wt, b, padding=2)
    assert_close(y1, ref, dtype)
    for n in (2, 3, 5):
        cc.set_num_threads(n)
        assert_same_bits(cc.conv2d(x, wt, b, padding=2), y1)
