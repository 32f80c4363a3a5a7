"""Every path of the convolution gradients against the float64 reference, on every SIMD
target the CPU has.

The weight gradient has a direct kernel (column-expanded input, SIMD dot products, taken
for kernel widths up to 7 when there are few output channels per group or a short
reduction) and a packed GEMM; the input gradient of a stride-1 convolution runs as a
forward convolution with flipped filters, other strides as a GEMM plus col2im. The shapes
below reach both sides of each choice and the kernels' edges: kernel widths 1..8, block
heights around the register blocks (1..17 output channels per group), pixel counts around
the vector width and the kernel's fixed run of 512, strides, dilations, asymmetric
padding wider than the kernel's reach, groups. Small-integer data make every partial sum
exact in float32, so the comparison is exact.
"""

import itertools

import numpy as np
import pytest

import convcore
from helpers import assert_same_bits
from reference import conv2d_backward as ref_backward

def int_data(rng, shape, dtype):
    return rng.integers(-3, 4, size=shape).astype(dtype)


def check(n, c_in, h, w, c_out, kh, kw, dtype, rng, **kw_args):
    groups = kw_args.get("groups", 1)
    x = int_data(rng, (n, c_in, h, w), dtype)
    wt = int_data(rng, (c_out, c_in // groups, kh, kw), dtype)
    y = convcore.conv2d(x, wt, **kw_args)
    dy = int_data(rng, y.shape, dtype)
    x0, w0, dy0 = x.copy(), wt.copy(), dy.copy()
    dx, dw, db = convcore.conv2d_backward(dy, x, wt, **kw_args)
    want = ref_backward(dy, x, wt, **kw_args)
    for got, ref, name in zip((dx, dw, db), want, ("grad_input", "grad_weight", "grad_bias")):
        assert got.dtype == dtype and got.shape == ref.shape, name
        np.testing.assert_array_equal(got, ref.astype(dtype), err_msg=name)
    for a, b in ((x, x0), (wt, w0), (dy, dy0)):
        assert np.array_equal(a, b), "an input array was modified"


# (kernel h, kernel w) x output channels per group: the direct weight-gradient kernel's
# instantiations (widths 1..7; blocks of up to 8 rows, half blocks for the last) and the
# GEMM beyond (width 8, many channels)
@pytest.mark.parametrize("kh, kw", [(1, 1), (3, 2), (2, 3), (1, 4), (5, 5), (3, 6), (7, 7), (2, 8)])
@pytest.mark.parametrize("c_out", [1, 3, 5, 9, 17])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernel_sizes_and_channel_blocks(simd_target, kh, kw, c_out, dtype):
    rng = np.random.default_rng(kh * 100 + kw * 10 + c_out)
    check(3, 2, 9, 11, c_out, kh, kw, dtype, rng, padding=(kh // 2, kw // 2))


GEOMETRIES = [
    dict(),
    dict(stride=2),
    dict(stride=(1, 2), padding=1),
    dict(stride=(3, 1), padding=(2, 0)),
    dict(dilation=2, padding=2),
    dict(dilation=(1, 3), padding=(1, 3)),
    dict(padding=((0, 2), (3, 1))),          # asymmetric
    dict(padding=((4, 0), (0, 4))),          # wider than the kernel's reach: no forward form
    dict(padding="same", dilation=(2, 1)),
    dict(groups=2, padding=1),
    dict(groups=2, stride=2, dilation=(2, 1)),
]


@pytest.mark.parametrize("kwargs", GEOMETRIES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_geometries(simd_target, kwargs, dtype):
    rng = np.random.default_rng(len(str(kwargs)))
    # 6 and 40 output channels per group: the direct kernel and the GEMM for the weights
    for c_out in (6 * kwargs.get("groups", 1), 40 * kwargs.get("groups", 1)):
        check(2, 4, 10, 13, c_out, 3, 3, dtype, rng, **kwargs)


@pytest.mark.parametrize("hw", [(1, 15), (1, 16), (1, 17), (4, 4), (23, 23), (3, 200)])
def test_pixel_counts(simd_target, hw):
    """Pixel counts one short of, at, and past the vector widths, and past the kernel's
    run of 512 pixels (529, 600): the masked last vector and the run boundaries."""
    rng = np.random.default_rng(hw[0] * 1000 + hw[1])
    h, w = hw
    check(2, 2, h + 2, w + 2, 4, 3, 3, np.float32, rng)
    check(2, 2, h, w, 4, 1, 3, np.float64, rng, padding=(0, 1))


def test_many_images_and_demo_layers_bitwise_across_threads(restore_threads):
    """The layers of the demo network with 37 images (three chunks of the weight-gradient
    reduction): against the reference, and bit-identical for 1, 2, 3, 5 and 8 threads."""
    rng = np.random.default_rng(5)
    layers = [((37, 1, 28, 28), (6, 1, 5, 5), dict(padding=2)),
              ((37, 6, 14, 14), (16, 6, 5, 5), dict())]
    for xs, ws, kwargs in layers:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        dy = rng.standard_normal(convcore.conv2d(x, w, **kwargs).shape).astype(np.float32)
        want = ref_backward(dy, x, w, **kwargs)
        results = []
        for nt in (1, 2, 3, 5, 8):
            convcore.set_num_threads(nt)
            results.append(convcore.conv2d_backward(dy, x, w, **kwargs))
        for got, ref in zip(results[0], want):
            np.testing.assert_allclose(got, ref, rtol=2e-4, atol=2e-4 * np.abs(ref).max())
        for r in results[1:]:
            for a, b in zip(r, results[0]):
                assert_same_bits(a, b)


@pytest.mark.parametrize("ow", [5, 15, 16, 17, 33])
def test_non_finite_input_reaches_only_its_taps(simd_target, ow):
    """An inf in input column 0 meets only kernel column 0 (stride 1, no padding): the
    other taps' weight gradients stay finite and exact, however the kernel pads its
    vectors past the row's end."""
    rng = np.random.default_rng(ow)
    kw = 3
    x = int_data(rng, (2, 2, 4, ow + kw - 1), np.float32)
    x[:, :, :, 0] = np.inf
    w = int_data(rng, (5, 2, 2, kw), np.float32)
    dy = rng.integers(1, 4, size=(2, 5, 3, ow)).astype(np.float32)  # no zeros: inf * dy = inf
    _, dw, _ = convcore.conv2d_backward(dy, x, w, input_grad=False, bias_grad=False)
    finite = x.copy()
    finite[:, :, :, 0] = 0
    _, want, _ = ref_backward(dy, finite, w)
    np.testing.assert_array_equal(dw[..., 1:], want[..., 1:].astype(np.float32))
    assert np.isposinf(dw[..., 0]).all()


def test_non_contiguous_arguments(simd_target):
    """Views with steps and offsets for x, weight and grad_output (dy's columns not
    adjacent: the GEMM path; x read through its strides by the expansion)."""
    rng = np.random.default_rng(11)
    x = int_data(rng, (2, 6, 12, 20), np.float64)[:, ::2, 1:, ::2]
    w = int_data(rng, (8, 3, 3, 6), np.float64)[..., ::2]
    y_shape = convcore.conv2d(x, w, padding=1).shape
    for dy in (int_data(rng, y_shape, np.float64),
               int_data(rng, y_shape[:3] + (2 * y_shape[3],), np.float64)[..., ::2]):
        dx, dw, db = convcore.conv2d_backward(dy, x, w, padding=1)
        for got, ref in zip((dx, dw, db), ref_backward(dy, x, w, padding=1)):
            np.testing.assert_array_equal(got, ref)


@pytest.mark.slow
@pytest.mark.parametrize("kh, kw", [(1, 1), (2, 3), (3, 3), (5, 5), (7, 7), (1, 7), (4, 8)])
def test_sweep(simd_target, kh, kw):
    rng = np.random.default_rng(kh * 8 + kw)
    for c_out, c_in, stride, dil, groups in itertools.product(
            (1, 4, 8, 16, 33), (1, 3), (1, 2, (2, 1)), (1, 2), (1, 3)):
        check(2, c_in * groups, 11, 12, c_out * groups, kh, kw, np.float32, rng,
              stride=stride, dilation=dil, groups=groups, padding=(kh // 2, kw // 2))
