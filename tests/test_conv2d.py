"""conv2d forward against the NumPy reference: parameter sweeps, shapes, `out=`."""

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import assert_close, assert_same_bits, rand

DTYPES = [np.float32, np.float64]


def check_conv(rng, dtype, x_shape, w_shape, bias=True, **kw):
    x = rand(rng, x_shape, dtype)
    w = rand(rng, w_shape, dtype)
    b = rand(rng, (w_shape[0],), dtype) if bias else None
    x0, w0, b0 = x.copy(), w.copy(), None if b is None else b.copy()
    y = cc.conv2d(x, w, b, **kw)
    assert_close(y, R.conv2d(x, w, b, **kw), dtype)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    if b is not None:
        np.testing.assert_array_equal(b, b0)
    return y


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding", [0, 1, (2, 1), ((0, 2), (1, 0)), ((3, 1), (0, 2)), "valid"])
@pytest.mark.parametrize("dilation", [1, 2, 3, (2, 1)])
@pytest.mark.parametrize("stride", [1, 2, 3, (1, 2), (3, 1)])
def test_stride_padding_dilation(stride, dilation, padding, dtype):
    rng = np.random.default_rng(0)
    check_conv(rng, dtype, (2, 3, 11, 10), (4, 3, 3, 2), stride=stride, padding=padding,
               dilation=dilation)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dilation", [1, 2, 3, (1, 2)])
@pytest.mark.parametrize("kernel", [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (7, 7), (2, 3), (4, 1)])
def test_same_padding(kernel, dilation, dtype):
    rng = np.random.default_rng(1)
    y = check_conv(rng, dtype, (2, 3, 9, 8), (5, 3) + kernel, padding="same", dilation=dilation)
    assert y.shape == (2, 5, 9, 8)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel,dilation", [(2, 1), (4, 1), (2, 3), ((4, 2), (1, 3))])
def test_same_padding_extra_goes_to_the_end(kernel, dilation, dtype):
    """An odd total padding puts the extra row/column at the bottom/right, as torch."""
    rng = np.random.default_rng(2)
    x = rand(rng, (1, 2, 7, 6), dtype)
    kh, kw = R.pair(kernel)
    w = rand(rng, (3, 2, kh, kw), dtype)
    top, bottom, left, right = R.conv_padding("same", kernel, dilation)
    y_same = cc.conv2d(x, w, padding="same", dilation=dilation)
    y_explicit = cc.conv2d(x, w, padding=((top, bottom), (left, right)), dilation=dilation)
    assert y_same.shape == (1, 3, 7, 6)
    assert_same_bits(y_same, y_explicit)
    assert_close(y_same, R.conv2d(x, w, padding=((top, bottom), (left, right)),
                                  dilation=dilation), dtype)


def test_valid_is_zero_padding():
    rng = np.random.default_rng(3)
    x, w = rand(rng, (2, 3, 8, 9)), rand(rng, (2, 3, 3, 4))
    assert_same_bits(cc.conv2d(x, w, padding="valid"), cc.conv2d(x, w, padding=0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", [1, 3])
@pytest.mark.parametrize(
    "c_in,c_out,groups",
    [
        (4, 6, 2),
        (6, 6, 3),
        (5, 5, 5),  # depthwise
        (16, 16, 16),  # depthwise, a vector width
        (17, 17, 17),  # depthwise, width + 1
        (4, 8, 4),  # depthwise, multiplier 2
        (3, 9, 3),  # depthwise, multiplier 3
        (6, 4, 2),
        (8, 4, 4),
    ],
)
def test_groups(c_in, c_out, groups, kernel, dtype):
    rng = np.random.default_rng(4)
    for stride, padding, dilation in [(1, kernel // 2, 1), (2, 1, 1), (1, 2, 2)]:
        check_conv(rng, dtype, (2, c_in, 9, 7), (c_out, c_in // groups, kernel, kernel),
                   stride=stride, padding=padding, dilation=dilation, groups=groups)


CHANNELS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33]
KERNELS = [1, 2, 3, 4, 5, 7]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c_in", CHANNELS)
def test_channels(c_in, dtype):
    """Each channel count with a kernel size and an output channel count of its own."""
    rng = np.random.default_rng(c_in)
    k = KERNELS[c_in % len(KERNELS)]
    c_out = [1, 7, 16, 17, 33][c_in % 5]
    check_conv(rng, dtype, (2, c_in, 10, 9), (c_out, c_in, k, k), padding=k // 2)
    # depthwise with the same channel count
    check_conv(rng, dtype, (1, c_in, 10, 9), (c_in, 1, k, k), padding=k // 2, groups=c_in)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("c_in", CHANNELS)
def test_channels_kernels_full(c_in, kernel, dtype):
    rng = np.random.default_rng(c_in * 10 + kernel)
    for c_out in [1, 7, 16, 17, 33]:
        check_conv(rng, dtype, (2, c_in, 11, 10), (c_out, c_in, kernel, kernel),
                   padding=kernel // 2)
        check_conv(rng, dtype, (2, c_in, 11, 10), (c_out, c_in, kernel, kernel), stride=2,
                   dilation=2, padding=kernel - 1)
    for mult in (1, 2, 3):
        check_conv(rng, dtype, (2, c_in, 11, 10), (c_in * mult, 1, kernel, kernel),
                   padding=kernel // 2, groups=c_in)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("c_in,c_out", [(1, 1), (16, 16), (33, 17), (3, 40)])
@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 0), (1, 1), (3, ((1, 0), (0, 2)))])
def test_pointwise_1x1(c_in, c_out, stride, padding, dtype):
    rng = np.random.default_rng(5)
    check_conv(rng, dtype, (3, c_in, 7, 13), (c_out, c_in, 1, 1), stride=stride,
               padding=padding)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "x_hw,kernel,padding,dilation",
    [
        ((2, 3), (5, 5), 2, 1),
        ((1, 1), (3, 3), 1, 1),
        ((1, 1), (7, 7), 3, 1),
        ((2, 3), (4, 6), ((2, 1), (3, 2)), 1),
        ((3, 2), (3, 3), 2, 2),
        ((1, 4), (5, 1), (2, 0), 1),
    ],
)
def test_kernel_larger_than_input(x_hw, kernel, padding, dilation, dtype):
    rng = np.random.default_rng(6)
    check_conv(rng, dtype, (2, 3) + x_hw, (4, 3) + kernel, padding=padding, dilation=dilation)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_batch_sizes(n, bias, dtype):
    rng = np.random.default_rng(7)
    y = check_conv(rng, dtype, (n, 3, 6, 5), (4, 3, 3, 3), bias=bias, padding=1)
    assert y.shape == (n, 4, 6, 5)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("groups", [1, 2, 4])
@pytest.mark.parametrize("bias", [True, False])
def test_zero_input_channels(groups, bias, dtype):
    """C_in = 0 gives the bias (or zeros)."""
    x = np.zeros((2, 0, 5, 6), dtype)
    w = np.zeros((4, 0, 3, 3), dtype)
    b = np.arange(4, dtype=dtype) + 1 if bias else None
    y = cc.conv2d(x, w, b, groups=groups)
    assert y.shape == (2, 4, 3, 4) and y.dtype == dtype
    expected = np.broadcast_to((b if bias else np.zeros(4, dtype)).reshape(1, 4, 1, 1), y.shape)
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_batch_and_zero_channels(dtype):
    y = cc.conv2d(np.zeros((0, 0, 4, 4), dtype), np.zeros((3, 0, 2, 2), dtype))
    assert y.shape == (0, 3, 3, 3) and y.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_unbatched_input(dtype):
    rng = np.random.default_rng(8)
    x = rand(rng, (3, 8, 7), dtype)
    w = rand(rng, (5, 3, 3, 3), dtype)
    b = rand(rng, (5,), dtype)
    y = cc.conv2d(x, w, b, stride=2, padding=1)
    assert y.shape == (5, 4, 4)
    assert_close(y, R.conv2d(x, w, b, stride=2, padding=1), dtype)
    assert_same_bits(y, cc.conv2d(x[None], w, b, stride=2, padding=1)[0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_array_likes(dtype):
    x = np.arange(2 * 4 * 4, dtype=np.float64).reshape(1, 2, 4, 4) / 7
    w = np.linspace(-1, 1, 3 * 2 * 2 * 2).reshape(3, 2, 2, 2)
    y = cc.conv2d(x.tolist(), w.tolist(), [0.5, -1.0, 2.0])
    assert y.dtype == np.float64
    assert_close(y, R.conv2d(x, w, [0.5, -1.0, 2.0]), np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_rows_equal_single_runs(dtype):
    rng = np.random.default_rng(9)
    x = rand(rng, (5, 16, 13, 12), dtype)
    for w_shape, groups in [((24, 16, 3, 3), 1), ((16, 16, 1, 1), 1), ((32, 1, 3, 3), 16)]:
        w = rand(rng, w_shape, dtype)
        b = rand(rng, (w_shape[0],), dtype)
        y = cc.conv2d(x, w, b, padding=1, groups=groups)
        for i in range(x.shape[0]):
            assert_same_bits(y[i:i + 1], cc.conv2d(x[i:i + 1], w, b, padding=1, groups=groups))


@pytest.mark.parametrize("dtype", DTYPES)
def test_repeated_runs_bit_equal(dtype):
    rng = np.random.default_rng(10)
    x = rand(rng, (2, 8, 17, 19), dtype)
    w = rand(rng, (12, 8, 3, 3), dtype)
    first = cc.conv2d(x, w, padding=1)
    for _ in range(20):
        assert_same_bits(first, cc.conv2d(x, w, padding=1))


def test_stride_larger_than_input():
    """A stride far larger than the input is legal: one output position."""
    rng = np.random.default_rng(11)
    x, w = rand(rng, (1, 2, 5, 5)), rand(rng, (3, 2, 2, 2))
    for stride in (7, 2**40, 2**62):
        y = cc.conv2d(x, w, stride=stride)
        assert y.shape == (1, 3, 1, 1)
        assert_close(y, R.conv2d(x, w, stride=1)[:, :, :1, :1], np.float64)


# ------------------------------------------------------------------ out=

@pytest.mark.parametrize("dtype", DTYPES)
def test_out_is_filled_and_returned(dtype):
    rng = np.random.default_rng(12)
    x, w, b = rand(rng, (2, 3, 6, 6), dtype), rand(rng, (4, 3, 3, 3), dtype), rand(rng, (4,), dtype)
    out = np.full((2, 4, 6, 6), np.nan, dtype)
    res = cc.conv2d(x, w, b, padding=1, out=out)
    assert res is out
    assert_close(out, R.conv2d(x, w, b, padding=1), dtype)


def test_out_unbatched_is_returned():
    """Unbatched input: out is 3-D, filled, and the very object returned."""
    rng = np.random.default_rng(12)
    x, w, b = rand(rng, (3, 6, 6)), rand(rng, (4, 3, 3, 3)), rand(rng, (4,))
    out3 = np.full((4, 6, 6), np.nan)
    res = cc.conv2d(x, w, b, padding=1, out=out3)
    assert_close(out3, R.conv2d(x, w, b, padding=1), np.float64)
    assert res is out3


@pytest.mark.parametrize("dtype", DTYPES)
def test_out_offset_by_one_element(dtype):
    """An out view offset by one element (C-contiguous, element-aligned) is accepted."""
    rng = np.random.default_rng(18)
    x, w = rand(rng, (2, 3, 7, 6), dtype), rand(rng, (5, 3, 2, 2), dtype)
    buf = np.full(2 * 5 * 6 * 5 + 1, np.nan, dtype)
    out = buf[1:].reshape(2, 5, 6, 5)
    res = cc.conv2d(x, w, out=out)
    assert res is out
    assert np.isnan(buf[0])
    assert_close(out, R.conv2d(x, w), dtype)


def test_out_errors():
    rng = np.random.default_rng(13)
    x, w = rand(rng, (2, 3, 6, 6), np.float32), rand(rng, (4, 3, 3, 3), np.float32)
    good = (2, 4, 4, 4)
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(x, w, out=np.empty((2, 4, 4, 5), np.float32))
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(x, w, out=np.empty((2, 4, 16), np.float32))
    with pytest.raises((TypeError, ValueError), match="out"):
        cc.conv2d(x, w, out=np.empty(good, np.float64))
    with pytest.raises((TypeError, ValueError), match="out"):
        cc.conv2d(x, w, out=np.empty(good, np.int32))
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(x, w, out=np.empty((2, 4, 4, 8), np.float32)[..., ::2])
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(x, w, out=np.empty((4, 4, 4, 2), np.float32).transpose(3, 0, 1, 2))
    ro = np.empty(good, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(x, w, out=ro)
    with pytest.raises(TypeError, match="out"):
        cc.conv2d(x, w, out=np.zeros(good, np.float32).tolist())


def test_out_overlapping_inputs_raises():
    rng = np.random.default_rng(14)
    # out is x itself (1x1 conv keeps the shape)
    x = rand(rng, (2, 4, 5, 5), np.float32)
    w = rand(rng, (4, 4, 1, 1), np.float32)
    x0 = x.copy()
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(x, w, out=x)
    np.testing.assert_array_equal(x, x0)
    # out partly overlaps x inside one buffer
    buf = rand(rng, (2 * 4 * 5 * 5 + 100,), np.float32)
    x = buf[:200].reshape(2, 4, 5, 5)
    out = buf[100:300].reshape(2, 4, 5, 5)
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(x, w, out=out)
    # out overlaps the weight
    buf = rand(rng, (64,), np.float32)
    w = buf[:16].reshape(4, 4, 1, 1)
    out = buf[:64].reshape(1, 4, 4, 4)
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(rand(rng, (1, 4, 4, 4), np.float32), w, out=out)
    # out overlaps the bias
    buf = np.zeros(64, np.float32)
    with pytest.raises(ValueError, match="out"):
        cc.conv2d(rand(rng, (1, 4, 4, 4), np.float32), rand(rng, (4, 4, 1, 1), np.float32),
                  buf[:4], out=buf.reshape(1, 4, 4, 4))


# ------------------------------------------------------------------ larger shapes, NaN

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "x_shape,w_shape,kw",
    [
        ((2, 64, 20, 21), (96, 64, 3, 3), dict(padding=1)),  # K = 576
        ((1, 160, 13, 40), (40, 160, 3, 3), dict(padding=1, stride=(1, 2))),  # K = 1440
        ((17, 24, 3, 3), (65, 24, 3, 3), {}),  # many images, one output position each
        ((1, 300, 9, 9), (129, 300, 1, 1), {}),  # 1x1 with a long K
        ((1, 48, 57, 55), (48, 1, 3, 3), dict(padding=1, groups=48)),  # big depthwise planes
    ],
)
def test_larger_shapes_cross_blocks(x_shape, w_shape, kw, dtype):
    """Shapes past the cache blocks of the GEMM (K, M and N beyond one block)."""
    rng = np.random.default_rng(15)
    check_conv(rng, dtype, x_shape, w_shape, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
def test_network_layer_shapes(dtype):
    """A few real CNN layer shapes (ResNet / MobileNet style), scaled to test size."""
    rng = np.random.default_rng(16)
    for x_shape, w_shape, kw in [
        ((2, 3, 64, 64), (32, 3, 7, 7), dict(stride=2, padding=3)),
        ((2, 64, 28, 28), (64, 64, 3, 3), dict(padding=1)),
        ((2, 128, 14, 14), (256, 128, 1, 1), dict(stride=2)),
        ((2, 96, 28, 28), (96, 1, 3, 3), dict(padding=1, groups=96)),
        ((2, 144, 14, 14), (144, 1, 5, 5), dict(padding=2, stride=2, groups=144)),
        ((2, 64, 16, 16), (64, 2, 3, 3), dict(padding=1, groups=32)),
    ]:
        check_conv(rng, dtype, x_shape, w_shape, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "w_shape,kw",
    [((5, 4, 3, 3), dict(padding=1)), ((6, 4, 1, 1), {}), ((8, 1, 3, 3), dict(groups=4, padding=1)),
     ((4, 2, 2, 3), dict(groups=2, dilation=2, padding=((1, 0), (2, 1)))),
     ((4, 2, 2, 3), dict(groups=2, stride=3))],
)
def test_nan_propagates_only_to_its_windows(w_shape, kw, dtype):
    rng = np.random.default_rng(17)
    x = rand(rng, (2, 4, 9, 10), dtype)
    x[1, 2, 4, 6] = np.nan
    x[0, 0, 0, 0] = np.inf
    w = rand(rng, w_shape, dtype)
    y = cc.conv2d(x, w, **kw)
    ref = R.conv2d(x, w, **kw)
    assert np.isnan(ref).any()
    assert_close(y, ref, dtype)
