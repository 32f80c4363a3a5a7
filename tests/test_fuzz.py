"""Argument fuzzing of every public function: random, mostly invalid argument
combinations (wrong types, ndims and dtypes; zero, negative and huge integers; shapes whose
products overflow, made without memory by zero-stride views; NaN/inf data; non-contiguous,
misaligned, byte-swapped and read-only views). Each call must return a correct result or
raise ValueError, TypeError or MemoryError: never crash, never hang, never a wrong answer.
fuzz_support.py holds the oracle that decides which, and the watchdog.

Examples per function: a few dozen in the default run (deterministic), 10,000 with
HYPOTHESIS_PROFILE=slow (fuzz_support.EXAMPLES), which tools/sanitize.sh runs under
ASan+UBSan. The statistics
(pytest --hypothesis-show-statistics) count the outcomes: valid / invalid / unclear, and
returned / raised / not called.
"""

import warnings

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import convcore as cc
import fuzz_support as F

fuzz = F.fuzz_settings

# ------------------------------------------------------------------ strategies

FLOATS = [np.float32, np.float64]
DTYPES = st.sampled_from(FLOATS * 4 + [np.float16, np.int32, np.uint8, np.bool_])
seeds = st.integers(0, 2**32 - 1)

weird_scalars = st.one_of(
    st.integers(-2, 6),
    st.sampled_from(F.HUGE_INTS + F.NEGATIVE_INTS),
    st.sampled_from(F.NUMPY_INTS),
    st.sampled_from(F.NOT_INTS),
)
weird_pairs = st.one_of(
    weird_scalars,
    st.tuples(weird_scalars, weird_scalars),
    st.tuples(st.integers(1, 3), weird_scalars),
    st.lists(weird_scalars, max_size=3),
    st.lists(st.integers(-1, 4), max_size=3).map(tuple),
)
weird_paddings = st.one_of(
    weird_pairs,
    st.tuples(st.tuples(weird_scalars, weird_scalars), st.tuples(weird_scalars, weird_scalars)),
    st.tuples(st.tuples(st.integers(-1, 3), st.integers(-1, 3)), st.integers(-1, 3)),
    st.tuples(st.lists(st.integers(0, 3), max_size=3), st.tuples(st.integers(0, 2),
                                                                  st.integers(0, 2))),
    st.sampled_from(["same", "valid", "full", "SAME", ""]),
)
big_ints = st.sampled_from([2**16, 2**20, 2**31 - 1, 2**31, 2**32, 2**40, 2**53, 2**61, 2**62])
bool_likes = st.one_of(st.booleans(), st.sampled_from([0, 1, 2, -1, None, "yes", 1.0,
                                                        np.True_, np.int64(1), [True]]))


def pair_of(lo, hi):
    return st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)),
                     st.lists(st.integers(lo, hi), min_size=2, max_size=2))


def conv_paddings():
    return st.one_of(
        st.integers(0, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.tuples(st.integers(0, 3), st.integers(0, 3)),
                  st.tuples(st.integers(0, 3), st.integers(0, 3))),
        st.sampled_from(["same", "valid"]))


def pool_paddings():
    return st.one_of(
        st.integers(0, 2), st.tuples(st.integers(0, 2), st.integers(0, 2)),
        st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                  st.tuples(st.integers(0, 2), st.integers(0, 2))))


def array_of(draw, rng, shape, dtype, kinds):
    a = F.fill(rng, shape, dtype, draw(st.sampled_from(kinds)))
    return F.relayout(a, draw(st.sampled_from(F.LAYOUTS)))


def huge_like(draw, shape, dtype, special=True):
    """A zero-stride view with some dimensions made huge (a float dtype: converting it
    would allocate)."""
    dtype = dtype if np.dtype(dtype) in (np.float32, np.float64) else np.float32
    big = tuple(draw(st.sampled_from(F.BIG_DIMS)) if draw(st.booleans()) else s
                for s in shape)
    value = draw(st.sampled_from([1.0, -2.5, 0.0] + ([np.nan, np.inf] if special else [])))
    v = F.huge_view(dtype, big, value)
    event("zero-stride view: numpy refused the shape" if v is None else "zero-stride view")
    return v if v is not None else F.huge_view(dtype, shape, value)


def other_dtype(draw, a):
    to = draw(st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.bool_,
                               np.complex64]))
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf" or \
            a.size * 16 > F.BYTES_LIMIT:  # a huge zero-stride view stays as it is
        return a
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NaN/inf to int: any value will do
        return a.astype(to)


def out_for(draw, rng, args, kwargs):
    """An out= argument: the right array, or one wrong in a way the contract names."""
    exp = F.expect(F.oracle_conv2d, *args, **kwargs)
    shape, dtype = None, np.float64
    if exp.kind != "invalid":
        x = F.o_array(args[0], "x", F.Verdict())
        w = F.o_array(args[1], "weight", F.Verdict())
        try:
            y = _shape_only_conv(x, w, kwargs)
            shape, dtype = y, x.dtype
        except Exception:  # noqa: BLE001 - no shape: any out will do
            shape = None
    if shape is None or max(shape) > 2**16 or F.numel(shape) * 8 > F.BYTES_LIMIT:
        shape = tuple(draw(st.lists(st.integers(0, 3), min_size=3, max_size=4)))
    kind = draw(st.sampled_from(["right", "right", "right", "shape", "dtype", "strided",
                                 "readonly", "x", "list", "unaligned", "swapped", "f-order"]))
    if kind == "shape":
        return np.empty(shape + (1,), dtype)
    if kind == "dtype":
        return np.empty(shape, np.float32 if dtype == np.float64 else np.float64)
    if kind == "strided":
        return np.empty(shape[:-1] + (2 * shape[-1],) if shape else (2,), dtype)[..., ::2]
    if kind == "readonly":
        o = np.empty(shape, dtype)
        o.flags.writeable = False
        return o
    if kind == "x":
        return args[0]
    if kind == "list":
        return np.zeros(shape).tolist()
    if kind == "unaligned":
        raw = np.zeros(F.numel(shape) * np.dtype(dtype).itemsize + 1, np.uint8)
        return raw[1:].view(dtype).reshape(shape)
    if kind == "swapped":
        return np.empty(shape, np.dtype(dtype).newbyteorder())
    if kind == "f-order":
        return np.empty(shape, dtype, order="F")
    return np.full(shape, np.nan, dtype)


def _shape_only_conv(x, w, kwargs):
    ver = F.Verdict()
    x4 = x[np.newaxis] if x.ndim == 3 else x
    s = F.o_pair(kwargs.get("stride", 1), "stride", ver, 1)
    d = F.o_pair(kwargs.get("dilation", 1), "dilation", ver, 1)
    pads = F.o_pads(kwargs.get("padding", 0), ver, conv=(s, w.shape[2:], d))
    oh = F.S.conv_out(x4.shape[2], w.shape[2], s[0], pads[0], pads[1], d[0])
    ow = F.S.conv_out(x4.shape[3], w.shape[3], s[1], pads[2], pads[3], d[1])
    shape = (x4.shape[0], w.shape[0], oh, ow)
    return shape[1:] if x.ndim == 3 else shape


@st.composite
def conv2d_calls(draw):
    rng = np.random.default_rng(draw(seeds))
    g = draw(st.integers(1, 3))
    cg, kg = draw(st.integers(0, 3)), draw(st.integers(1, 3))
    n, h, w = draw(st.integers(0, 2)), draw(st.integers(0, 7)), draw(st.integers(0, 7))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dtype = draw(DTYPES)
    x = array_of(draw, rng, (n, g * cg, h, w), dtype,
                 ["normal", "ints", "special", "denormal", "zeros"])
    weight = array_of(draw, rng, (g * kg, cg, kh, kw), dtype, ["normal", "ints", "denormal"])
    kwargs = dict(stride=draw(pair_of(1, 3)), padding=draw(conv_paddings()),
                  dilation=draw(pair_of(1, 3)), groups=g)
    if draw(st.booleans()):
        kwargs["bias"] = array_of(draw, rng, (g * kg,), dtype, ["normal", "ints"])
    args = [x, weight]
    for _ in range(draw(st.integers(0, 3))):
        m = draw(st.sampled_from(["stride", "padding", "dilation", "groups", "x", "weight",
                                  "bias", "dtype", "unbatched", "huge_x", "huge_weight",
                                  "huge_params", "out", "no_channels"]))
        event(f"mutation: {m}")
        if m in ("stride", "dilation"):
            kwargs[m] = draw(weird_pairs)
        elif m == "padding":
            kwargs[m] = draw(weird_paddings)
        elif m == "groups":
            kwargs[m] = draw(weird_scalars)
        elif m == "x":
            args[0] = F.weird_array_like(rng, (n, g * cg, h, w), dtype)
        elif m == "weight":
            args[1] = F.weird_array_like(rng, (g * kg, cg, kh, kw), dtype)
        elif m == "bias":
            kwargs["bias"] = F.weird_array_like(rng, (g * kg,), dtype)
        elif m == "dtype":
            which = draw(st.sampled_from(["x", "weight", "bias"]))
            if which == "bias":
                kwargs["bias"] = other_dtype(draw, kwargs.get("bias"))
            else:
                i = 0 if which == "x" else 1
                args[i] = other_dtype(draw, args[i])
        elif m == "unbatched":
            if isinstance(args[0], np.ndarray) and args[0].ndim == 4 and args[0].shape[0]:
                args[0] = args[0][0]
        elif m == "huge_x":
            args[0] = huge_like(draw, (n, g * cg, h, w), dtype)
        elif m == "huge_weight":
            # finite: zero padding times a non-finite weight is NaN in the GEMM path
            # but skipped by the depthwise kernel (reported; not pinned here)
            args[1] = huge_like(draw, (g * kg, cg, kh, kw), dtype, special=False)
        elif m == "huge_params":
            big = draw(big_ints)
            name = draw(st.sampled_from(["stride", "padding", "dilation", "sp"]))
            if name == "sp":  # huge padding and a stride as large: a few outputs
                kwargs["padding"] = big
                kwargs["stride"] = draw(st.sampled_from([big, big // 2 + 1, 2 * big]))
            else:
                kwargs[name] = draw(st.sampled_from([big, (1, big), (big, 2)]))
        elif m == "out":
            kwargs["out"] = out_for(draw, rng, args, kwargs)
        elif m == "no_channels":  # zero channels: every groups value divides them
            args[0] = np.ones((n, 0, h, w), dtype)
            args[1] = np.ones((0, 0, kh, kw), dtype)
            kwargs.pop("bias", None)
            kwargs["groups"] = draw(st.one_of(st.integers(1, 4), big_ints, weird_scalars))
    return args, kwargs


@st.composite
def pool_calls(draw, is_max):
    rng = np.random.default_rng(draw(seeds))
    n, c, h, w = (draw(st.integers(0, 2)), draw(st.integers(0, 3)), draw(st.integers(0, 8)),
                  draw(st.integers(0, 8)))
    dtype = draw(DTYPES)
    kinds = ["normal", "ints", "special", "denormal", "zeros"] + (["extreme"] if is_max else [])
    x = array_of(draw, rng, (n, c, h, w), dtype, kinds)
    kwargs = dict(kernel_size=draw(pair_of(1, 4)))
    if draw(st.booleans()):
        kwargs["stride"] = draw(st.one_of(st.none(), pair_of(1, 3)))
    if draw(st.booleans()):
        kwargs["padding"] = draw(pool_paddings())
    if draw(st.booleans()):
        kwargs["ceil_mode"] = draw(st.booleans())
    if is_max:
        if draw(st.booleans()):
            kwargs["dilation"] = draw(pair_of(1, 3))
        if draw(st.booleans()):
            kwargs["return_indices"] = draw(st.booleans())
    else:
        if draw(st.booleans()):
            kwargs["count_include_pad"] = draw(st.booleans())
        if draw(st.booleans()):
            kwargs["divisor_override"] = draw(st.one_of(st.none(), st.integers(-3, 9)))
    args = [x]
    names = ["kernel_size", "stride", "padding", "ceil_mode"] + (
        ["dilation", "return_indices"] if is_max else ["count_include_pad", "divisor_override"])
    for _ in range(draw(st.integers(0, 3))):
        m = draw(st.sampled_from(names + ["x", "dtype", "unbatched", "huge_x", "huge_window",
                                          "huge_params"]))
        event(f"mutation: {m}")
        if m in ("kernel_size", "stride", "dilation"):
            kwargs[m] = draw(weird_pairs)
        elif m == "padding":
            kwargs[m] = draw(weird_paddings)
        elif m in ("ceil_mode", "return_indices", "count_include_pad"):
            kwargs[m] = draw(bool_likes)
        elif m == "divisor_override":
            kwargs[m] = draw(weird_scalars)
        elif m == "x":
            args[0] = F.weird_array_like(rng, (n, c, h, w), dtype)
        elif m == "dtype":
            args[0] = other_dtype(draw, args[0])
        elif m == "unbatched":
            if isinstance(args[0], np.ndarray) and args[0].ndim == 4 and args[0].shape[0]:
                args[0] = args[0][0]
        elif m == "huge_x":
            args[0] = huge_like(draw, (n, c, h, w), dtype)
        elif m in ("huge_window", "huge_params"):
            # a window (per axis) as large as int64 allows, with the padding it permits
            big = draw(big_ints)
            axis = draw(st.sampled_from([0, 1]))
            k = [1, 1]
            k[axis] = big
            kwargs["kernel_size"] = tuple(k)
            pad = [0, 0]
            pad[axis] = draw(st.sampled_from([0, big // 2, big // 4]))
            kwargs["padding"] = tuple(pad)
            if m == "huge_params":
                kwargs["stride"] = draw(st.sampled_from([big, (big, 1), 2 * big, 1]))
                if is_max:
                    kwargs["dilation"] = draw(st.sampled_from([1, 2, (2, 3), big]))
    return args, kwargs


@st.composite
def global_calls(draw, is_max):
    rng = np.random.default_rng(draw(seeds))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=4, max_size=4)))
    dtype = draw(DTYPES)
    m = draw(st.sampled_from(["plain", "plain", "weird", "huge", "ndim", "unbatched"]))
    event(f"global: {m}")
    if m == "weird":
        return F.weird_array_like(rng, shape, dtype)
    if m == "huge":
        return huge_like(draw, shape, dtype)
    # huge finite values only for max: sums of them overflow in an order-dependent way
    x = array_of(draw, rng, shape, dtype,
                 ["normal", "ints", "special", "zeros"] + (["extreme"] if is_max else []))
    if m == "ndim":
        return x.reshape(x.shape + (1,)) if draw(st.booleans()) else x.reshape(-1)
    if m == "unbatched" and shape[0]:
        return x[0]
    return x


@st.composite
def conv2d_backward_calls(draw):
    args, kwargs = draw(conv2d_calls())
    kwargs.pop("bias", None)
    kwargs.pop("out", None)
    rng = np.random.default_rng(draw(seeds))
    x, w = args
    shape = None
    if isinstance(x, np.ndarray) and isinstance(w, np.ndarray) and w.ndim == 4:
        try:
            shape = _shape_only_conv(x, w, kwargs)
        except Exception:  # noqa: BLE001
            shape = None
    if shape is None or min(shape) < 0 or max(shape) > 2**16 or \
            F.numel(shape) * 8 > F.BYTES_LIMIT:
        shape = tuple(draw(st.lists(st.integers(0, 4), min_size=3, max_size=4)))
    dtype = x.dtype if isinstance(x, np.ndarray) and x.dtype.kind == "f" else np.float64
    # finite: dW multiplies dy by the zero padding, whose product with a non-finite dy is
    # NaN in the GEMM path and skipped in the depthwise one
    gy = array_of(draw, rng, shape, dtype, ["normal", "ints"])
    for _ in range(draw(st.integers(0, 2))):
        m = draw(st.sampled_from(["grad", "grad_shape", "grad_dtype", "flags"]))
        event(f"mutation: {m}")
        if m == "grad":
            gy = F.weird_array_like(rng, shape, dtype)
        elif m == "grad_shape":
            gy = np.ones(tuple(draw(st.lists(st.integers(0, 4), min_size=2, max_size=5))),
                         dtype)
        elif m == "grad_dtype":
            gy = other_dtype(draw, gy)
        else:
            kwargs[draw(st.sampled_from(["input_grad", "weight_grad", "bias_grad"]))] = \
                draw(bool_likes)
    for flag in ("input_grad", "weight_grad", "bias_grad"):
        if flag not in kwargs and draw(st.integers(0, 3)) == 0:
            kwargs[flag] = False
    return [gy] + args, kwargs


def input_shapes(base):
    return st.one_of(
        st.just(base), st.just(list(base)), st.just(base[1:]),
        st.tuples(*[st.one_of(st.just(v), weird_scalars) for v in base]),
        st.lists(st.integers(0, 4), max_size=6).map(tuple),
        st.sampled_from([(2**31, 2**31, 2**31, 2**31), (2**62, 2**62, 1, 1), (1, 1, 2**40, 2**40),
                         (1, 1, 2**31, 3), np.array(base), None, 5, "1,1,2,2"]),
    )


@st.composite
def max_pool2d_backward_calls(draw):
    rng = np.random.default_rng(draw(seeds))
    n, c, h, w = (draw(st.integers(0, 2)), draw(st.integers(0, 3)), draw(st.integers(0, 6)),
                  draw(st.integers(0, 6)))
    oh, ow = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    dtype = draw(DTYPES)
    gy = array_of(draw, rng, (n, c, oh, ow), dtype, ["normal", "ints", "special"])
    hi = max(h * w, 1)
    idx = rng.integers(0, hi, size=(n, c, oh, ow)).astype(np.int64)
    input_shape = (n, c, h, w)
    for _ in range(draw(st.integers(0, 3)) + draw(st.integers(0, 1))):
        m = draw(st.sampled_from(["grad", "grad_dtype", "indices_value", "indices_dtype",
                                  "indices", "indices_layout", "input_shape", "unbatched"]))
        event(f"mutation: {m}")
        if m == "grad":
            gy = F.weird_array_like(rng, (n, c, oh, ow), dtype)
        elif m == "grad_dtype":
            gy = other_dtype(draw, gy)
        elif m == "indices_value" and isinstance(idx, np.ndarray) and idx.size and \
                idx.dtype.kind in "biuf":
            idx = np.array(idx, dtype=np.int64)
            idx.flat[rng.integers(idx.size)] = draw(st.sampled_from(
                [-1, h * w, h * w + 1, 2**31, 2**40, -(2**63), 2**63 - 1]))
        elif m == "indices_dtype" and isinstance(idx, np.ndarray) and idx.dtype.kind in "biuf":
            to = draw(st.sampled_from([np.int32, np.uint64, np.uint8, np.int8, np.float64,
                                       np.bool_, np.int16]))
            idx = np.asarray(idx).astype(to)
            if to == np.uint64 and idx.size and draw(st.booleans()):
                idx.flat[0] = np.uint64(2**64 - 1)
        elif m == "indices":
            idx = F.weird_array_like(rng, (n, c, oh, ow), np.int64)
        elif m == "indices_layout" and isinstance(idx, np.ndarray):
            idx = F.relayout(idx, draw(st.sampled_from(F.LAYOUTS)))
        elif m == "input_shape":
            input_shape = draw(input_shapes((n, c, h, w)))
        elif m == "unbatched" and n:
            gy = gy[0] if isinstance(gy, np.ndarray) and gy.ndim == 4 else gy
            if isinstance(idx, np.ndarray) and idx.ndim == 4 and draw(st.booleans()):
                idx = idx[0]
            input_shape = tuple(input_shape)[1:] if isinstance(input_shape, tuple) else \
                input_shape
    return [gy, idx, input_shape], {}


@st.composite
def avg_pool2d_backward_calls(draw):
    args, kwargs = draw(pool_calls(False))
    rng = np.random.default_rng(draw(seeds))
    x = args[0]
    shape = x.shape if isinstance(x, np.ndarray) else (1, 1, 4, 4)
    dtype = x.dtype if isinstance(x, np.ndarray) and x.dtype.kind == "f" else np.float64
    out = None
    exp = F.expect(F.oracle_avg_pool2d, *args, **kwargs)
    if exp.kind != "invalid" and exp.nbytes <= F.BYTES_LIMIT:
        try:
            out = F.oracle_pool(F.Verdict(), False, None, input_shape=shape,
                                **kwargs)["shape"]
            out = out[1:] if len(shape) == 3 else out
        except Exception:  # noqa: BLE001
            out = None
    if out is None:
        out = tuple(draw(st.lists(st.integers(0, 4), min_size=3, max_size=4)))
    gy = array_of(draw, rng, out, dtype, ["normal", "ints", "special"])
    input_shape = tuple(shape)
    if draw(st.integers(0, 3)) == 0:
        input_shape = draw(input_shapes(input_shape))
        event("mutation: input_shape")
    if draw(st.integers(0, 4)) == 0:
        gy = F.weird_array_like(rng, out, dtype)
        event("mutation: grad")
    return [gy, input_shape], kwargs


# ------------------------------------------------------------------ the tests

def global_pool_calls(is_max):
    return global_calls(is_max).map(lambda x: ([x], {}))


def global_oracle(is_max):
    return lambda ver, x: F.oracle_global(ver, is_max, x)


# function -> (strategy of (args, kwargs), oracle)
FUNCTIONS = {
    "conv2d": (conv2d_calls(), F.oracle_conv2d),
    "max_pool2d": (pool_calls(True), F.oracle_max_pool2d),
    "avg_pool2d": (pool_calls(False), F.oracle_avg_pool2d),
    "global_max_pool2d": (global_pool_calls(True), global_oracle(True)),
    "global_avg_pool2d": (global_pool_calls(False), global_oracle(False)),
    "conv2d_backward": (conv2d_backward_calls(), F.oracle_conv2d_backward),
    "max_pool2d_backward": (max_pool2d_backward_calls(), F.oracle_max_pool2d_backward),
    "avg_pool2d_backward": (avg_pool2d_backward_calls(), F.oracle_avg_pool2d_backward),
}


@pytest.mark.parametrize("name", FUNCTIONS)
@fuzz
@given(data=st.data())
def test_fuzz_function(name, data):
    calls, oracle = FUNCTIONS[name]
    args, kwargs = data.draw(calls, label="call")
    event(F.run_case(name, getattr(cc, name), oracle, args, kwargs))


@pytest.fixture(scope="module")
def threads_setting():
    original = cc.get_num_threads()
    yield original
    cc.set_num_threads(None)
    if cc.get_num_threads() != original:
        cc.set_num_threads(original)


@fuzz
@given(n=st.one_of(st.none(), st.integers(-3, 9), weird_scalars,
                   st.sampled_from([4096, 4097, 2**31])))
def test_fuzz_set_num_threads(n, threads_setting):
    before = cc.get_num_threads()
    exp = F.expect(F.oracle_set_num_threads, n)
    try:
        with F.watchdog(f"set_num_threads({n!r})"):
            cc.set_num_threads(n)
    except F.ALLOWED as exc:
        assert exp.kind != "valid", f"set_num_threads({n!r}) raised {exc!r}"
        assert cc.get_num_threads() == before, "a refused setting changed the thread count"
        event(f"{exp.kind}, raised {type(exc).__name__}")
        return
    assert exp.kind != "invalid", f"set_num_threads({n!r}) returned: {exp.why}"
    event(f"{exp.kind}, returned")
    try:
        got = cc.get_num_threads()
        if n is None:
            assert got == cc._core.max_threads()
        else:
            assert got == int(n)
            # a call on that many threads (tiny work: also for large n) is right
            if got <= 64:
                x = np.arange(16.0).reshape(1, 1, 4, 4)
                np.testing.assert_array_equal(cc.max_pool2d(x, 2), [[[[5, 7], [13, 15]]]])
    finally:
        cc.set_num_threads(None)
