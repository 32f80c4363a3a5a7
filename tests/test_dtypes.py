"""The dtype table of docs/api.md."""

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import assert_close, assert_exact

# the first argument is `x` in docs/api.md (torch calls it `input`); accept both
X = r"\bx\b|\binput\b"

# input dtype -> dtype convcore computes in and returns
CONVERTED = [
    (np.float32, np.float32),
    (np.float64, np.float64),
    (np.float16, np.float32),
    (np.bool_, np.float64),
    (np.int8, np.float64),
    (np.int16, np.float64),
    (np.int32, np.float64),
    (np.int64, np.float64),
    (np.uint8, np.float64),
    (np.uint16, np.float64),
    (np.uint32, np.float64),
    (np.uint64, np.float64),
]

REJECTED = [np.complex64, np.complex128, object, "U3", "S3", "datetime64[s]", "timedelta64[s]"]


def data(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.bool_:
        return rng.random(shape) < 0.5
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 5, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def ops(x, w, b):
    """Every op on x; conv takes w and b."""
    return {
        "conv2d": (lambda: cc.conv2d(x, w, b, padding=1),
                   lambda xr, wr, br: R.conv2d(xr, wr, br, padding=1)),
        "max_pool2d": (lambda: cc.max_pool2d(x, 2, 1, 1), lambda xr, wr, br: R.max_pool2d(xr, 2, 1, 1)[0]),
        "avg_pool2d": (lambda: cc.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
                       lambda xr, wr, br: R.avg_pool2d(xr, 3, 2, 1, ceil_mode=True)),
        "global_avg_pool2d": (lambda: cc.global_avg_pool2d(x), lambda xr, wr, br: R.global_avg_pool2d(xr)),
        "global_max_pool2d": (lambda: cc.global_max_pool2d(x), lambda xr, wr, br: R.global_max_pool2d(xr)),
    }


@pytest.mark.parametrize("op", ["conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool2d",
                                "global_max_pool2d"])
@pytest.mark.parametrize("dtype,result", CONVERTED)
def test_dtype_table(dtype, result, op):
    x = data((2, 3, 6, 5), dtype, 1)
    w = data((4, 3, 3, 3), dtype, 2)
    b = data((4,), dtype, 3)
    x0 = x.copy()
    run, ref = ops(x, w, b)[op]
    y = run()
    assert y.dtype == result
    # the reference sees the converted values
    xr, wr, br = (a.astype(result) for a in (x, w, b))
    assert_close(y, ref(xr, wr, br), result)
    assert x.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x, x0)


def test_max_pool_integers_exact():
    x = np.array([[[[1, 7], [3, -2]]]], dtype=np.int64)
    y, idx = cc.max_pool2d(x, 2, return_indices=True)
    assert y.dtype == np.float64 and y[0, 0, 0, 0] == 7.0 and idx[0, 0, 0, 0] == 1
    x = np.array([[[[2**53 + 1]]]], dtype=np.int64)  # conversion to float64 rounds
    assert_exact(cc.max_pool2d(x, 1), x.astype(np.float64))


@pytest.mark.parametrize("dtype", REJECTED)
def test_rejected_dtypes(dtype):
    if dtype in ("U3", "S3"):
        x = np.full((1, 1, 3, 3), "1", dtype=dtype)
    elif str(dtype).startswith(("datetime", "timedelta")):
        x = np.zeros((1, 1, 3, 3), dtype=dtype)
    else:
        x = np.ones((1, 1, 3, 3), dtype=dtype)
    w = np.ones((1, 1, 2, 2), np.float64)
    with pytest.raises(TypeError, match=X):
        cc.conv2d(x, w)
    with pytest.raises(TypeError, match="weight"):
        cc.conv2d(np.ones((1, 1, 3, 3)), x[:, :, :2, :2])
    with pytest.raises(TypeError, match=X):
        cc.max_pool2d(x, 2)
    with pytest.raises(TypeError, match=X):
        cc.avg_pool2d(x, 2)
    with pytest.raises(TypeError, match=X):
        cc.global_avg_pool2d(x)
    with pytest.raises(TypeError, match=X):
        cc.global_max_pool2d(x)


def test_rejected_bias_dtype():
    x = np.ones((1, 1, 3, 3))
    w = np.ones((2, 1, 2, 2))
    with pytest.raises(TypeError, match="bias"):
        cc.conv2d(x, w, np.ones(2, np.complex128))
    with pytest.raises(TypeError, match="bias"):
        cc.conv2d(x, w, np.array(["a", "b"]))


@pytest.mark.parametrize(
    "xd,wd,bd,bad",
    [
        (np.float32, np.float64, None, "weight"),
        (np.float64, np.float32, None, "weight"),
        (np.float32, np.float32, np.float64, "bias"),
        (np.float64, np.float64, np.float32, "bias"),
        (np.float16, np.float64, None, "weight"),  # float16 -> float32, weight float64
        (np.int32, np.float32, None, "weight"),  # int -> float64, weight float32
        (np.float32, np.int64, None, "weight"),
    ],
)
def test_mixed_dtypes_raise(xd, wd, bd, bad):
    x = np.ones((1, 2, 4, 4), xd)
    w = np.ones((3, 2, 2, 2), wd)
    b = None if bd is None else np.ones(3, bd)
    with pytest.raises(TypeError, match=bad):
        cc.conv2d(x, w, b)


@pytest.mark.parametrize(
    "xd,wd,bd,result",
    [
        (np.float16, np.float32, np.float16, np.float32),  # all float32 after conversion
        (np.int32, np.float64, np.int8, np.float64),  # all float64 after conversion
        (np.bool_, np.uint8, None, np.float64),
    ],
)
def test_mixed_dtypes_sharing_a_converted_dtype(xd, wd, bd, result):
    x = data((1, 2, 4, 4), xd, 4)
    w = data((3, 2, 2, 2), wd, 5)
    b = None if bd is None else data((3,), bd, 6)
    y = cc.conv2d(x, w, b)
    assert y.dtype == result
    xr, wr = x.astype(result), w.astype(result)
    br = None if b is None else b.astype(result)
    assert_close(y, R.conv2d(xr, wr, br), result)


def test_python_lists_and_scalars():
    x = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]  # Python ints -> int64 -> float64
    y = cc.max_pool2d(x, 2, 1)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y[0, 0], [[5, 6], [8, 9]])
    y = cc.conv2d(x, [[[[1.0]]]], [0.5])
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, np.asarray(x, np.float64) + 0.5)
    with pytest.raises(TypeError, match=X):
        cc.conv2d([[[[1j]]]], [[[[1.0]]]])


def test_mixed_dtype_out():
    x = np.ones((1, 1, 3, 3), np.float32)
    w = np.ones((1, 1, 1, 1), np.float32)
    with pytest.raises((TypeError, ValueError), match="out"):
        cc.conv2d(x, w, out=np.empty((1, 1, 3, 3), np.float64))
    # float16 input computes in float32, so a float32 out is right
    y = cc.conv2d(x.astype(np.float16), w.astype(np.float16), out=np.empty((1, 1, 3, 3), np.float32))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.ones((1, 1, 3, 3)))
