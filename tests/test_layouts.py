"""Any strides, read-only and misaligned arrays: same results, inputs never modified."""

import re

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import (assert_close, assert_exact, assert_maxpool_indices, assert_unchanged,
                     rand, unchanged_copies)

DTYPES = [np.float32, np.float64]


def layouts(a, rng):
    """Views of `a`'s values in many memory layouts (each equal to `a` element-wise)."""
    out = {"contiguous": a}
    # Fortran order
    out["fortran"] = np.asfortranarray(a)
    # transposed storage: built in another axis order, transposed back
    perm = (2, 3, 0, 1) if a.ndim == 4 else tuple(reversed(range(a.ndim)))
    inv = tuple(np.argsort(perm))
    out["transposed"] = np.ascontiguousarray(a.transpose(perm)).transpose(inv)
    # every axis strided by 2 or 3
    steps = tuple([2, 3, 2, 3][: a.ndim])
    big = np.zeros(tuple(s * st for s, st in zip(a.shape, steps)), a.dtype)
    big[tuple(slice(None, None, st) for st in steps)] = a
    out["stepped"] = big[tuple(slice(None, None, st) for st in steps)]
    # negative strides on every axis
    flipped = np.ascontiguousarray(a[tuple(slice(None, None, -1) for _ in a.shape)])
    out["negative"] = flipped[tuple(slice(None, None, -1) for _ in a.shape)]
    # read-only
    ro = a.copy()
    ro.flags.writeable = False
    out["readonly"] = ro
    # offset by one element inside a bigger buffer
    buf = np.empty(a.size + 1, a.dtype)
    buf[1:] = a.ravel()
    out["offset1"] = buf[1:].reshape(a.shape)
    # not even aligned to the element size (numpy flags it aligned=False)
    raw = np.zeros(a.nbytes + 1, np.uint8)
    mis = raw[1:].view(a.dtype).reshape(a.shape)
    mis[...] = a
    assert not mis.flags.aligned
    out["unaligned"] = mis
    for name, v in out.items():
        assert np.array_equal(v, a, equal_nan=True), name
    return out


LAYOUTS = ["contiguous", "fortran", "transposed", "stepped", "negative", "readonly", "offset1",
           "unaligned"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("which", ["x", "weight", "bias", "all"])
@pytest.mark.parametrize("kind", ["generic", "pointwise", "depthwise"])
def test_conv_any_layout(kind, which, layout, dtype):
    rng = np.random.default_rng(30)
    if kind == "generic":
        xs, ws, groups, kw = (2, 5, 9, 8), (6, 5, 3, 2), 1, dict(stride=(1, 2), padding=1)
    elif kind == "pointwise":
        xs, ws, groups, kw = (3, 17, 6, 7), (9, 17, 1, 1), 1, {}
    else:
        xs, ws, groups, kw = (2, 8, 9, 7), (16, 1, 3, 3), 8, dict(padding=1)
    x, w, b = rand(rng, xs, dtype), rand(rng, ws, dtype), rand(rng, (ws[0],), dtype)
    expected = R.conv2d(x, w, b, groups=groups, **kw)
    args = {"x": x, "weight": w, "bias": b}
    for name in (["x", "weight", "bias"] if which == "all" else [which]):
        args[name] = layouts(args[name], rng)[layout]
    copies = unchanged_copies(args["x"], args["weight"], args["bias"])
    y = cc.conv2d(args["x"], args["weight"], args["bias"], groups=groups, **kw)
    assert y.flags.c_contiguous
    assert_close(y, expected, dtype)
    assert_unchanged([args["x"], args["weight"], args["bias"]], copies)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_broadcast_weight_and_bias(dtype):
    """Stride-0 (np.broadcast_to) weights and bias, and a stride-0 input."""
    rng = np.random.default_rng(31)
    x = rand(rng, (2, 4, 7, 6), dtype)
    w1 = rand(rng, (1, 4, 3, 3), dtype)
    w = np.broadcast_to(w1, (5, 4, 3, 3))
    b = np.broadcast_to(np.asarray(0.25, dtype), (5,))
    assert w.strides[0] == 0 and b.strides[0] == 0
    y = cc.conv2d(x, w, b, padding=1)
    assert_close(y, R.conv2d(x, np.array(w), np.array(b), padding=1), dtype)
    # weight constant over the kernel window (strides 0 on kH, kW)
    w2 = np.broadcast_to(rand(rng, (5, 4, 1, 1), dtype), (5, 4, 3, 3))
    assert_close(cc.conv2d(x, w2, padding=1), R.conv2d(x, np.array(w2), padding=1), dtype)
    # depthwise with a broadcast weight
    w3 = np.broadcast_to(rand(rng, (1, 1, 3, 3), dtype), (4, 1, 3, 3))
    assert_close(cc.conv2d(x, w3, groups=4), R.conv2d(x, np.array(w3), groups=4), dtype)
    # input broadcast over batch and over width
    xb = np.broadcast_to(rand(rng, (1, 4, 7, 1), dtype), (3, 4, 7, 6))
    assert_close(cc.conv2d(xb, w, b), R.conv2d(np.array(xb), np.array(w), np.array(b)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_pools_any_layout(layout, dtype):
    rng = np.random.default_rng(32)
    x = rand(rng, (2, 5, 9, 11), dtype)
    x[0, 1, 2, 3] = np.nan
    v = layouts(x, rng)[layout]
    copies = unchanged_copies(v)
    y, idx = cc.max_pool2d(v, 3, 2, 1, return_indices=True)
    ry, ri = R.max_pool2d(x, 3, 2, 1)
    assert_exact(y, ry, dtype)
    assert_maxpool_indices(idx, ri, 9 * 11)
    assert_close(cc.avg_pool2d(v, 3, 2, 1, ceil_mode=True),
                 R.avg_pool2d(x, 3, 2, 1, ceil_mode=True), dtype)
    assert_close(cc.global_avg_pool2d(v), R.global_avg_pool2d(x), dtype)
    assert_exact(cc.global_max_pool2d(v), R.global_max_pool2d(x), dtype)
    assert_unchanged([v], copies)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pools_broadcast_input(dtype):
    rng = np.random.default_rng(33)
    x = np.broadcast_to(rand(rng, (1, 3, 1, 8), dtype), (2, 3, 6, 8))
    xa = np.array(x)
    y, idx = cc.max_pool2d(x, 2, return_indices=True)
    ry, ri = R.max_pool2d(xa, 2)
    assert_exact(y, ry, dtype)
    np.testing.assert_array_equal(idx, ri)
    assert_close(cc.avg_pool2d(x, (3, 2), 1, 1), R.avg_pool2d(xa, (3, 2), 1, 1), dtype)
    assert_close(cc.global_avg_pool2d(x), R.global_avg_pool2d(xa), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_native_byte_order(dtype):
    """A byte-swapped array either gives the right values or a clear error, never garbage."""
    rng = np.random.default_rng(34)
    x = rand(rng, (1, 2, 5, 5), dtype)
    w = rand(rng, (3, 2, 3, 3), dtype)
    xs = x.astype(x.dtype.newbyteorder())
    ws = w.astype(w.dtype.newbyteorder())
    try:
        y = cc.conv2d(xs, ws)
    except (TypeError, ValueError) as exc:
        assert re.search(r"\bx\b|\binput\b|weight", str(exc)), exc
    else:
        assert_close(y, R.conv2d(x, w), dtype)
    try:
        y = cc.max_pool2d(xs, 2)
    except (TypeError, ValueError) as exc:
        assert re.search(r"\bx\b|\binput\b", str(exc)), exc
    else:
        assert_exact(y, R.max_pool2d(x, 2)[0], dtype)
