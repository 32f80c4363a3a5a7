"""Support for the argument fuzzer (test_fuzz*.py): an oracle that decides what each
generated call must do, the value pools the strategies draw from, and a watchdog.

The oracle is written from the contract (docs/api.md), not from functional.py. For every
call it returns an Expect:
  valid    the call must return, and the result must equal reference_sparse's;
  invalid  the call must raise ValueError, TypeError or MemoryError;
  unclear  the contract allows either (a limit of this implementation, such as integers
           beyond 2**62 or a workspace cap, or an argument form docs/api.md does not
           mention): a returned result must still be right.
It also estimates the work and the bytes a call would need, so that legal but huge calls
are not made.
"""

import faulthandler
import math
import numbers
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable, Optional

import numpy as np
from hypothesis import HealthCheck, Phase, settings
from numpy.lib.stride_tricks import as_strided

import reference_sparse as S

# Examples per fuzz test: a quick deterministic pass in the default profile;
# HYPOTHESIS_PROFILE=slow, run by tools/sanitize.sh, makes 10,000 for each of the 8
# functions and for the nn constructors (set_num_threads runs out of distinct values
# first): about 90,000 examples. CONVCORE_FUZZ_EXAMPLES overrides both.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
EXAMPLES = int(os.environ.get("CONVCORE_FUZZ_EXAMPLES", "10000" if PROFILE == "slow" else "40"))

fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # no explain phase: it traces every line, and the references are Python loops
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)

INT64_MAX = 2**63 - 1
# Integers beyond this may be refused by an implementation (the core's products of a few
# such values must stay representable); the contract does not fix the limit.
IMPL_LIMIT = 2**62
# Calls are only made when they are cheap (the fuzzer tests argument handling, not speed).
WORK_LIMIT = 200_000
BYTES_LIMIT = 1 << 24
# ... and when the reference (Python loops over output positions and taps) is quick
REF_LIMIT = 3_000
THREADS_LIMIT = 4096  # set_num_threads' documented-by-implementation cap


class Invalid(Exception):
    """The oracle's verdict: the call breaks the contract and must raise."""


def invalid(why):
    raise Invalid(why)


class Verdict:
    def __init__(self):
        self.unclear = []
        self.convert_bytes = 0  # what converting array arguments would allocate

    def maybe(self, why):
        self.unclear.append(why)


@dataclass
class Expect:
    kind: str                      # "valid", "invalid" or "unclear"
    why: str = ""
    work: int = 0                  # elementary operations the call would do
    nbytes: int = 0                # bytes of the results
    check: Optional[Callable[[Any], None]] = None
    convert_bytes: int = 0         # copies the call makes of array arguments
    ref_cost: int = 0              # Python-level steps the reference needs


def expect(oracle, *args, **kwargs):
    """Runs an oracle function(ver, *args, **kwargs) -> Expect; Invalid -> invalid."""
    ver = Verdict()
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = oracle(ver, *args, **kwargs)
    except Invalid as exc:
        e = Expect("invalid", str(exc))
    else:
        if ver.unclear:
            e.kind = "unclear"
            e.why = "; ".join(ver.unclear)
    e.convert_bytes = ver.convert_bytes
    return e


# ------------------------------------------------------------------ argument forms

def o_int(v, name, ver):
    if isinstance(v, (bool, np.bool_)):
        invalid(f"{name}: a bool is not an int")
    if not isinstance(v, numbers.Integral):
        if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "iu":
            ver.maybe(f"{name}: a 0-d integer array")
            v = v.item()
        else:
            invalid(f"{name}: not an int ({type(v).__name__})")
    v = int(v)
    if not -(2**63) <= v <= INT64_MAX:
        invalid(f"{name}: {v} is beyond int64")
    if abs(v) > IMPL_LIMIT:
        ver.maybe(f"{name}: {v} is beyond 2**62")
    return v


def o_pair(v, name, ver, minimum):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            invalid(f"{name}: a sequence of length {len(v)}")
        pair = (o_int(v[0], name, ver), o_int(v[1], name, ver))
    elif isinstance(v, np.ndarray) and v.ndim == 1:
        ver.maybe(f"{name}: an ndarray as a pair")
        if v.shape[0] != 2:
            invalid(f"{name}: length {v.shape[0]}")
        pair = (o_int(v[0], name, ver), o_int(v[1], name, ver))
    else:
        a = o_int(v, name, ver)
        pair = (a, a)
    if min(pair) < minimum:
        invalid(f"{name}: {pair} < {minimum}")
    return pair


def o_pads(v, ver, conv=None):
    """-> (top, bottom, left, right). conv: (stride, kernel, dilation) for conv2d, which also
    takes "same" and "valid"; None for pooling."""
    if isinstance(v, str):
        if conv is None:
            invalid("padding: a string for pooling")
        if v == "valid":
            return (0, 0, 0, 0)
        if v != "same":
            invalid(f"padding: {v!r}")
        stride, kernel, dilation = conv
        if stride != (1, 1):
            invalid("padding='same' with a stride")
        th, tw = dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        if max(pads) > INT64_MAX:
            invalid("padding='same' beyond int64")
        if max(pads) > IMPL_LIMIT:
            ver.maybe("padding='same' beyond 2**62")
        return pads
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            invalid(f"padding: a sequence of length {len(v)}")
        sides, nested = [], 0
        for axis in v:
            if isinstance(axis, (tuple, list)):
                if len(axis) != 2:
                    invalid("padding: an axis that is not (before, after)")
                sides += [o_int(axis[0], "padding", ver), o_int(axis[1], "padding", ver)]
                nested += 1
            else:
                a = o_int(axis, "padding", ver)
                sides += [a, a]
        if nested == 1:
            ver.maybe("padding: one axis as a pair, the other as an int")
        pads = tuple(sides)
    elif isinstance(v, np.ndarray) and v.ndim >= 1:
        ver.maybe("padding: an ndarray")
        if v.shape != (2,):
            invalid("padding: an ndarray not of shape (2,)")
        a, b = o_int(v[0], "padding", ver), o_int(v[1], "padding", ver)
        pads = (a, a, b, b)
    else:
        a = o_int(v, "padding", ver)
        pads = (a, a, a, a)
    if min(pads) < 0:
        invalid(f"padding: {pads} has a negative side")
    return pads


def o_bool(v, name, ver):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, numbers.Integral) and not isinstance(v, bool) and int(v) in (0, 1):
        ver.maybe(f"{name}: the int {int(v)} as a bool")
        return bool(v)
    invalid(f"{name}: not a bool ({type(v).__name__})")


def o_array(v, name, ver):
    """The array as the call computes with it (docs/api.md's dtype table)."""
    if isinstance(v, np.ndarray):
        a = v
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                a = np.asarray(v)
        except Exception:  # noqa: BLE001 - numpy refuses it: not array-like
            invalid(f"{name}: not array-like")
    dt = a.dtype
    if not dt.isnative and dt.kind in "biuf":
        ver.maybe(f"{name}: non-native byte order")
    if dt.kind == "f" and dt.itemsize in (4, 8):
        to = np.dtype(np.float32 if dt.itemsize == 4 else np.float64)
    elif dt.kind == "f" and dt.itemsize == 2:
        to = np.dtype(np.float32)
    elif dt.kind in "biu":
        to = np.dtype(np.float64)
    else:
        invalid(f"{name}: dtype {dt}")
    if a.dtype != to or not a.flags.aligned or any(st % dt.itemsize for st in a.strides):
        # the call copies it (this one too)
        ver.convert_bytes += a.size * to.itemsize
        if a.size * to.itemsize > BYTES_LIMIT:
            return np.broadcast_to(np.zeros((), to), a.shape)  # never called: too large
        a = a.astype(to)
    return a


def o_same_dtype(arrays):
    dtypes = {a.dtype for a in arrays if a is not None}
    if len(dtypes) > 1:
        invalid(f"mixed dtypes {sorted(map(str, dtypes))}")
    return dtypes.pop()


def o_input(x, ver, name="x"):
    a = o_array(x, name, ver)
    if a.ndim == 4:
        return a, False
    if a.ndim == 3:
        return a[np.newaxis], True
    invalid(f"{name}: {a.ndim}-D")


def o_input_shape(v, ver):
    if isinstance(v, np.ndarray):
        ver.maybe("input_shape: an ndarray")
        v = list(v)
    elif not isinstance(v, (tuple, list)):
        invalid("input_shape: not a sequence")
    if len(v) not in (3, 4):
        invalid(f"input_shape: length {len(v)}")
    shape = tuple(o_int(s, "input_shape", ver) for s in v)
    if min(shape) < 0:
        invalid("input_shape: negative")
    return ((1,) + shape, True) if len(shape) == 3 else (shape, False)


def fits_int64(ver, what, *values):
    if max(values) > INT64_MAX:
        ver.maybe(f"{what}: an intermediate size beyond int64")


def numel(shape):
    return math.prod(int(s) for s in shape)


def numpy_can_hold(ver, shape, itemsize):
    """NumPy refuses a shape whose non-zero dimensions' product times the item size
    exceeds int64, even when another dimension is 0 (an empty result): the call may then
    raise ValueError or MemoryError."""
    if numel(s for s in shape if s) * itemsize > INT64_MAX:
        ver.maybe(f"NumPy cannot make an array of shape {tuple(shape)}")


# ------------------------------------------------------------------ result checks

def _tol(dtype):
    return 1e-4 if np.dtype(dtype) == np.float32 else 1e-10


def assert_close(actual, expected, dtype):
    """NaN and +-inf at the same places (same signs); elsewhere max abs error <=
    tol * max(1, max |expected|)."""
    assert isinstance(actual, np.ndarray), type(actual)
    assert actual.dtype == dtype, (actual.dtype, dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    a = actual.astype(np.float64)
    assert np.array_equal(np.isnan(a), np.isnan(expected)), "NaN positions differ"
    inf = np.isinf(expected)
    assert np.array_equal(np.isinf(a), inf), "inf positions differ"
    assert np.array_equal(a[inf], expected[inf]), "inf signs differ"
    fin = np.isfinite(expected)
    if fin.any():
        scale = max(1.0, float(np.abs(expected[fin]).max()))
        err = float(np.abs(a[fin] - expected[fin]).max())
        assert err <= _tol(dtype) * scale, f"max abs error {err:.3g} (scale {scale:.3g})"


def assert_exact(actual, expected, dtype):
    assert isinstance(actual, np.ndarray), type(actual)
    assert actual.dtype == dtype, (actual.dtype, dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    exp = expected.astype(dtype)
    assert np.array_equal(actual, exp, equal_nan=True), "values differ"


# ------------------------------------------------------------------ oracles per function

def oracle_conv2d(ver, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *,
                  out=None):
    x4, unbatched = o_input(x, ver)
    w = o_array(weight, "weight", ver)
    if w.ndim != 4:
        invalid(f"weight: {w.ndim}-D")
    b = None
    if bias is not None:
        b = o_array(bias, "bias", ver)
        if b.ndim != 1 or b.shape[0] != w.shape[0]:
            invalid(f"bias: shape {b.shape}")
    dtype = o_same_dtype([x4, w, b])
    s = o_pair(stride, "stride", ver, 1)
    d = o_pair(dilation, "dilation", ver, 1)
    g = o_int(groups, "groups", ver)
    if g < 1:
        invalid("groups < 1")
    n, c, h, wd = x4.shape
    k, cg, kh, kw = w.shape
    if c % g or k % g or cg * g != c:
        invalid("channels and groups do not match")
    if kh < 1 or kw < 1:
        invalid("empty kernel")
    pads = o_pads(padding, ver, conv=(s, (kh, kw), d))
    fits_int64(ver, "conv", h + pads[0] + pads[1], wd + pads[2] + pads[3],
               d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
    oh = S.conv_out(h, kh, s[0], pads[0], pads[1], d[0])
    ow = S.conv_out(wd, kw, s[1], pads[2], pads[3], d[1])
    if oh < 1 or ow < 1:
        invalid("empty output")
    shape = (n, k, oh, ow)
    nbytes = numel(shape) * dtype.itemsize
    numpy_can_hold(ver, shape, dtype.itemsize)
    if nbytes > INT64_MAX:
        invalid("output bytes beyond int64")
    kdim = cg * kh * kw
    if (k + g * 64) * kdim * 8 > 2**46 or (oh * ow + 64) * 8 > INT64_MAX:
        ver.maybe("beyond the core's workspace cap")
    work = numel(shape) * max(kdim, 1) + k * kdim
    ref_cost = oh * ow * g if n * k else 0
    want_shape = shape[1:] if unbatched else shape
    if out is not None:
        if not isinstance(out, np.ndarray):
            invalid("out: not an ndarray")
        if out.shape != want_shape or out.dtype != dtype:
            invalid("out: wrong shape or dtype")
        if not (out.flags.c_contiguous and out.flags.writeable and out.flags.aligned
                and out.dtype.isnative):
            invalid("out: not a writeable, aligned, C-contiguous native array")
        for a in (x, weight, bias):
            if isinstance(a, np.ndarray) and np.may_share_memory(out, a):
                ver.maybe("out overlaps an input")

    def check(y):
        assert isinstance(y, np.ndarray) and y.shape == want_shape, (type(y), want_shape)
        if out is not None:
            assert y is out, "conv2d(out=...) must return out"
        if numel(shape) == 0:
            return
        ref = S.conv2d(x4, w, b, s, pads, d, g)
        assert_close(y.reshape(shape), ref, dtype)

    return Expect("valid", work=work, nbytes=nbytes, check=check, ref_cost=ref_cost)


def oracle_pool(ver, is_max, x, kernel_size, stride=None, padding=0, dilation=1,
                ceil_mode=False, return_indices=False, count_include_pad=True,
                divisor_override=None, input_shape=None):
    """max_pool2d / avg_pool2d (input_shape: the backward's, instead of x) -> the parsed
    parameters and the output shape, as a dict."""
    if input_shape is None:
        x4, unbatched = o_input(x, ver)
        xshape = x4.shape
    else:
        xshape, unbatched = o_input_shape(input_shape, ver)
        x4 = None
    k = o_pair(kernel_size, "kernel_size", ver, 1)
    if k[0] * k[1] > INT64_MAX:
        invalid("kernel_size: the window's element count overflows int64")
    s = k if stride is None else o_pair(stride, "stride", ver, 1)
    pads = o_pads(padding, ver)
    if pads[0] > k[0] // 2 or pads[1] > k[0] // 2 or pads[2] > k[1] // 2 or \
            pads[3] > k[1] // 2:
        invalid("padding greater than half the kernel")
    d = o_pair(dilation, "dilation", ver, 1)
    ceil = o_bool(ceil_mode, "ceil_mode", ver)
    p = dict(x4=x4, xshape=tuple(int(v) for v in xshape), unbatched=unbatched, kernel=k,
             stride=s, pads=pads, dilation=d, ceil=ceil)
    if is_max:
        p["return_indices"] = o_bool(return_indices, "return_indices", ver)
    else:
        p["cip"] = o_bool(count_include_pad, "count_include_pad", ver)
        div = 0
        if divisor_override is not None:
            div = o_int(divisor_override, "divisor_override", ver)
            if div == 0:
                invalid("divisor_override == 0")
        p["divisor"] = div
    n, c, h, w = p["xshape"]
    if is_max and input_shape is None and (h == 0 or w == 0):
        invalid("max pooling of an empty plane: no element to take the maximum of")
    fits_int64(ver, "pool", h + pads[0] + pads[1], w + pads[2] + pads[3],
               d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1, h + pads[0] + s[0],
               w + pads[2] + s[1], w + pads[2] + pads[3] + s[1])
    oh = S.pool_out(h, k[0], s[0], pads[0], pads[1], d[0], ceil)
    ow = S.pool_out(w, k[1], s[1], pads[2], pads[3], d[1], ceil)
    if oh < 1 or ow < 1:
        invalid("empty output")
    p["shape"] = (n, c, oh, ow)
    # taps inside the input per window, at most
    taps = min(k[0], h) * min(k[1], w)
    p["work"] = numel(p["shape"]) * max(taps, 1) + oh * ow * 4
    p["ref_cost"] = oh * ow * (max(taps, 1) if is_max else 1) if n * c else 0
    return p


def oracle_max_pool2d(ver, x, kernel_size, stride=None, padding=0, dilation=1,
                      ceil_mode=False, return_indices=False):
    p = oracle_pool(ver, True, x, kernel_size, stride, padding, dilation, ceil_mode,
                    return_indices)
    x4, shape = p["x4"], p["shape"]
    dtype = x4.dtype
    nbytes = numel(shape) * (dtype.itemsize + (8 if p["return_indices"] else 0))
    numpy_can_hold(ver, shape, dtype.itemsize)
    if nbytes > INT64_MAX:
        invalid("output bytes beyond int64")
    want = shape[1:] if p["unbatched"] else shape
    plane = p["xshape"][2] * p["xshape"][3]

    def check(res):
        if p["return_indices"]:
            assert isinstance(res, tuple) and len(res) == 2, type(res)
            y, idx = res
            assert isinstance(idx, np.ndarray) and idx.dtype == np.int64 and idx.shape == want
        else:
            y, idx = res, None
        assert isinstance(y, np.ndarray) and y.shape == want, (type(y), want)
        if numel(shape) == 0:
            return
        ry, ri = S.max_pool2d(x4, p["kernel"], p["stride"], p["pads"], p["dilation"],
                              p["ceil"])
        assert_exact(y.reshape(shape), ry, dtype)
        if idx is None:
            return
        idx = idx.reshape(shape)
        assert ((idx >= 0) & (idx < plane)).all(), "an index outside its plane"
        picked = np.take_along_axis(
            np.asarray(x4).reshape(shape[0], shape[1], -1),
            idx.reshape(shape[0], shape[1], -1), axis=2).reshape(shape)
        nan = np.isnan(ry)
        assert np.isnan(picked[nan]).all(), "a NaN window's index is not a NaN"
        known = (ri >= 0) & ~nan
        assert np.array_equal(idx[known], ri[known]), "indices differ"

    return Expect("valid", work=p["work"], nbytes=nbytes, check=check, ref_cost=p["ref_cost"])


def oracle_avg_pool2d(ver, x, kernel_size, stride=None, padding=0, ceil_mode=False,
                      count_include_pad=True, divisor_override=None):
    p = oracle_pool(ver, False, x, kernel_size, stride, padding, 1, ceil_mode,
                    count_include_pad=count_include_pad, divisor_override=divisor_override)
    x4, shape = p["x4"], p["shape"]
    dtype = x4.dtype
    nbytes = numel(shape) * dtype.itemsize
    numpy_can_hold(ver, shape, dtype.itemsize)
    if nbytes > INT64_MAX:
        invalid("output bytes beyond int64")
    want = shape[1:] if p["unbatched"] else shape

    def check(y):
        assert isinstance(y, np.ndarray) and y.shape == want, (type(y), want)
        if numel(shape) == 0:
            return
        ref = S.avg_pool2d(x4, p["kernel"], p["stride"], p["pads"], p["ceil"], p["cip"],
                           p["divisor"])
        assert_close(y.reshape(shape), ref, dtype)

    return Expect("valid", work=p["work"], nbytes=nbytes, check=check, ref_cost=p["ref_cost"])


def oracle_global(ver, is_max, x):
    x4, unbatched = o_input(x, ver)
    n, c, h, w = x4.shape
    if h < 1 or w < 1:
        invalid("global pooling of an empty plane")
    shape = (n, c, 1, 1)
    want = shape[1:] if unbatched else shape

    def check(y):
        assert isinstance(y, np.ndarray) and y.shape == want, (type(y), want)
        if n * c == 0:
            return
        if is_max:
            assert_exact(y.reshape(shape), S.global_max_pool2d(x4), x4.dtype)
        else:
            assert_close(y.reshape(shape), S.global_avg_pool2d(x4), x4.dtype)

    return Expect("valid", work=numel(x4.shape), nbytes=n * c * 8, check=check)


def oracle_conv2d_backward(ver, grad_output, x, weight, stride=1, padding=0, dilation=1,
                           groups=1, *, input_grad=True, weight_grad=True, bias_grad=True):
    fwd = oracle_conv2d(ver, x, weight, None, stride, padding, dilation, groups)
    x4, unbatched = o_input(x, ver)
    w = o_array(weight, "weight", ver)
    gy = o_array(grad_output, "grad_output", ver)
    if gy.ndim != (3 if unbatched else 4):
        invalid(f"grad_output: {gy.ndim}-D")
    g4 = gy[np.newaxis] if unbatched else gy
    dtype = o_same_dtype([g4, x4, w])
    flags = (o_bool(input_grad, "input_grad", ver), o_bool(weight_grad, "weight_grad", ver),
             o_bool(bias_grad, "bias_grad", ver))
    s = o_pair(stride, "stride", ver, 1)
    d = o_pair(dilation, "dilation", ver, 1)
    k, cg, kh, kw = w.shape
    pads = o_pads(padding, ver, conv=(s, (kh, kw), d))
    n, c, h, wd = x4.shape
    oh = S.conv_out(h, kh, s[0], pads[0], pads[1], d[0])
    ow = S.conv_out(wd, kw, s[1], pads[2], pads[3], d[1])
    if g4.shape != (n, k, oh, ow):
        invalid(f"grad_output: shape {g4.shape}, the forward output is {(n, k, oh, ow)}")
    g = int(groups)
    nbytes = (numel(x4.shape) + numel(w.shape) + k) * dtype.itemsize
    work = 3 * fwd.work + numel(x4.shape)
    taps = min(kh, h) * min(kw, wd)
    ref_cost = oh * ow * g * (2 + taps) if n * k else 0

    def check(res):
        assert isinstance(res, tuple) and len(res) == 3, type(res)
        dx, dw, db = res
        for got, flag in zip(res, flags):
            assert (got is None) == (not flag), "a gradient asked for is missing or vice versa"
        rdx, rdw, rdb = S.conv2d_backward(g4, x4, w, s, pads, d, g)
        if dx is not None:
            assert dx.shape == (x4.shape[1:] if unbatched else x4.shape)
            assert_close(dx.reshape(x4.shape), rdx, dtype)
        if dw is not None:
            assert_close(dw, rdw, dtype)
        if db is not None:
            assert_close(db, rdb, dtype)

    return Expect("valid", work=work, nbytes=nbytes, check=check, ref_cost=ref_cost)


def oracle_max_pool2d_backward(ver, grad_output, indices, input_shape):
    shape, unbatched = o_input_shape(input_shape, ver)
    gy = o_array(grad_output, "grad_output", ver)
    if gy.ndim != (3 if unbatched else 4):
        invalid(f"grad_output: {gy.ndim}-D")
    g4 = gy[np.newaxis] if unbatched else gy
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idx = np.asarray(indices)
    except Exception:  # noqa: BLE001
        invalid("indices: not array-like")
    if idx.dtype.kind not in "iu":
        invalid(f"indices: dtype {idx.dtype}")
    if unbatched:
        if idx.ndim == 4:
            ver.maybe("indices: 4-D for an unbatched input")
        else:
            idx = idx[np.newaxis]
    if idx.shape != g4.shape:
        invalid(f"indices: shape {idx.shape} is not grad_output's {g4.shape}")
    n, c, h, w = shape
    if g4.shape[:2] != (n, c):
        invalid("input_shape: batch and channels differ from grad_output's")
    nbytes = numel(shape) * g4.dtype.itemsize
    numpy_can_hold(ver, shape, g4.dtype.itemsize)
    if nbytes > INT64_MAX:
        invalid("input bytes beyond int64")
    plane = h * w
    if idx.size and (bool((idx < 0).any()) or bool((idx >= plane).any())):
        invalid("indices: outside [0, H * W)")
    dtype = g4.dtype

    def check(dx):
        assert isinstance(dx, np.ndarray)
        assert dx.shape == (shape[1:] if unbatched else shape), dx.shape
        ref = S.max_pool2d_backward(g4, idx.astype(np.int64), shape)
        assert_close(dx.reshape(shape), ref, dtype)

    return Expect("valid", work=numel(shape) + numel(g4.shape), nbytes=nbytes, check=check)


def oracle_avg_pool2d_backward(ver, grad_output, input_shape, kernel_size, stride=None,
                               padding=0, ceil_mode=False, count_include_pad=True,
                               divisor_override=None):
    p = oracle_pool(ver, False, None, kernel_size, stride, padding, 1, ceil_mode,
                    count_include_pad=count_include_pad, divisor_override=divisor_override,
                    input_shape=input_shape)
    gy = o_array(grad_output, "grad_output", ver)
    unbatched = p["unbatched"]
    if gy.ndim != (3 if unbatched else 4):
        invalid(f"grad_output: {gy.ndim}-D")
    g4 = gy[np.newaxis] if unbatched else gy
    if g4.shape != p["shape"]:
        invalid(f"grad_output: shape {g4.shape}, the forward output is {p['shape']}")
    shape = p["xshape"]
    nbytes = numel(shape) * g4.dtype.itemsize
    numpy_can_hold(ver, shape, g4.dtype.itemsize)
    if nbytes > INT64_MAX:
        invalid("input bytes beyond int64")
    dtype = g4.dtype

    def check(dx):
        assert isinstance(dx, np.ndarray)
        assert dx.shape == (shape[1:] if unbatched else shape), dx.shape
        ref = S.avg_pool2d_backward(g4, shape, p["kernel"], p["stride"], p["pads"], p["ceil"],
                                    p["cip"], p["divisor"])
        assert_close(dx.reshape(shape), ref, dtype)

    return Expect("valid", work=p["work"] + numel(shape), nbytes=nbytes, check=check,
                  ref_cost=p["ref_cost"])


def oracle_set_num_threads(ver, n):
    if n is None:
        return Expect("valid")
    v = o_int(n, "n", ver)
    if v < 1:
        invalid("n < 1")
    if v > THREADS_LIMIT:
        ver.maybe("n beyond the implementation's cap")
    return Expect("valid")


# ------------------------------------------------------------------ value pools

HUGE_INTS = [2**31 - 1, 2**31, 2**32 + 1, 2**40, 2**53 + 1, 2**61, 2**62, 2**62 + 1,
             2**63 - 1, 2**63, 2**64, 10**30]
NEGATIVE_INTS = [0, -1, -2, -(2**31), -(2**62), -(2**63), -(2**63) - 1, -(10**30)]
NUMPY_INTS = [np.int8(2), np.uint8(3), np.int16(-1), np.int32(1), np.int64(2**62),
              np.uint64(2**63), np.uint64(2**64 - 1), np.intp(0), np.int64(-(2**63))]
NOT_INTS = [True, False, np.True_, 1.0, 2.5, -0.0, float("nan"), float("inf"),
            np.float32(2.0), 1j, Fraction(2, 1), Decimal(2), "2", "", "same", "valid",
            "SAME", b"1", None, object(), np.array(2), np.array([1, 2]), np.array(2.0),
            np.array([[1, 1], [1, 1]]), [], (), {}, range(2), [1, [2, 3]]]
# sizes for zero-stride views: numpy builds any shape whose byte count fits in intp
BIG_DIMS = [0, 1, 2, 3, 7, 2**16 + 1, 2**20, 2**31 - 1, 2**31, 2**33, 2**40, 2**50, 2**61]


def huge_view(dtype, shape, value=1.0):
    """A read-only array of `shape` (any size numpy accepts) backed by one element, or
    None when numpy refuses the shape."""
    base = np.full(1, value, dtype=dtype)
    try:
        return as_strided(base, shape=shape, strides=(0,) * len(shape), writeable=False)
    except ValueError:
        return None


def fill(rng, shape, dtype, kind):
    """Data of one kind: normal, ints, special (NaN/inf among normal), denormal, zeros,
    extreme (huge finite, for max pooling only)."""
    dtype = np.dtype(dtype)
    if kind == "ints" or dtype.kind in "biu":
        if dtype.kind == "b":
            return rng.integers(0, 2, size=shape).astype(bool)
        lo = 0 if dtype.kind == "u" else -3
        return rng.integers(lo, 4, size=shape).astype(dtype)
    if kind == "zeros":
        return np.zeros(shape, dtype)
    a = rng.standard_normal(shape)
    if kind == "special":
        r = rng.random(shape)
        a[r < 0.1] = np.nan
        a[(r >= 0.1) & (r < 0.15)] = np.inf
        a[(r >= 0.15) & (r < 0.2)] = -np.inf
    elif kind == "denormal":
        tiny = np.finfo(dtype).smallest_subnormal if dtype.kind == "f" else 0
        a = a * 4 * float(tiny)
    elif kind == "extreme":
        a = np.clip(a, -4, 4) * (float(np.finfo(dtype).max) / 8)
    return a.astype(dtype)


def relayout(a, how):
    """A view holding a's values in another memory layout."""
    if how in ("unaligned", "byteswapped") and a.dtype.kind not in "biufc":
        return a  # object, string, datetime... arrays: no raw-byte view or byte order
    if how == "fortran":
        return np.asfortranarray(a)
    if how == "negative":
        sl = tuple(slice(None, None, -1) for _ in a.shape)
        return np.ascontiguousarray(a[sl])[sl]
    if how == "stepped":
        big = np.zeros(tuple(2 * s for s in a.shape), a.dtype)
        sl = tuple(slice(None, None, 2) for _ in a.shape)
        big[sl] = a
        return big[sl]
    if how == "offset1":
        buf = np.zeros(a.size + 1, a.dtype)
        buf[1:] = a.ravel()
        return buf[1:].reshape(a.shape)
    if how == "unaligned":
        raw = np.zeros(a.nbytes + 1, np.uint8)
        v = raw[1:].view(a.dtype).reshape(a.shape)
        v[...] = a
        return v
    if how == "readonly":
        r = a.copy()
        r.flags.writeable = False
        return r
    if how == "byteswapped":
        return a.astype(a.dtype.newbyteorder())
    if how == "transposed" and a.ndim >= 2:
        return np.ascontiguousarray(a.swapaxes(-1, -2)).swapaxes(-1, -2)
    return a


LAYOUTS = ["c", "c", "c", "fortran", "negative", "stepped", "offset1", "unaligned", "readonly",
           "byteswapped", "transposed"]


def weird_array_like(rng, shape, dtype):
    """Something given where an array is expected: valid array-likes (lists, other
    dtypes) and invalid ones."""
    kinds = [
        lambda: None, lambda: 1.5, lambda: "x", lambda: [], lambda: [[1.0, 2.0], [3.0]],
        lambda: {}, lambda: object(),
        lambda: np.zeros(shape, complex), lambda: np.zeros(shape, object),
        lambda: np.zeros(shape, "U1"), lambda: np.zeros(shape, "M8[s]"),
        lambda: np.zeros(shape, np.longdouble), lambda: np.zeros(shape, np.float16),
        lambda: np.zeros(shape, np.int32), lambda: np.ones(shape, bool),
        lambda: np.full(shape, 2**63, np.uint64),
        lambda: fill(rng, shape, dtype, "normal").tolist(),
        lambda: fill(rng, shape, dtype, "normal")[..., np.newaxis],
        lambda: fill(rng, shape, dtype, "normal").reshape(-1) if len(shape) else np.zeros(3),
        lambda: fill(rng, shape, dtype, "normal")[0] if len(shape) and shape[0] else
        np.zeros(()),
        lambda: np.zeros(shape, [("a", "f4"), ("b", "f4")]),
    ]
    return kinds[rng.integers(len(kinds))]()


# ------------------------------------------------------------------ the watchdog

CALL_TIMEOUT = float(os.environ.get("CONVCORE_FUZZ_CALL_TIMEOUT", "120"))


class Watchdog:
    """Ends the process, naming the call, when one call runs longer than CALL_TIMEOUT:
    a hang must fail the run rather than stall it. A daemon thread watches calls that
    release the GIL (all of convcore's kernels); faulthandler's own timer is the backstop
    for code that holds it."""

    def __init__(self):
        self.current = None
        self.lock = threading.Lock()
        self.thread = None

    def _watch(self):
        while True:
            time.sleep(1.0)
            cur = self.current
            if cur is not None and time.monotonic() > cur[1]:
                sys.__stderr__.write(f"\nfuzz: a call did not finish in {CALL_TIMEOUT} s:\n"
                                     f"{cur[0]}\n")
                sys.__stderr__.flush()
                faulthandler.dump_traceback(file=sys.__stderr__, all_threads=True)
                os._exit(70)

    def __call__(self, describe):
        return _Watched(self, describe)


class _Watched:
    def __init__(self, dog, describe):
        self.dog, self.describe = dog, describe

    def __enter__(self):
        dog = self.dog
        with dog.lock:
            if dog.thread is None or not dog.thread.is_alive():
                dog.thread = threading.Thread(target=dog._watch, name="fuzz-watchdog",
                                              daemon=True)
                dog.thread.start()
        dog.current = (self.describe, time.monotonic() + CALL_TIMEOUT)
        faulthandler.dump_traceback_later(CALL_TIMEOUT + 30, exit=True)

    def __exit__(self, *exc):
        faulthandler.cancel_dump_traceback_later()
        self.dog.current = None
        return False


watchdog = Watchdog()


def describe_value(v, limit=120):
    if isinstance(v, np.ndarray):
        return (f"ndarray(shape={v.shape}, dtype={v.dtype}, strides={v.strides}, "
                f"aligned={v.flags.aligned}, c={v.flags.c_contiguous})")
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + "..."


def describe_call(name, args, kwargs):
    parts = [describe_value(a) for a in args]
    parts += [f"{k}={describe_value(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


ALLOWED = (ValueError, TypeError, MemoryError)


def snapshot(values):
    """Copies of the (small, real) array arguments, to check they are not modified."""
    out = []
    for v in values:
        if isinstance(v, np.ndarray) and v.dtype.kind in "biufc" and \
                v.size * v.itemsize <= BYTES_LIMIT and all(s != 0 for s in v.strides):
            out.append((v, v.copy()))
    return out


def run_case(name, fn, oracle, args, kwargs):
    """Calls fn(*args, **kwargs) as the oracle demands; returns the outcome's label."""
    t0 = time.monotonic()
    try:
        return _run_case(name, fn, oracle, args, kwargs)
    finally:
        spent = time.monotonic() - t0
        if spent > SLOW_CASE:  # worth knowing: the fuzzer is meant to be quick
            sys.__stderr__.write(f"\nfuzz: slow case ({spent:.1f} s): "
                                 f"{describe_call(name, args, kwargs)}\n")


SLOW_CASE = float(os.environ.get("CONVCORE_FUZZ_SLOW_CASE", "5"))


def _run_case(name, fn, oracle, args, kwargs):
    exp = expect(oracle, *args, **kwargs)
    label = exp.kind
    if exp.convert_bytes > BYTES_LIMIT or (exp.kind != "invalid" and (
            exp.work > WORK_LIMIT or exp.nbytes > BYTES_LIMIT or exp.ref_cost > REF_LIMIT)):
        return f"{label}, not called (large)"
    copies = snapshot(list(args) + [v for k, v in kwargs.items() if k != "out"])
    what = describe_call(name, args, kwargs)
    with watchdog(what):
        try:
            result = fn(*args, **kwargs)
        except ALLOWED as exc:
            assert exp.kind != "valid", f"{what} raised {exc!r}; it is valid"
            outcome = f"{label}, raised {type(exc).__name__}"
        else:
            assert exp.kind != "invalid", f"{what} returned; it must raise: {exp.why}"
            outcome = f"{label}, returned"
    if outcome.endswith("returned") and exp.check is not None:
        try:
            # the references meet NaN and inf; a reference that stalls fails the run too
            with np.errstate(all="ignore"), watchdog(f"checking {what}"):
                exp.check(result)
        except AssertionError as exc:
            raise AssertionError(f"{what}: wrong result: {exc} ({exp.kind}: {exp.why})") \
                from None
    for original, copy in copies:
        assert np.array_equal(original, copy, equal_nan=True), f"{what} modified an input"
    return outcome
