"""Random configurations of every parameter against torch.nn.functional (float64 torch as the
oracle: convcore float32 within 1e-4, float64 within 1e-10, relative to the max magnitude)."""

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import assert_close, assert_exact

torch = pytest.importorskip("torch")
F = torch.nn.functional

DTYPES = [np.float32, np.float64]


def t64(a):
    return torch.from_numpy(np.asarray(a, dtype=np.float64))


def random_conv(rng):
    groups = int(rng.integers(1, 4))
    cg, og = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    kh, kw = (int(v) for v in rng.integers(1, 6, 2))
    dh, dw = (int(v) for v in rng.integers(1, 4, 2))
    form = rng.choice(["int", "pair", "sides", "same", "valid"])
    stride = (1, 1) if form == "same" else tuple(int(v) for v in rng.integers(1, 4, 2))
    if form == "int":
        padding = int(rng.integers(0, 4))
    elif form == "pair":
        padding = tuple(int(v) for v in rng.integers(0, 4, 2))
    elif form == "sides":
        t, b, l, r = (int(v) for v in rng.integers(0, 4, 4))
        padding = ((t, b), (l, r))
    else:
        padding = str(form)
    top, bottom, left, right = R.conv_padding(padding, (kh, kw), (dh, dw), stride)
    h = int(rng.integers(max(1, dh * (kh - 1) + 1 - top - bottom), 16))
    w = int(rng.integers(max(1, dw * (kw - 1) + 1 - left - right), 16))
    n = int(rng.integers(0, 4))
    return dict(x_shape=(n, groups * cg, h, w), w_shape=(groups * og, cg, kh, kw),
                bias=bool(rng.integers(0, 2)), stride=stride, padding=padding,
                dilation=(dh, dw), groups=groups, sides=(top, bottom, left, right))


@pytest.mark.parametrize("seed", range(60))
def test_conv2d_vs_torch(seed):
    rng = np.random.default_rng(1000 + seed)
    cfg = random_conv(rng)
    x = rng.standard_normal(cfg["x_shape"])
    w = rng.standard_normal(cfg["w_shape"])
    b = rng.standard_normal(cfg["w_shape"][0]) if cfg["bias"] else None
    top, bottom, left, right = cfg["sides"]
    for dtype in DTYPES:
        xd, wd = x.astype(dtype), w.astype(dtype)
        bd = None if b is None else b.astype(dtype)
        # torch's explicit zero padding stands in for asymmetric / "same" padding
        xt = F.pad(t64(xd), (left, right, top, bottom))
        want = F.conv2d(xt, t64(wd), None if bd is None else t64(bd), cfg["stride"], 0,
                        cfg["dilation"], cfg["groups"]).numpy()
        got = cc.conv2d(xd, wd, bd, stride=cfg["stride"], padding=cfg["padding"],
                        dilation=cfg["dilation"], groups=cfg["groups"])
        assert_close(got, want, dtype)


def random_pool(rng, with_dilation):
    kh, kw = (int(v) for v in rng.integers(1, 5, 2))
    dh, dw = (int(v) for v in rng.integers(1, 4, 2)) if with_dilation else (1, 1)
    ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
    stride = None if rng.random() < 0.25 else tuple(int(v) for v in rng.integers(1, 4, 2))
    h = int(rng.integers(max(1, dh * (kh - 1) + 1 - 2 * ph), 16))
    w = int(rng.integers(max(1, dw * (kw - 1) + 1 - 2 * pw), 16))
    return dict(shape=(int(rng.integers(0, 3)), int(rng.integers(1, 5)), h, w),
                kernel_size=(kh, kw), stride=stride, padding=(ph, pw), dilation=(dh, dw),
                ceil_mode=bool(rng.integers(0, 2)))


@pytest.mark.parametrize("seed", range(60))
def test_max_pool2d_vs_torch(seed):
    rng = np.random.default_rng(2000 + seed)
    cfg = random_pool(rng, True)
    shape = cfg.pop("shape")
    x = np.round(rng.standard_normal(shape) * 2)  # ties
    x[rng.random(shape) < 0.15] = -np.inf
    if x.size and rng.random() < 0.5:
        x.flat[int(rng.integers(x.size))] = np.nan  # one NaN: its index is unambiguous
    _, ri = R.max_pool2d(x, **cfg)
    for dtype in DTYPES:
        xd = x.astype(dtype)
        ty, ti = F.max_pool2d(t64(xd), return_indices=True, **cfg)
        y, idx = cc.max_pool2d(xd, return_indices=True, **cfg)
        assert_exact(y, ty.numpy(), dtype)
        assert idx.dtype == np.int64
        # torch's index for a window holding no input element is arbitrary; skip those
        known = ri >= 0
        np.testing.assert_array_equal(idx[known], ti.numpy()[known])


@pytest.mark.parametrize("seed", range(60))
def test_avg_pool2d_vs_torch(seed):
    rng = np.random.default_rng(3000 + seed)
    cfg = random_pool(rng, False)
    del cfg["dilation"]
    shape = cfg.pop("shape")
    cfg["count_include_pad"] = bool(rng.integers(0, 2))
    cfg["divisor_override"] = [None, None, 1, 4, -3][int(rng.integers(0, 5))]
    x = rng.standard_normal(shape)
    for dtype in DTYPES:
        xd = x.astype(dtype)
        want = F.avg_pool2d(t64(xd), **cfg).numpy()
        assert_close(cc.avg_pool2d(xd, **cfg), want, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_pools_vs_torch(dtype):
    rng = np.random.default_rng(4000)
    for shape in [(1, 1, 1, 1), (2, 3, 7, 5), (3, 17, 16, 1), (1, 33, 9, 31)]:
        x = rng.standard_normal(shape).astype(dtype)
        x.flat[int(rng.integers(x.size))] = np.nan
        assert_close(cc.global_avg_pool2d(x), F.adaptive_avg_pool2d(t64(x), 1).numpy(), dtype)
        assert_exact(cc.global_max_pool2d(x), F.adaptive_max_pool2d(t64(x), 1).numpy(), dtype)


def test_testing_md_cases_vs_torch():
    """TESTING.md cases 1-3 checked against torch as well as against fixed values."""
    for hw, k, s, p in [((2, 2), 1, 2, 0), ((6, 7), 1, 2, 0), ((5, 5), 3, 3, 1)]:
        x = np.ones((1, 1) + hw)
        want = F.max_pool2d(t64(x), k, s, p, ceil_mode=True).shape
        assert cc.max_pool2d(x, k, s, p, ceil_mode=True).shape == tuple(want)
        want = F.avg_pool2d(t64(x), k, s, p, ceil_mode=True).shape
        assert cc.avg_pool2d(x, k, s, p, ceil_mode=True).shape == tuple(want)
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    kw = dict(kernel_size=(1, 2), stride=2, padding=(0, 1), ceil_mode=True, count_include_pad=True)
    np.testing.assert_allclose(cc.avg_pool2d(x, **kw), F.avg_pool2d(t64(x), **kw).numpy(),
                               rtol=0, atol=1e-12)
    x = np.arange(49.0).reshape(1, 1, 7, 7)
    np.testing.assert_allclose(cc.avg_pool2d(x, 2, 3, ceil_mode=True),
                               F.avg_pool2d(t64(x), 2, 3, ceil_mode=True).numpy(),
                               rtol=0, atol=1e-12)
