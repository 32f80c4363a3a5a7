"""Every SIMD path of the forward kernels against a float64 reference.

Each compiled target the CPU supports is switched on in turn (convcore._core.set_target),
and the shapes are chosen to reach the kernels' edges: output-channel counts around the
micro-kernel's row tile, flat output widths in every residue class of its column tile,
channel counts 1/3/17/33, strides, dilation, asymmetric padding, groups, depthwise, and
non-contiguous / negative-stride / offset views. Small-integer data must match exactly
(every partial sum is an integer below 2**24), random data within the documented
tolerances, and any thread count must give the same bits.
"""

import itertools
import re

import numpy as np
import pytest

import convcore
from convcore import _core

TARGETS = _core.supported_targets()


@pytest.fixture(params=TARGETS)
def target(request):
    before = _core.get_target()
    _core.set_target(request.param)
    yield request.param
    _core.set_target(before)


@pytest.fixture(autouse=True)
def gemm_only():
    """These tests pin the direct and GEMM paths (exact on small integers); Winograd has
    its own tests (test_winograd.py)."""
    before = convcore.get_winograd()
    convcore.set_winograd(False)
    yield
    convcore.set_winograd(before)


@pytest.fixture
def threads():
    before = convcore.get_num_threads()
    yield convcore.set_num_threads
    convcore.set_num_threads(before)


def gemm_tile(dtype):
    """(MR, NR) of the active target's indexed GEMM kernel, from its name."""
    name = _core.kernel_names()["gemm_f32" if dtype == np.float32 else "gemm_f64"]
    mr, nr = re.search(r"_(\d+)x(\d+)__", name).groups()
    return int(mr), int(nr)


# ------------------------------------------------------------------------ reference

def ref_conv2d(x, w, b=None, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1):
    """float64 conv2d from the definition: one strided window slice per tap."""
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    (sh, sw), (dh, dw), (pt, pb, pl, pr) = stride, dilation, pads
    oh = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    y = np.zeros((n, k, oh, ow))
    kg = k // groups
    for g in range(groups):
        xg = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * kg:(g + 1) * kg]
        for i in range(kh):
            for j in range(kw):
                win = xg[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                         j * dw:j * dw + sw * (ow - 1) + 1:sw]
                y[:, g * kg:(g + 1) * kg] += np.einsum("nchw,kc->nkhw", win, wg[:, :, i, j])
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None, None]
    return y


def run_conv(x, w, b, stride, pads, dilation, groups):
    return convcore.conv2d(x, w, b, stride=stride, padding=((pads[0], pads[1]), (pads[2], pads[3])),
                           dilation=dilation, groups=groups)


def check_close(got, want, dtype):
    assert got.dtype == dtype
    assert got.shape == want.shape
    scale = max(np.abs(want).max(), 1e-30)
    err = np.abs(got.astype(np.float64) - want).max() / scale
    assert err <= (1e-4 if dtype == np.float32 else 1e-10), err


def data(rng, shape, dtype, integers):
    if integers:
        return rng.integers(-3, 4, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


# --------------------------------------------------------------------- conv: GEMM path

CASES = [
    # (N, C, H, W, K, kh, kw, stride, pads (t, b, l, r), dilation, groups)
    (1, 1, 5, 7, 1, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (2, 3, 9, 11, 5, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (1, 17, 13, 10, 9, 3, 3, (2, 2), (1, 0, 2, 1), (1, 1), 1),
    (1, 33, 8, 8, 17, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 1),
    (2, 3, 20, 19, 7, 5, 5, (2, 1), (2, 2, 0, 3), (1, 2), 1),
    (1, 4, 23, 17, 6, 7, 7, (2, 2), (3, 3, 3, 3), (1, 1), 2),
    (1, 6, 15, 16, 12, 3, 2, (3, 2), (0, 2, 1, 0), (2, 3), 3),
    (3, 8, 6, 5, 16, 2, 2, (1, 1), (0, 1, 1, 0), (1, 1), 1),
    (1, 16, 7, 7, 50, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (1, 3, 1, 1, 4, 1, 1, (1, 1), (0, 0, 0, 0), (1, 1), 1),
    (1, 2, 1, 9, 3, 1, 3, (1, 1), (0, 0, 1, 1), (1, 1), 1),
    (2, 5, 12, 12, 10, 1, 1, (2, 2), (0, 0, 0, 0), (1, 1), 1),
    (1, 9, 10, 31, 8, 3, 3, (1, 4), (1, 1, 1, 1), (1, 1), 1),
    (1, 2, 11, 11, 3, 4, 4, (3, 3), (1, 2, 2, 1), (1, 1), 1),
    (1, 12, 9, 9, 24, 3, 3, (1, 1), (2, 2, 2, 2), (2, 2), 4),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_conv_cases(target, case, dtype):
    n, c, h, wd, k, kh, kw, stride, pads, dil, groups = case
    rng = np.random.default_rng(hash(case) % 2**32)
    for integers in (True, False):
        x = data(rng, (n, c, h, wd), dtype, integers)
        w = data(rng, (k, c // groups, kh, kw), dtype, integers)
        b = data(rng, (k,), dtype, integers)
        got = run_conv(x, w, b, stride, pads, dil, groups)
        want = ref_conv2d(x, w, b, stride, pads, dil, groups)
        if integers:
            np.testing.assert_array_equal(got, want.astype(dtype))
        else:
            check_close(got, want, dtype)
        got_nb = run_conv(x, w, None, stride, pads, dil, groups)
        check_close(got_nb, ref_conv2d(x, w, None, stride, pads, dil, groups), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [3, 6])
def test_conv_tile_edges(target, dtype, rows):
    """Output channels around multiples of MR (few row panels: B read in place; many: B
    packed per tile) and output widths in every residue class of NR and of the vector
    width, with and without padding (input read in place or through phase planes)."""
    mr, nr = gemm_tile(dtype)
    rng = np.random.default_rng(7)
    c = 3
    for k in sorted({1, mr - 1, mr, mr + 1, 2 * mr + 1, 6 * mr + 3} - {0}):
        w = data(rng, (k, c, 3, 3), dtype, True)
        for width in range(3, 3 + nr + 2, max(1, nr // 16)):
            x = data(rng, (1, c, rows, width), dtype, True)
            for pad in (0, 1):
                pads = (pad,) * 4
                got = run_conv(x, w, None, (1, 1), pads, (1, 1), 1)
                want = ref_conv2d(x, w, None, (1, 1), pads)
                np.testing.assert_array_equal(got, want.astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_widths_1_to_50(target, dtype):
    rng = np.random.default_rng(11)
    w = data(rng, (5, 2, 3, 3), dtype, True)
    for hw in range(1, 51, 3):
        x = data(rng, (1, 2, hw, hw + 1), dtype, True)
        for stride, pad in ((1, 1), (2, 1), (1, 2)):
            got = run_conv(x, w, None, (stride, stride), (pad,) * 4, (1, 1), 1)
            want = ref_conv2d(x, w, None, (stride, stride), (pad,) * 4)
            np.testing.assert_array_equal(got, want.astype(dtype))


def views(x):
    """Non-contiguous views with the same values as x (and x itself)."""
    yield "contiguous", x
    yield "transposed_hw", np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    yield "channels_last", np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    flip = np.ascontiguousarray(x[:, :, ::-1, ::-1])
    yield "negative_strides", flip[:, :, ::-1, ::-1]
    big = np.zeros(x.shape[:3] + (2 * x.shape[3],), x.dtype)
    big[..., ::2] = x
    yield "strided_w", big[..., ::2]
    buf = np.zeros(x.size + 1, x.dtype)
    off = buf[1:].reshape(x.shape)
    off[...] = x
    yield "offset_by_one", off


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("geom", [((1, 1), (0, 0, 0, 0), 1), ((1, 1), (1, 1, 1, 1), 3),
                                  ((2, 2), (1, 0, 0, 1), 3)])
def test_conv_noncontiguous(target, dtype, geom):
    stride, pads, ksize = geom
    rng = np.random.default_rng(3)
    x = data(rng, (2, 6, 9, 10), dtype, True)
    w = data(rng, (7, 6, ksize, ksize), dtype, True)
    want = ref_conv2d(x, w, None, stride, pads).astype(dtype)
    for name, xv in views(x):
        for wname, wv in views(w):
            got = run_conv(xv, wv, None, stride, pads, (1, 1), 1)
            np.testing.assert_array_equal(got, want, err_msg=f"{name} / {wname}")


# -------------------------------------------------------------------- conv: depthwise

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    (1, 8, 12, 13, 1, 3, (1, 1), (1, 1, 1, 1), (1, 1)),
    (2, 5, 17, 33, 2, 3, (2, 2), (1, 1, 1, 1), (1, 1)),
    (1, 3, 20, 18, 1, 5, (1, 2), (2, 0, 1, 3), (2, 1)),
    (1, 17, 9, 40, 1, 3, (1, 1), (0, 0, 0, 0), (1, 1)),
    (1, 4, 1, 1, 3, 1, (1, 1), (0, 0, 0, 0), (1, 1)),
    (1, 2, 35, 35, 1, 7, (3, 3), (3, 3, 3, 3), (1, 1)),
])
def test_depthwise(target, dtype, case):
    n, c, h, wd, mult, ks, stride, pads, dil = case
    rng = np.random.default_rng(5)
    for integers in (True, False):
        x = data(rng, (n, c, h, wd), dtype, integers)
        w = data(rng, (c * mult, 1, ks, ks), dtype, integers)
        b = data(rng, (c * mult,), dtype, integers)
        for name, xv in views(x):
            got = run_conv(xv, w, b, stride, pads, dil, c)
            want = ref_conv2d(x, w, b, stride, pads, dil, c)
            if integers:
                np.testing.assert_array_equal(got, want.astype(dtype), err_msg=name)
            else:
                check_close(got, want, dtype)


# ------------------------------------------------------------------------ threads

THREAD_CASES = [
    ((1, 64, 14, 14), (64, 64, 3, 3), 1, 1, 1),
    ((1, 32, 7, 7), (96, 32, 3, 3), 1, 1, 1),
    ((3, 16, 20, 20), (24, 16, 3, 3), 2, 1, 1),
    ((2, 40, 16, 16), (20, 40, 1, 1), 1, 0, 1),
    ((1, 16, 30, 30), (16, 1, 3, 3), 1, 1, 16),
    ((5, 1, 28, 28), (8, 1, 3, 3), 1, 1, 1),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", THREAD_CASES)
def test_conv_bitwise_across_threads(target, threads, dtype, case):
    xs, wsh, stride, pad, groups = case
    rng = np.random.default_rng(9)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(wsh).astype(dtype)
    b = rng.standard_normal(wsh[0]).astype(dtype)
    results = []
    for nt in (1, 2, 3, 5):
        threads(nt)
        results.append(convcore.conv2d(x, w, b, stride=stride, padding=pad, groups=groups))
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    check_close(results[0], ref_conv2d(x, w, b, (stride, stride), (pad,) * 4, (1, 1), groups),
                dtype)


def test_batch_rows_equal_single_runs(target):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 8, 11, 11)).astype(np.float32)
    w = rng.standard_normal((10, 8, 3, 3)).astype(np.float32)
    y = convcore.conv2d(x, w, padding=1)
    for i in range(4):
        np.testing.assert_array_equal(convcore.conv2d(x[i:i + 1], w, padding=1), y[i:i + 1])


# --------------------------------------------------------------------- large sweep

@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_sweep(target, dtype):
    rng = np.random.default_rng(1234)
    for c, k, ks, stride, dil, groups in itertools.product(
            (1, 3, 17, 33), (1, 7, 16, 33), (1, 2, 3, 5), (1, 2, 3), (1, 2), (1, 2)):
        if c % groups or k % groups:
            continue
        h, wd = rng.integers(1, 30, size=2)
        pads = tuple(int(p) for p in rng.integers(0, ks, size=4))
        if (h + pads[0] + pads[1] - dil * (ks - 1) - 1) < 0 or \
                (wd + pads[2] + pads[3] - dil * (ks - 1) - 1) < 0:
            continue
        x = data(rng, (2, c, h, wd), dtype, True)
        w = data(rng, (k, c // groups, ks, ks), dtype, True)
        got = run_conv(x, w, None, (stride, stride), pads, (dil, dil), groups)
        want = ref_conv2d(x, w, None, (stride, stride), pads, (dil, dil), groups)
        np.testing.assert_array_equal(got, want.astype(dtype))


# -------------------------------------------------------------------------- pooling

def pool_out(size, k, s, p_lo, p_hi, d, ceil):
    span = d * (k - 1) + 1
    num = size + p_lo + p_hi - span
    out = (-(-num // s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= size + p_lo:
        out -= 1
    return out


def ref_max_pool(x, k, s, pads, d, ceil):
    x = np.asarray(x, np.float64)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr), (dh, dw) = k, s, pads, d
    oh, ow = pool_out(h, kh, sh, pt, pb, dh, ceil), pool_out(w, kw, sw, pl, pr, dw, ceil)
    big = np.full((n, c, pt + h + pb + sh * oh + dh * kh, pl + w + pr + sw * ow + dw * kw), -np.inf)
    big[:, :, pt:pt + h, pl:pl + w] = x
    y = np.full((n, c, oh, ow), -np.inf)
    for i in range(kh):
        for j in range(kw):
            win = big[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            y = np.where(np.isnan(win) | (win > y), win, y)
    return y


def ref_avg_pool(x, k, s, pads, ceil, cip, divisor):
    x = np.asarray(x, np.float64)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (pt, pb, pl, pr) = k, s, pads
    oh, ow = pool_out(h, kh, sh, pt, pb, 1, ceil), pool_out(w, kw, sw, pl, pr, 1, ceil)
    y = np.zeros((n, c, oh, ow))
    for a in range(oh):
        hs = a * sh - pt
        he = min(hs + kh, h + pb)
        pool_h, hs, he = he - hs, max(hs, 0), min(he, h)
        for b in range(ow):
            ws = b * sw - pl
            we = min(ws + kw, w + pr)
            pool_w, ws, we = we - ws, max(ws, 0), min(we, w)
            if hs >= he or ws >= we:
                continue
            total = x[:, :, hs:he, ws:we].sum(axis=(2, 3))
            div = divisor or (pool_h * pool_w if cip else (he - hs) * (we - ws))
            y[:, :, a, b] = total / div
    return y


POOL_WIDTHS = [1, 2, 7, 15, 16, 17, 31, 32, 33, 47, 49, 63, 65]


def pool_args(k, s, pads, d=None):
    kw = dict(kernel_size=k, stride=s, padding=((pads[0], pads[1]), (pads[2], pads[3])))
    if d is not None:
        kw["dilation"] = d
    return kw


def call_pool(fn, x, **kw):
    """convcore pooling; None when convcore rejects the arguments (checked elsewhere)."""
    try:
        return fn(x, **kw)
    except ValueError:
        return None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_paths(target, dtype):
    rng = np.random.default_rng(21)
    for w in POOL_WIDTHS:
        x = data(rng, (2, 3, 6, w), dtype, True)
        for k, s, d in ((1, 1, 1), (2, 2, 1), (3, 2, 1), (3, 1, 1), (2, 1, 2), (3, 2, 2), (5, 3, 1)):
            for p in range(k // 2 + 1):
                for ceil in (False, True):
                    pads = (p, p, p, p)
                    if pool_out(w, k, s, p, p, d, ceil) < 1 or pool_out(6, k, s, p, p, d, ceil) < 1:
                        continue
                    kw = pool_args(k, s, pads, d)
                    got = call_pool(convcore.max_pool2d, x, ceil_mode=ceil, **kw)
                    if got is None:
                        continue
                    want = ref_max_pool(x, (k, k), (s, s), pads, (d, d), ceil)
                    np.testing.assert_array_equal(got, want.astype(dtype),
                                                  err_msg=f"w={w} k={k} s={s} p={p} d={d}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool_paths(target, dtype):
    rng = np.random.default_rng(22)
    for w in POOL_WIDTHS:
        x = data(rng, (1, 3, 5, w), dtype, True)
        for k, s in ((1, 1), (2, 2), (3, 1), (3, 2), (2, 1), (4, 3)):
            for p in range(k // 2 + 1):
                for ceil, cip, div in ((False, True, None), (True, True, None),
                                       (True, False, None), (False, False, 5), (False, True, -3)):
                    if pool_out(w, k, s, p, p, 1, ceil) < 1 or pool_out(5, k, s, p, p, 1, ceil) < 1:
                        continue
                    got = call_pool(convcore.avg_pool2d, x, ceil_mode=ceil, count_include_pad=cip,
                                    divisor_override=div, **pool_args(k, s, (p,) * 4))
                    if got is None:
                        continue
                    want = ref_avg_pool(x, (k, k), (s, s), (p,) * 4, ceil, cip, div)
                    check_close(got, want, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pool_asymmetric_and_views(target, dtype):
    rng = np.random.default_rng(23)
    x = data(rng, (2, 4, 9, 37), dtype, True)
    cases = [((3, 3), (2, 2), (1, 0, 0, 1)), ((2, 3), (1, 2), (0, 1, 1, 1)), ((3, 2), (2, 1), (1, 1, 1, 0))]
    for k, s, pads in cases:
        want_max = ref_max_pool(x, k, s, pads, (1, 1), False)
        want_avg = ref_avg_pool(x, k, s, pads, False, True, None)
        for name, xv in views(x):
            kw = dict(kernel_size=k, stride=s, padding=((pads[0], pads[1]), (pads[2], pads[3])))
            np.testing.assert_array_equal(convcore.max_pool2d(xv, **kw), want_max.astype(dtype),
                                          err_msg=name)
            check_close(convcore.avg_pool2d(xv, **kw), want_avg, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("w", [15, 16, 17, 31, 32, 33, 48, 65])
def test_max_pool_nan_in_each_lane(target, dtype, w):
    """A NaN at each column gives NaN exactly in the windows that hold it, on every path;
    ties and -inf keep the values of the reference."""
    rng = np.random.default_rng(w)
    base = rng.integers(-2, 3, size=(1, 2, 5, w)).astype(dtype)  # many ties
    base[0, 0, 1, ::3] = -np.inf
    for col in range(w):
        x = base.copy()
        x[0, 1, 2, col] = np.nan
        for k, s, p in ((3, 1, 1), (3, 2, 1), (2, 2, 0), (2, 1, 1)):
            got = convcore.max_pool2d(x, k, s, p)
            want = ref_max_pool(x, (k, k), (s, s), (p,) * 4, (1, 1), False)
            np.testing.assert_array_equal(got, want.astype(dtype), err_msg=f"col={col} k={k}")
            vals, idx = convcore.max_pool2d(x, k, s, p, return_indices=True)
            np.testing.assert_array_equal(vals, got)


def assert_same_bits(got, want, msg):
    """Equal values, the same sign of every zero, NaN in the same places."""
    np.testing.assert_array_equal(got, want, err_msg=msg)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=msg)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [2, 3])
def test_max_pool_stride2_columns(target, dtype, kw):
    """Windows 2 or 3 wide moving by 2 columns (the separable row-maxima path): widths 1 to
    40 and a few wider rows, odd and even heights, every row stride up to 3, padding 0 and
    1, ceil mode; data of -0.0/+0.0/-inf ties with NaN in single lanes, bit for bit against
    the row-major reference."""
    rng = np.random.default_rng(26 + kw)
    vals = np.array([-0.0, 0.0, -1.0, 1.0, -np.inf, 2.0], dtype)
    for w in list(range(1, 41)) + [47, 63, 64, 65, 66, 97, 113]:
        for h in (1, 2, 5, 6, 7):
            x = vals[rng.integers(0, len(vals), size=(1, 2, h, w))]
            x[0, 1].flat[rng.integers(0, h * w, size=max(1, h * w // 16))] = np.nan
            for kh, sh in ((3, 2), (2, 2), (1, 2), (3, 1), (3, 3), (4, 2)):
                for ph in range(kh // 2 + 1):
                    for pw in range(kw // 2 + 1):
                        for ceil in (False, True):
                            if (pool_out(w, kw, 2, pw, pw, 1, ceil) < 1
                                    or pool_out(h, kh, sh, ph, ph, 1, ceil) < 1):
                                continue
                            got = call_pool(convcore.max_pool2d, x, ceil_mode=ceil,
                                            **pool_args((kh, kw), (sh, 2), (ph, ph, pw, pw)))
                            if got is None:
                                continue
                            want = ref_max_pool(x, (kh, kw), (sh, 2), (ph, ph, pw, pw), (1, 1), ceil)
                            assert_same_bits(got, want.astype(dtype),
                                             f"h={h} w={w} k=({kh},{kw}) sh={sh} p=({ph},{pw}) ceil={ceil}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_3x3_s2_nan_and_zero_ties(target, dtype):
    """3x3 stride 2 padding 1, wide enough for interior vectors on every target: a NaN at
    each column of a middle row (the row two windows share), and rows of -0.0 / +0.0 where
    the first zero in row-major order decides the sign."""
    w = 70
    for col in range(w):
        x = np.zeros((1, 1, 5, w), dtype)
        x[0, 0, 0] = -0.0
        x[0, 0, 1, col % 4::4] = -0.0
        x[0, 0, 3, col] = np.nan
        x[0, 0, 4, col % 3::3] = -0.0
        got = convcore.max_pool2d(x, 3, 2, 1)
        want = ref_max_pool(x, (3, 3), (2, 2), (1,) * 4, (1, 1), False)
        assert_same_bits(got, want.astype(dtype), f"col={col}")
        assert np.isnan(got[0, 0, 1:3, col // 2]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_depthwise_3x3_stride1(target, threads, dtype):
    """3x3 stride-1 depthwise (input rows read in place, output rows in pairs): widths 1 to
    40 and wider rows, heights 1 to 7, padding 0 to 2 (asymmetric too), depth multiplier 2;
    exact on small integers, and the same bits at 1 and 2 threads on random data."""
    rng = np.random.default_rng(27)
    for w in list(range(1, 41)) + [47, 63, 64, 65, 113]:
        for h in (1, 2, 3, 4, 7):
            for pads in ((0, 0, 0, 0), (1, 1, 1, 1), (2, 2, 2, 2), (1, 0, 0, 2), (0, 2, 1, 0)):
                if h + pads[0] + pads[1] < 3 or w + pads[2] + pads[3] < 3:
                    continue
                x = data(rng, (1, 3, h, w), dtype, True)
                wt = data(rng, (6, 1, 3, 3), dtype, True)
                b = data(rng, (6,), dtype, True)
                got = run_conv(x, wt, b, (1, 1), pads, (1, 1), 3)
                want = ref_conv2d(x, wt, b, (1, 1), pads, (1, 1), 3)
                np.testing.assert_array_equal(got, want.astype(dtype), err_msg=f"h={h} w={w} {pads}")
            xr = data(rng, (2, 3, h, w), dtype, False)
            wr = data(rng, (3, 1, 3, 3), dtype, False)
            threads(1)
            one = run_conv(xr, wr, None, (1, 1), (1, 1, 1, 1), (1, 1), 3)
            threads(2)
            two = run_conv(xr, wr, None, (1, 1), (1, 1, 1, 1), (1, 1), 3)
            assert one.tobytes() == two.tobytes()


def chain_depthwise_f32(x, w, b, pads):
    """float32 depthwise 3x3 stride 1 as the SIMD kernels compute it: per output, one fused
    multiply-add per tap in row-major order starting from 0, then bias + sum. The data of
    the caller keeps every step's exact result within float64 (x: multiples of 1/8 below
    8, w: in [0.5, 2)), so a float64 step rounded to float32 is the fused operation."""
    n, c, h, wd = x.shape
    pt, pb, pl, pr = pads
    xp = np.zeros((n, c, h + pt + pb, wd + pl + pr))
    xp[:, :, pt:pt + h, pl:pl + wd] = x
    oh, ow = h + pt + pb - 2, wd + pl + pr - 2
    acc = np.zeros((n, c, oh, ow), np.float32)
    for i in range(3):
        for j in range(3):
            tap = w[:, 0, i, j].astype(np.float64)[None, :, None, None] * xp[:, :, i:i + oh, j:j + ow]
            acc = (tap + acc.astype(np.float64)).astype(np.float32)
    return b[None, :, None, None] + acc


@pytest.mark.parametrize("case", [(5, 9, (1, 1, 1, 1)), (8, 40, (1, 1, 1, 1)), (7, 33, (0, 0, 0, 0)),
                                  (6, 112, (1, 1, 1, 1)), (9, 70, (2, 1, 0, 2)), (2, 17, (1, 1, 1, 1))])
def test_depthwise_3x3_fma_chain(target, case):
    """The SIMD targets' 3x3 stride-1 depthwise results are bit for bit the fused tap chain
    in row-major order (which the rows-in-pairs kernel must keep)."""
    if target == "base":
        pytest.skip("the base target runs the generic kernel, another operation order")
    h, wd, pads = case
    rng = np.random.default_rng(28)
    x = (rng.integers(-63, 64, size=(2, 4, h, wd)) / 8).astype(np.float32)
    w = rng.uniform(0.5, 2.0, size=(4, 1, 3, 3)).astype(np.float32)
    w *= np.where(rng.integers(0, 2, size=w.shape) == 1, 1, -1).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    got = run_conv(x, w, b, (1, 1), pads, (1, 1), 4)
    want = chain_depthwise_f32(x, w, b, pads)
    assert got.tobytes() == want.tobytes()


def test_pool_simd_equals_base():
    """Every target gives the base target's results (max bit for bit, avg within rounding)."""
    rng = np.random.default_rng(24)
    x = rng.standard_normal((2, 5, 19, 45)).astype(np.float32)
    x[0, 1, 3, 17] = np.nan
    before = _core.get_target()
    results = {}
    try:
        for t in TARGETS:
            _core.set_target(t)
            results[t] = [convcore.max_pool2d(x, 3, 2, 1), convcore.max_pool2d(x, 2, 1, 1, dilation=2),
                          convcore.avg_pool2d(x, 3, 1, 1), convcore.avg_pool2d(x, 2, 2, 1, ceil_mode=True)]
    finally:
        _core.set_target(before)
    for t in TARGETS:
        for a, b in zip(results[t][:2], results["base"][:2]):
            np.testing.assert_array_equal(a, b)
        for a, b in zip(results[t][2:], results["base"][2:]):
            np.testing.assert_allclose(a, b, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wide_rows_fall_back(target, dtype):
    """Rows too wide for the row buffers take the generic kernels: same answers."""
    rng = np.random.default_rng(25)
    x = data(rng, (1, 2, 4, 4100), dtype, True)
    np.testing.assert_array_equal(convcore.max_pool2d(x, 3, 1, 1),
                                  ref_max_pool(x, (3, 3), (1, 1), (1,) * 4, (1, 1), False).astype(dtype))
    check_close(convcore.avg_pool2d(x, 3, 2, 1), ref_avg_pool(x, (3, 3), (2, 2), (1,) * 4, False, True, None),
                dtype)
    w = data(rng, (2, 1, 3, 3), dtype, True)
    np.testing.assert_array_equal(run_conv(x, w, None, (1, 1), (1,) * 4, (1, 1), 2),
                                  ref_conv2d(x, w, None, (1, 1), (1,) * 4, (1, 1), 2).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool_quotients_correctly_rounded(target, dtype):
    """Integer sums are exact, so every path must return exactly the correctly rounded
    quotient sum / divisor, whatever way it divides (the SIMD kernels use a reciprocal
    with a correction step)."""
    rng = np.random.default_rng(26)
    x = rng.integers(-1000, 1000, size=(2, 3, 17, 37)).astype(dtype)
    x[0, 0, 0, :5] = [1e6, -3e5, 7, 11, 13]
    for k, s, p, cip, div in ((3, 1, 1, True, None), (3, 1, 1, False, None), (3, 2, 1, False, None),
                              (2, 2, 0, True, 7), (3, 1, 0, True, -3), (5, 1, 2, False, None)):
        got = convcore.avg_pool2d(x, k, s, p, count_include_pad=cip, divisor_override=div)
        sums = ref_avg_pool(x, (k, k), (s, s), (p,) * 4, False, True, 1)  # exact integer sums
        if div:
            divisor = np.full(sums.shape, float(div))
        else:
            divisor = np.broadcast_to(pool_counts(x.shape, k, s, p, cip), sums.shape)
        want = sums.astype(dtype) / divisor.astype(dtype)
        np.testing.assert_array_equal(got, want, err_msg=f"k={k} s={s} p={p} cip={cip} div={div}")


def pool_counts(shape, k, s, p, cip):
    """The divisor of each output of a square avg pool (no ceil mode): window size within
    the padded input (cip) or within the input."""
    h, w = shape[2:]
    oh, ow = pool_out(h, k, s, p, p, 1, False), pool_out(w, k, s, p, p, 1, False)
    cnt = np.zeros((oh, ow))
    for a in range(oh):
        hs = a * s - p
        he = min(hs + k, h + p)
        for b in range(ow):
            ws = b * s - p
            we = min(ws + k, w + p)
            if cip:
                cnt[a, b] = (he - hs) * (we - ws)
            else:
                cnt[a, b] = (min(he, h) - max(hs, 0)) * (min(we, w) - max(ws, 0))
    return cnt


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", [
    # (N, C, H, W, K, k, stride, pad): which blocking of the forward GEMM each one takes
    (1, 8, 70, 70, 64, 3, 1, 1),      # large output: tile-outer, B packed per tile
    (1, 128, 22, 22, 512, 3, 1, 1),   # several row blocks share a kept packed B
    (1, 64, 12, 12, 96, 3, 1, 1),     # small plane, many channels: k-outer
    (2, 3, 32, 32, 16, 3, 1, 1),      # few output channels: B read in place
    (2, 4, 33, 35, 8, 3, 2, 1),       # strided, few channels
    (1, 96, 9, 9, 200, 1, 1, 0),      # 1x1 read in place, partial panels
])
def test_conv_blocking_paths(target, threads, dtype, case):
    n, c, h, wd, k, ks, s, p = case
    rng = np.random.default_rng(31)
    x = data(rng, (n, c, h, wd), dtype, True)
    w = data(rng, (k, c, ks, ks), dtype, True)
    b = data(rng, (k,), dtype, True)
    want = ref_conv2d(x, w, b, (s, s), (p,) * 4).astype(dtype)
    for nt in (1, 2, 3):
        threads(nt)
        np.testing.assert_array_equal(run_conv(x, w, b, (s, s), (p,) * 4, (1, 1), 1), want,
                                      err_msg=f"threads={nt}")
