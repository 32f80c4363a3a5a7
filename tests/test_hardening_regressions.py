"""Regression tests for the bugs the hardening work (sanitizers, fuzzing) found; each test
names its bug. They check against the independent reference, never against convcore."""

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import assert_exact, small_ints

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bottom", [1, 2, 5])
@pytest.mark.parametrize("shape", [(1, 1, 4, 5), (2, 3, 7, 9), (3, 17, 5, 16), (1, 4, 1, 1)])
def test_pointwise_conv_with_only_bottom_padding(shape, bottom, dtype):
    """1x1 stride-1 conv padded only at the bottom: the packing took its 'the column matrix
    is the input plane' shortcut because out_w == W, and read past each input plane (the
    next channel's values instead of zeros, and past the end of the buffer for the last
    one: AddressSanitizer heap-buffer-overflow)."""
    rng = np.random.default_rng(sum(shape) * 10 + bottom)
    x = small_ints(rng, shape, dtype)
    w = small_ints(rng, (3, shape[1], 1, 1), dtype, -2, 2)
    b = small_ints(rng, (3,), dtype)
    pad = ((0, bottom), (0, 0))
    assert_exact(cc.conv2d(x, w, b, padding=pad), R.conv2d(x, w, b, padding=pad), dtype)
    assert_exact(cc.conv2d(x, w, padding=pad), R.conv2d(x, w, padding=pad), dtype)
    # the same through a C-contiguous view of a bigger buffer (the plane is dense, the
    # channel stride is not H * W): the shortcut must not read the gap either
    big = np.full((shape[0], shape[1] + 1) + shape[2:], np.nan, dtype)
    big[:, :-1] = x
    assert_exact(cc.conv2d(big[:, :-1], w, b, padding=pad), R.conv2d(x, w, b, padding=pad),
                 dtype)
