"""Random shapes and parameters (hypothesis) against the reference."""

import numpy as np
from hypothesis import given, note
from hypothesis import strategies as st

import convcore as cc
import reference as R
from helpers import assert_close, assert_exact, assert_maxpool_indices

dtypes = st.sampled_from([np.float32, np.float64])
layouts = st.sampled_from(["c", "fortran", "negative", "stepped"])


def apply_layout(a, layout):
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "negative":
        return np.ascontiguousarray(a[..., ::-1, ::-1])[..., ::-1, ::-1]
    if layout == "stepped":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    return a


def extent(draw, kernel, dilation, pad_total):
    """An input size in 1..12 (more only when the window needs it) with output >= 1."""
    need = max(1, dilation * (kernel - 1) + 1 - pad_total)
    return draw(st.integers(need, max(12, need)))


@st.composite
def conv_configs(draw):
    groups = draw(st.integers(1, 3))
    c_per_group = draw(st.integers(0 if draw(st.booleans()) and groups == 1 else 1,
                                   max(1, 6 // groups)))
    out_per_group = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    form = draw(st.sampled_from(["int", "pair", "sides", "same", "valid"]))
    if form == "same":
        stride = 1
    else:
        stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    if form == "int":
        padding = draw(st.integers(0, 3))
    elif form == "pair":
        padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    elif form == "sides":
        padding = ((draw(st.integers(0, 3)), draw(st.integers(0, 3))),
                   (draw(st.integers(0, 3)), draw(st.integers(0, 3))))
    else:
        padding = form
    top, bottom, left, right = R.conv_padding(padding, (kh, kw), (dh, dw), stride)
    h = extent(draw, kh, dh, top + bottom)
    w = extent(draw, kw, dw, left + right)
    return dict(
        n=draw(st.integers(0, 2)), c_in=groups * c_per_group, c_out=groups * out_per_group,
        h=h, w=w, kernel=(kh, kw), stride=stride, padding=padding,
        dilation=draw(st.sampled_from([(dh, dw), dh])) if dh == dw else (dh, dw),
        groups=groups, bias=draw(st.booleans()),
    )


@given(cfg=conv_configs(), dtype=dtypes, layout=layouts, seed=st.integers(0, 2**32 - 1),
       integers=st.booleans())
def test_conv2d_random(cfg, dtype, layout, seed, integers):
    note(repr(cfg))
    rng = np.random.default_rng(seed)
    x_shape = (cfg["n"], cfg["c_in"], cfg["h"], cfg["w"])
    w_shape = (cfg["c_out"], cfg["c_in"] // cfg["groups"]) + cfg["kernel"]
    if integers:
        x = rng.integers(-3, 4, x_shape).astype(dtype)
        wt = rng.integers(-2, 3, w_shape).astype(dtype)
        b = rng.integers(-3, 4, cfg["c_out"]).astype(dtype) if cfg["bias"] else None
    else:
        x = rng.standard_normal(x_shape).astype(dtype)
        wt = rng.standard_normal(w_shape).astype(dtype)
        b = rng.standard_normal(cfg["c_out"]).astype(dtype) if cfg["bias"] else None
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
              groups=cfg["groups"])
    ref = R.conv2d(x, wt, b, **kw)
    xl = apply_layout(x, layout)
    x0 = xl.copy()
    y = cc.conv2d(xl, wt, b, **kw)
    np.testing.assert_array_equal(xl, x0)
    if integers:
        assert_exact(y, ref, dtype)
    else:
        assert_close(y, ref, dtype)


@st.composite
def pool_configs(draw, with_dilation):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dh, dw = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) if with_dilation else (1, 1)
    form = draw(st.sampled_from(["int", "pair", "sides"]))
    if form == "int":
        p = draw(st.integers(0, min(kh, kw) // 2))
        padding, sides = p, (p, p, p, p)
    elif form == "pair":
        ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))
        padding, sides = (ph, pw), (ph, ph, pw, pw)
    else:
        sides = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kh // 2)),
                 draw(st.integers(0, kw // 2)), draw(st.integers(0, kw // 2)))
        padding = ((sides[0], sides[1]), (sides[2], sides[3]))
    stride = draw(st.one_of(st.none(), st.integers(1, 3),
                            st.tuples(st.integers(1, 3), st.integers(1, 3))))
    ceil = draw(st.booleans())
    h = extent(draw, kh, dh, sides[0] + sides[1])
    w = extent(draw, kw, dw, sides[2] + sides[3])
    cfg = dict(n=draw(st.integers(0, 2)), c=draw(st.integers(0, 6)), h=h, w=w,
               kernel_size=(kh, kw) if kh != kw or draw(st.booleans()) else kh,
               stride=stride, padding=padding, ceil_mode=ceil)
    if with_dilation:
        cfg["dilation"] = (dh, dw)
    return cfg


@given(cfg=pool_configs(with_dilation=True), dtype=dtypes, layout=layouts,
       seed=st.integers(0, 2**32 - 1), specials=st.booleans())
def test_max_pool2d_random(cfg, dtype, layout, seed, specials):
    note(repr(cfg))
    rng = np.random.default_rng(seed)
    shape = (cfg.pop("n"), cfg.pop("c"), cfg.pop("h"), cfg.pop("w"))
    x = rng.integers(-4, 5, shape).astype(dtype)  # ties are common
    if specials:
        r = rng.random(shape)
        x[r < 0.1] = np.nan
        x[(r >= 0.1) & (r < 0.3)] = -np.inf
    ry, ri = R.max_pool2d(x, **cfg)
    xl = apply_layout(x, layout)
    y, idx = cc.max_pool2d(xl, return_indices=True, **cfg)
    assert_exact(y, ry, dtype)
    assert idx.shape == ri.shape and idx.dtype == np.int64
    assert np.all(idx >= 0) and np.all(idx < shape[2] * shape[3])
    # with several NaN in a window any of them is the right index; elsewhere it is exact
    single = ~np.isnan(ry)
    if idx.size:
        picked = np.take_along_axis(x.reshape(shape[0], shape[1], -1),
                                    idx.reshape(shape[0], shape[1], -1), axis=2)
        assert np.isnan(picked.reshape(idx.shape)[~single]).all()
    assert_maxpool_indices(np.where(single, idx, 0), np.where(single, ri, 0), shape[2] * shape[3])
    assert_exact(cc.max_pool2d(xl, **cfg), ry, dtype)


@given(cfg=pool_configs(with_dilation=False), dtype=dtypes, layout=layouts,
       seed=st.integers(0, 2**32 - 1), cip=st.booleans(),
       divisor=st.one_of(st.none(), st.integers(-5, 9).filter(bool)))
def test_avg_pool2d_random(cfg, dtype, layout, seed, cip, divisor):
    note(repr(cfg))
    rng = np.random.default_rng(seed)
    shape = (cfg.pop("n"), cfg.pop("c"), cfg.pop("h"), cfg.pop("w"))
    x = rng.standard_normal(shape).astype(dtype)
    kw = dict(cfg, count_include_pad=cip, divisor_override=divisor)
    ref = R.avg_pool2d(x, **kw)
    y = cc.avg_pool2d(apply_layout(x, layout), **kw)
    assert_close(y, ref, dtype)
    assert not np.isnan(y).any()


@given(n=st.integers(0, 2), c=st.integers(0, 6), h=st.integers(1, 12), w=st.integers(1, 12),
       dtype=dtypes, layout=layouts, seed=st.integers(0, 2**32 - 1))
def test_global_pools_random(n, c, h, w, dtype, layout, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    if x.size and rng.random() < 0.5:
        x.flat[rng.integers(x.size)] = np.nan
    xl = apply_layout(x, layout)
    assert_close(cc.global_avg_pool2d(xl), R.global_avg_pool2d(x), dtype)
    assert_exact(cc.global_max_pool2d(xl), R.global_max_pool2d(x), dtype)
