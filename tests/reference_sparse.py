"""A second, independent reference for every op, forward and backward, that never builds a
padded copy of its input: per output position it lists the kernel taps that land inside
the input (exact Python-integer arithmetic), so padding, kernels, strides and dilations
may be as large as int64 allows, and inputs may be huge zero-stride views, as long as
the number of in-bounds taps is small. float64 accumulation; slow and obviously correct.

Written from the definitions (torch.nn.functional semantics), like reference.py, but
sharing no code with it: the argument fuzzer uses it where reference.py cannot allocate.
Arguments here are already parsed: pairs (h, w) of ints, pads (top, bottom, left, right).
"""

import numpy as np


def ceil_div(a, b):
    return -((-a) // b)


def conv_out(size, k, s, pa, pb, d):
    """Output size of a convolution axis, or <= 0 when there is none."""
    return (size + pa + pb - d * (k - 1) - 1) // s + 1


def pool_out(size, k, s, pa, pb, d, ceil):
    span = size + pa + pb - d * (k - 1) - 1
    if ceil:
        out = ceil_div(span, s) + 1
        if out >= 1 and (out - 1) * s >= size + pa:  # the last window starts in the padding
            out -= 1
    else:
        out = span // s + 1
    return out


def axis_taps(n_out, size, k, s, pa, d):
    """For each output position o: (taps, coords), the kernel taps t in [0, k) whose input
    coordinate o * s - pa + t * d lies in [0, size), in increasing order."""
    plan = []
    for o in range(n_out):
        start = o * s - pa
        lo = max(0, ceil_div(-start, d))
        hi = min(k - 1, (size - 1 - start) // d)
        taps = list(range(lo, hi + 1)) if lo <= hi else []
        plan.append((taps, [start + t * d for t in taps]))
    return plan


def _x64(x):
    return np.asarray(x).astype(np.float64, copy=False)


def conv2d(x, w, b, stride, pads, dilation, groups):
    """x (N, C, H, W), w (K, C/groups, kh, kw), b (K,) or None -> y (N, K, OH, OW).
    Taps over the padding contribute 0 * w, so a non-finite weight there gives NaN, as a
    zero-padded convolution does."""
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    (sh, sw), (dh, dw) = stride, dilation
    pt, pb, pl, pr = pads
    oh, ow = conv_out(h, kh, sh, pt, pb, dh), conv_out(wd, kw, sw, pl, pr, dw)
    kg = k // groups
    y = np.zeros((n, k, oh, ow))
    if n == 0 or k == 0 or cg == 0:  # nothing to sum (groups may be huge here)
        return y + (0 if b is None else _x64(b).reshape(1, k, 1, 1))
    rows = axis_taps(oh, h, kh, sh, pt, dh)
    cols = axis_taps(ow, wd, kw, sw, pl, dw)
    bad_w = None
    if w.size and not np.isfinite(w).all():
        bad_w = ~np.isfinite(_x64(w))
    for i, (ti, ih) in enumerate(rows):
        for j, (tj, iw) in enumerate(cols):
            if ti and tj:
                patch = _x64(x[:, :, ih][:, :, :, iw])          # (n, c, r, s)
                wsub = _x64(w[:, :, ti][:, :, :, tj])           # (k, cg, r, s)
                for g in range(groups):
                    y[:, g * kg:(g + 1) * kg, i, j] = np.einsum(
                        "ncrs,kcrs->nk", patch[:, g * cg:(g + 1) * cg], wsub[g * kg:(g + 1) * kg])
            if bad_w is not None and (len(ti) < kh or len(tj) < kw):
                inside = np.zeros((kh, kw), bool)
                inside[np.ix_(ti, tj)] = True
                over_pad = bad_w[:, :, ~inside].any(axis=(1, 2))   # (k,)
                y[:, over_pad, i, j] = np.nan
    if b is not None:
        y += _x64(b).reshape(1, k, 1, 1)
    return y


def conv2d_backward(dy, x, w, stride, pads, dilation, groups):
    """(dx, dw, db) of conv2d given dy (N, K, OH, OW); the transpose of conv2d above."""
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    (sh, sw), (dh, dw_) = stride, dilation
    pt, pb, pl, pr = pads
    oh, ow = dy.shape[2], dy.shape[3]
    kg = k // groups
    dy = _x64(dy)
    dx = np.zeros((n, c, h, wd))
    dw = np.zeros((k, cg, kh, kw))
    db = dy.sum(axis=(0, 2, 3))
    if n == 0 or k == 0 or cg == 0:  # no products (groups may be huge here)
        return dx, dw, db
    rows = axis_taps(oh, h, kh, sh, pt, dh)
    cols = axis_taps(ow, wd, kw, sw, pl, dw_)
    for i, (ti, ih) in enumerate(rows):
        for j, (tj, iw) in enumerate(cols):
            if not (ti and tj):
                continue
            patch = _x64(x[:, :, ih][:, :, :, iw])
            wsub = _x64(w[:, :, ti][:, :, :, tj])
            for g in range(groups):
                gk, gc = slice(g * kg, (g + 1) * kg), slice(g * cg, (g + 1) * cg)
                d = dy[:, gk, i, j]                                     # (n, kg)
                contrib = np.einsum("nk,kcrs->ncrs", d, wsub[gk])
                for a, hh in enumerate(ih):
                    for bb, ww in enumerate(iw):
                        dx[:, gc, hh, ww] += contrib[:, :, a, bb]
                gw = np.einsum("nk,ncrs->kcrs", d, patch[:, gc])
                dw[gk][:, :, np.array(ti)[:, None], np.array(tj)[None, :]] += gw
    return dx, dw, db


def max_pool2d(x, kernel, stride, pads, dilation, ceil):
    """(y, indices): NaN propagates, ties keep the first in row-major order; a window with
    no tap inside the input gives -inf and index -1 (any in-plane index is acceptable)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    pt, pb, pl, pr = pads
    oh, ow = pool_out(h, kh, sh, pt, pb, dh, ceil), pool_out(w, kw, sw, pl, pr, dw, ceil)
    y = np.full((n, c, oh, ow), -np.inf)
    idx = np.full((n, c, oh, ow), -1, np.int64)
    rows = axis_taps(oh, h, kh, sh, pt, dh)
    cols = axis_taps(ow, w, kw, sw, pl, dw)
    with np.errstate(invalid="ignore"):
        for i, (_, ih) in enumerate(rows):
            for j, (_, iw) in enumerate(cols):
                best = np.full((n, c), -np.inf)
                where = np.full((n, c), -1, np.int64)
                first = True
                for hh in ih:
                    for ww in iw:
                        v = _x64(x[:, :, hh, ww])
                        take = (v > best) | np.isnan(v)
                        if first:
                            where[:] = hh * w + ww  # an all -inf window: its first element
                            first = False
                        best = np.where(take, v, best)
                        where = np.where(take, hh * w + ww, where)
                y[:, :, i, j] = best
                idx[:, :, i, j] = where
    return y, idx


def _avg_windows(h, w, kernel, stride, pads, ceil, count_include_pad, divisor_override):
    """Per output (i, j): (rows [h0, h1), cols [w0, w1) inside the input, divisor)."""
    (kh, kw), (sh, sw) = kernel, stride
    pt, pb, pl, pr = pads
    oh, ow = pool_out(h, kh, sh, pt, pb, 1, ceil), pool_out(w, kw, sw, pl, pr, 1, ceil)
    out = {}
    for i in range(oh):
        hs = i * sh - pt
        he = min(hs + kh, h + pb)
        h0, h1 = max(hs, 0), min(he, h)
        for j in range(ow):
            ws = j * sw - pl
            we = min(ws + kw, w + pr)
            w0, w1 = max(ws, 0), min(we, w)
            if h0 >= h1 or w0 >= w1:
                out[i, j] = (h0, h0, w0, w0, 0)
                continue
            if divisor_override:
                div = divisor_override
            elif count_include_pad:
                div = (he - hs) * (we - ws)
            else:
                div = (h1 - h0) * (w1 - w0)
            out[i, j] = (h0, h1, w0, w1, div)
    return oh, ow, out


def avg_pool2d(x, kernel, stride, pads, ceil, count_include_pad, divisor_override):
    n, c, h, w = x.shape
    oh, ow, wins = _avg_windows(h, w, kernel, stride, pads, ceil, count_include_pad,
                                divisor_override)
    y = np.zeros((n, c, oh, ow))
    with np.errstate(invalid="ignore", over="ignore"):
        for (i, j), (h0, h1, w0, w1, div) in wins.items():
            if div:
                y[:, :, i, j] = _x64(x[:, :, h0:h1, w0:w1]).sum(axis=(2, 3)) / div
    return y


def avg_pool2d_backward(dy, x_shape, kernel, stride, pads, ceil, count_include_pad,
                        divisor_override):
    n, c, h, w = x_shape
    _, _, wins = _avg_windows(h, w, kernel, stride, pads, ceil, count_include_pad,
                              divisor_override)
    dy = _x64(dy)
    dx = np.zeros((n, c, h, w))
    for (i, j), (h0, h1, w0, w1, div) in wins.items():
        if div:
            dx[:, :, h0:h1, w0:w1] += (dy[:, :, i, j] / div)[:, :, None, None]
    return dx


def max_pool2d_backward(dy, indices, x_shape):
    n, c, h, w = x_shape
    dx = np.zeros((n * c, h * w))
    if dy.size:
        rows = np.repeat(np.arange(n * c), dy.shape[2] * dy.shape[3])
        np.add.at(dx, (rows, np.asarray(indices).reshape(-1)), _x64(dy).reshape(-1))
    return dx.reshape(n, c, h, w)


def global_avg_pool2d(x):
    with np.errstate(invalid="ignore", over="ignore"):
        return _x64(x).mean(axis=(2, 3), keepdims=True)


def global_max_pool2d(x):
    return _x64(x).max(axis=(2, 3), keepdims=True)
