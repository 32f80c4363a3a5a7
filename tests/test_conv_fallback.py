"""The fallback GEMM path of the forward convolution, taken when the zero-padded phase
layout would dwarf the input and output (huge padding or dilation)."""
import numpy as np
import pytest

import convcore
import reference as R
from helpers import assert_close, assert_same_bits

CASES = [
    # (x shape, w shape, kwargs): each pads/dilates far beyond the input
    ((2, 3, 6, 7), (4, 3, 3, 3), dict(padding=200, dilation=200)),
    ((1, 4, 5, 5), (6, 2, 3, 2), dict(padding=((150, 151), (300, 3)), dilation=(150, 301), groups=2)),
    ((2, 2, 9, 4), (3, 2, 2, 3), dict(padding=250, dilation=(250, 120), stride=(3, 2))),
    ((1, 5, 4, 4), (7, 5, 5, 5), dict(padding="same", dilation=100)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: str(c[2]))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fallback_against_reference(case, dtype, simd_target):
    xs, wsh, kwargs = case
    rng = np.random.default_rng(len(str(kwargs)))
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(wsh).astype(dtype)
    b = rng.standard_normal(wsh[0]).astype(dtype)
    assert_close(convcore.conv2d(x, w, b, **kwargs), R.conv2d(x, w, b, **kwargs), dtype)


def test_fallback_bitwise_across_threads(restore_threads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 8, 8)).astype(np.float32)
    w = rng.standard_normal((9, 6, 3, 3)).astype(np.float32)
    results = []
    for nt in (1, 2, 3, 5):
        convcore.set_num_threads(nt)
        results.append(convcore.conv2d(x, w, padding=300, dilation=300))
    for r in results[1:]:
        assert_same_bits(r, results[0])
