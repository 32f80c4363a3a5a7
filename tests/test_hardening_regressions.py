"""Regression tests for the bugs the hardening work (sanitizers, fuzzing) found; each test
names its bug. They check against the independent reference, never against convcore."""

import numpy as np
import pytest

import convcore as cc
import reference as R
import reference_sparse as S
from helpers import assert_close, assert_exact, small_ints

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


@pytest.mark.parametrize("dilation", [2**62, (1, 2**62), (2**61, 1), 2**40])
def test_same_padding_too_large_is_a_value_error(dilation):
    """padding='same' with a huge dilation needs padding beyond int64: that raised
    OverflowError from the wrapper's int64 conversion instead of ValueError."""
    x = np.ones((1, 1, 4, 4))
    w = np.ones((1, 1, 5, 5))
    if dilation == 2**40:
        # in range, and valid: every tap but the centre one lands in the padding
        w[0, 0, 2, 2] = 3.0
        y = cc.conv2d(x, w, padding="same", dilation=dilation)
        assert_exact(y, 3.0 * x)
        return
    with pytest.raises(ValueError):
        cc.conv2d(x, w, padding="same", dilation=dilation)
    with pytest.raises(ValueError):
        cc.conv2d_backward(np.ones((1, 1, 4, 4)), x, w, padding="same", dilation=dilation)


@pytest.mark.parametrize("input_shape", [(1, 1, 0, 0), (2, 3, 0, 4), (1, 2, 5, 0), (2, 0, 5)])
def test_max_pool_backward_empty_plane_rejects_every_index(input_shape):
    """With H * W == 0 no index lies in [0, H * W), but the C core returned early (nothing
    to write) without looking at the indices: the gradient was dropped silently. It must
    be refused; an empty grad_output (no index at all) stays fine."""
    shape4 = (1,) * (4 - len(input_shape)) + tuple(input_shape)
    dy = np.ones(shape4[:2] + (2, 3))
    idx = np.zeros(dy.shape, np.int64)
    if len(input_shape) == 3:
        dy, idx = dy[0], idx[0]
    with pytest.raises(ValueError, match="indices"):
        cc.max_pool2d_backward(dy, idx, input_shape)
    empty = dy[..., :0, :]
    dx = cc.max_pool2d_backward(empty, idx[..., :0, :], input_shape)
    assert dx.shape == tuple(input_shape) and dx.dtype == np.float64


@pytest.mark.parametrize("groups", [1, 3, 2**31, 2**57, 2**62])
def test_conv_without_channels_accepts_any_groups(groups):
    """x (N, 0, H, W) with weight (0, 0, kh, kw) is valid for every groups >= 1 (zero is
    divisible by anything), and the output is empty. The workspace bound computed
    groups * 64 unchecked: signed overflow (UndefinedBehaviorSanitizer), and with wrapping
    arithmetic a ValueError for groups = 2**57."""
    x = np.ones((2, 0, 3, 4))
    w = np.ones((0, 0, 2, 2))
    y = cc.conv2d(x, w, groups=groups)
    assert y.shape == (2, 0, 2, 3) and y.dtype == np.float64
    dx, dw, db = cc.conv2d_backward(np.ones((2, 0, 2, 3)), x, w, groups=groups)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (0,)


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("stride", [9, 2**22, 2**42, 2**62])
def test_max_pool_window_wider_than_int64_half_has_no_output(stride, ceil_mode):
    """A max-pool window dilated to 2**63 - 7 columns over a 3-wide input has no output (the
    reference's size is negative). The output size's floor division added stride - 1 to a
    numerator near -2**63: signed overflow (UndefinedBehaviorSanitizer, found by the
    fuzzer), and with wrapping arithmetic (release builds) an output of -inf values instead
    of ValueError for the strides from 2**22 up."""
    x = np.arange(1.0, 4.0).reshape(1, 1, 1, 3)
    kw = dict(kernel_size=(1, 9), stride=(1, stride), dilation=(1, 2**60 - 1),
              ceil_mode=ceil_mode)
    assert R.pool_output_size(3, 9, stride, 0, 0, 2**60 - 1, ceil_mode) < 1
    with pytest.raises(ValueError, match="output size"):
        cc.max_pool2d(x, **kw)
    with pytest.raises(ValueError, match="output size"):
        cc.max_pool2d(x, return_indices=True, **kw)
    # the same stride with a window that fits: the reference's single output
    kw["dilation"] = (1, 1)
    kw["kernel_size"] = (1, 3)
    y, idx = cc.max_pool2d(x, return_indices=True, **kw)
    ry, ri = R.max_pool2d(x, **kw)
    assert_exact(y, ry)
    np.testing.assert_array_equal(idx, ri)


@pytest.mark.parametrize("shape", [(1, 1, 0, 0), (2, 3, 0, 5), (1, 2, 4, 0), (3, 0, 0)])
def test_max_pool_of_an_empty_plane_raises(shape):
    """With H or W = 0, padding still gives windows, but none holds an element: max_pool2d
    returned -inf with index -1 (outside the plane, which max_pool2d_backward then refused;
    found by the fuzzer). It is a ValueError, as for the global pools; avg_pool2d keeps
    the reference's 0 for windows without elements."""
    x = np.ones(shape)
    for return_indices in (False, True):
        with pytest.raises(ValueError, match="H, W >= 1"):
            cc.max_pool2d(x, 2, padding=1, return_indices=return_indices)
    y = cc.avg_pool2d(x, 2, padding=1, count_include_pad=False)
    assert_exact(y, R.avg_pool2d(x, 2, padding=1, count_include_pad=False))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel,stride", [((17, 3), 1), ((20, 3), (1, 1)), ((17, 2), (1, 2)),
                                           ((33, 3), (4, 1)), ((40, 5), (2, 1))])
def test_avg_pool_windows_taller_than_the_row_ring(kernel, stride, dtype, simd_target):
    """The SIMD avg-pool row kernel keeps one pointer per window row in an array of 16 and
    checked that bound only when it copied rows into its ring, not when it read them in
    place (no left padding): a window of 17 or more rows wrote past the array
    (AddressSanitizer: stack-buffer-overflow, found by the fuzzer's huge strides)."""
    rng = np.random.default_rng(kernel[0])
    x = small_ints(rng, (2, 3, 41, 29), dtype)
    y = cc.avg_pool2d(x, kernel, stride)
    assert_close(y, R.avg_pool2d(x, kernel, stride), dtype)
    assert_close(cc.avg_pool2d(x, kernel, stride, padding=(0, 1)),
                 R.avg_pool2d(x, kernel, stride, padding=(0, 1)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride_h", [17, 2**40, 2**61, 2**62])
def test_pool_and_depthwise_strides_near_2_pow_62(stride_h, dtype, simd_target):
    """The SIMD row kernels sized their row ring as window + 2 * stride_h rows: for
    stride_h near 2**62 that overflowed int64 (UndefinedBehaviorSanitizer), and with
    wrapping arithmetic the ring took a negative size, so tall avg-pool windows read the
    wrong rows. One output row per plane here; every result against the reference."""
    rng = np.random.default_rng(7)
    x = small_ints(rng, (2, 3, 30, 37), dtype)
    for kernel in [(3, 3), (12, 2), (16, 3)]:
        for f, ref in [(cc.avg_pool2d, R.avg_pool2d),
                       (cc.max_pool2d, lambda *a, **k: R.max_pool2d(*a, **k)[0])]:
            for stride_w in (1, 2):
                for pad in (0, 1):
                    kw = dict(kernel_size=kernel, stride=(stride_h, stride_w), padding=(0, pad))
                    assert_close(f(x, **kw), ref(x, **kw), dtype)
    w = small_ints(rng, (3, 1, 3, 3), dtype)
    for stride_w in (1, 2):
        kw = dict(stride=(stride_h, stride_w), padding=1, groups=3)
        assert_close(cc.conv2d(x, w, **kw), R.conv2d(x, w, **kw), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kh", [2, 3, 4, 5])
def test_depthwise_window_spanning_2_pow_62_columns(kh, dtype, simd_target):
    """Depthwise conv whose dilated window spans 2**62 + 1 columns over padding of 2**61
    a side (3 outputs per row). The row ring computed its width (about 2**62) and then
    rows * width unchecked: signed overflow (UndefinedBehaviorSanitizer, found by the
    fuzzer); with wrapping arithmetic 4 * width came out as 192, the ring was accepted,
    and copying a row wrote 2**61 elements past its buffer (segmentation fault)."""
    x = np.arange(2 * 6 * 3, dtype=dtype).reshape(1, 2, 6, 3)
    w = small_ints(np.random.default_rng(kh), (2, 1, kh, 3), dtype, 1, 3)
    pads, dil = (0, 0, 2**61, 2**61), (1, 2**61)
    for stride_w in (1, 2):
        y = cc.conv2d(x, w, stride=(1, stride_w), padding=((0, 0), (2**61, 2**61)),
                      dilation=dil, groups=2)
        assert_exact(y, S.conv2d(x, w, None, (1, stride_w), pads, dil, 2), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("plane", [(0, 0), (0, 3), (3, 0)])
def test_conv_backward_input_grad_of_an_empty_plane(plane, dtype, simd_target):
    """conv2d_backward of an input with an empty plane whose padding still gives dy pixels
    (x 0x0, kernel 2x2, padding 1: dy is 1x1). The stride-1 input gradient runs as a forward
    conv of dy with the flipped filters, and that conv's output (x's empty plane) was
    refused: ValueError 'computed output size is less than 1' for a valid call (found by
    the fuzzer). The input gradient is empty; the weight and bias gradients still flow."""
    rng = np.random.default_rng(sum(plane))
    x = small_ints(rng, (2, 3) + plane, dtype)
    w = small_ints(rng, (4, 3, 2, 2), dtype)
    pads = (1, 1, 1, 1)
    y = cc.conv2d(x, w, padding=1)
    dy = small_ints(rng, y.shape, dtype)
    ref = S.conv2d_backward(dy, x, w, (1, 1), pads, (1, 1), 1)
    for flags in [dict(weight_grad=False, bias_grad=False), {}]:
        got = cc.conv2d_backward(dy, x, w, padding=1, **flags)
        for g, r in zip(got, ref):
            if g is not None:
                assert_exact(g, r, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("stride_h", [3, 65, 2**62])
@pytest.mark.parametrize("width", [0, 3])
def test_conv_weight_grad_with_a_huge_row_stride(width, stride_h, dtype, simd_target):
    """Weight gradient of a conv with a row stride near 2**62: the direct weight-gradient
    kernel sized its expansion buffer as stride * KW * rows * OW without bounds (signed
    overflow; the size came out small), then looped over stride phases, writing past the
    buffer (segmentation fault, found by the fuzzer). Such strides now take the GEMM path."""
    rng = np.random.default_rng(stride_h % 1000 + width)
    x = small_ints(rng, (2, 4, 5, width), dtype)
    w = small_ints(rng, (2, 2, 3, 2), dtype)
    pads, kw = (0, 2, 2, 2), dict(padding=((0, 2), (2, 2)), dilation=2, groups=2)
    y = cc.conv2d(x, w, stride=(stride_h, 2), **kw)
    dy = small_ints(rng, y.shape, dtype)
    ref = S.conv2d_backward(dy, x, w, (stride_h, 2), pads, (2, 2), 2)
    got = cc.conv2d_backward(dy, x, w, stride=(stride_h, 2), **kw)
    for g, r in zip(got, ref):
        assert_exact(g, r, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("stride_w", [1, 2])
def test_conv_paths_with_padding_near_2_pow_61_columns(stride_w, groups, dtype, simd_target):
    """Padding of 2**61 columns a side with a dilation of 2**61: the depthwise plane kernel
    and the backward pass's column scatter formed `row + offset` with the offset alone
    (about -2**61 elements: a pointer that wraps, UndefinedBehaviorSanitizer's
    pointer-overflow, found by the sanitizer job) before adding the first in-bounds column.
    They now add the in-bounds column first. Forward and backward against the reference
    (the sanitizer job runs this with the checks on)."""
    rng = np.random.default_rng(stride_w + 10 * groups)
    x = small_ints(rng, (2, 2, 6, 3), dtype)
    w = small_ints(rng, (2, 2 // groups, 2, 3), dtype)
    kw = dict(stride=(2, stride_w), padding=((0, 0), (2**61, 2**61)), dilation=(1, 2**61),
              groups=groups)
    pads, dil = (0, 0, 2**61, 2**61), (1, 2**61)
    y = cc.conv2d(x, w, **kw)
    assert_exact(y, S.conv2d(x, w, None, (2, stride_w), pads, dil, groups), dtype)
    dy = small_ints(rng, y.shape, dtype)
    ref = S.conv2d_backward(dy, x, w, (2, stride_w), pads, dil, groups)
    for g, r in zip(cc.conv2d_backward(dy, x, w, **kw), ref):
        assert_exact(g, r, dtype)
