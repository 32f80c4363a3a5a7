"""Slow, obviously-correct NumPy reference for convcore's forward ops (float64 accumulation).

Written from the definitions (torch.nn.functional semantics), not from any library's code.
Every function accepts the same argument forms as convcore (ints, pairs, asymmetric padding,
"same"/"valid" for conv), works on 3-D (unbatched) or 4-D NCHW input, and returns float64
(max pooling also returns int64 indices). Loops run over kernel taps or output positions;
batch and channels are vectorised with NumPy.
"""

import numpy as np

__all__ = [
    "pair",
    "conv_padding",
    "pool_padding",
    "conv_output_size",
    "pool_output_size",
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "global_avg_pool2d",
    "global_max_pool2d",
]


# ------------------------------------------------------------------ argument forms

def pair(value):
    """An int or a pair -> (h, w) tuple of Python ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"expected a pair, got {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _padding_sides(padding):
    """int | (ph, pw) | ((top, bottom), (left, right)) -> (top, bottom, left, right)."""
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2:
            raise ValueError(f"bad padding {padding!r}")
        ph, pw = padding
        if isinstance(ph, (tuple, list)):
            top, bottom = (int(v) for v in ph)
        else:
            top = bottom = int(ph)
        if isinstance(pw, (tuple, list)):
            left, right = (int(v) for v in pw)
        else:
            left = right = int(pw)
        return top, bottom, left, right
    p = int(padding)
    return p, p, p, p


def conv_padding(padding, kernel, dilation, stride=1):
    """Resolve conv2d padding (including "same"/"valid") to (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            if pair(stride) != (1, 1):
                raise ValueError("padding='same' needs stride 1")
            kh, kw = pair(kernel)
            dh, dw = pair(dilation)
            total_h = dh * (kh - 1)
            total_w = dw * (kw - 1)
            # The extra row/column (odd total) goes to the end, as torch does.
            return total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2
        raise ValueError(f"unknown padding {padding!r}")
    return _padding_sides(padding)


def pool_padding(padding):
    return _padding_sides(padding)


# ------------------------------------------------------------------ output sizes

def conv_output_size(size, kernel, stride, pad_begin, pad_end, dilation):
    """floor((in + pads - dilation*(k-1) - 1) / stride) + 1 in exact integer arithmetic."""
    span = dilation * (kernel - 1) + 1
    extent = size + pad_begin + pad_end - span
    if extent < 0:
        return 0
    return extent // stride + 1


def pool_output_size(size, kernel, stride, pad_begin, pad_end, dilation=1, ceil_mode=False):
    span = dilation * (kernel - 1) + 1
    extent = size + pad_begin + pad_end - span
    if ceil_mode:
        # True ceiling, also for a negative extent: ceil(-1 / 3) = 0 gives one window
        # (torch does the same; that window is clipped to the input).
        out = -(-extent // stride) + 1
        # Drop a last window that would start in the trailing padding.
        if out >= 1 and (out - 1) * stride >= size + pad_begin:
            out -= 1
    else:
        out = extent // stride + 1  # Python's // is floor division, also for negatives
    return max(out, 0)


# ------------------------------------------------------------------ helpers

def _as4d(x):
    x = np.asarray(x)
    if x.ndim == 3:
        return x[None], True
    if x.ndim != 4:
        raise ValueError(f"x must be 3-D or 4-D, got {x.ndim}-D")
    return x, False


def _tap_positions(out_size, stride, pad_begin, tap, dilation):
    """Input coordinate of kernel tap `tap` for every output position."""
    return np.arange(out_size, dtype=np.int64) * stride - pad_begin + tap * dilation


# ------------------------------------------------------------------ convolution

def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Cross-correlation as torch.nn.functional.conv2d, accumulated in float64."""
    x, unbatched = _as4d(x)
    x = np.asarray(x, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    n, c_in, h, w = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    if c_per_group * groups != c_in or c_out % groups:
        raise ValueError("channel/groups mismatch")
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    top, bottom, left, right = conv_padding(padding, (kh, kw), (dh, dw), (sh, sw))
    oh = conv_output_size(h, kh, sh, top, bottom, dh)
    ow = conv_output_size(w, kw, sw, left, right, dw)
    if oh < 1 or ow < 1:
        raise ValueError("empty output")

    padded = np.zeros((n, c_in, h + top + bottom, w + left + right), dtype=np.float64)
    padded[:, :, top:top + h, left:left + w] = x

    out_per_group = c_out // groups
    wg = weight.reshape(groups, out_per_group, c_per_group, kh, kw)
    y = np.zeros((n, groups, out_per_group, oh, ow), dtype=np.float64)
    for i in range(kh):
        r0 = i * dh
        for j in range(kw):
            c0 = j * dw
            patch = padded[:, :, r0:r0 + sh * (oh - 1) + 1:sh, c0:c0 + sw * (ow - 1) + 1:sw]
            assert patch.shape[2:] == (oh, ow)
            patch = patch.reshape(n, groups, c_per_group, oh, ow)
            y += np.einsum("ngchw,goc->ngohw", patch, wg[:, :, :, i, j])
    y = y.reshape(n, c_out, oh, ow)
    if bias is not None:
        y += np.asarray(bias, dtype=np.float64).reshape(1, c_out, 1, 1)
    return y[0] if unbatched else y


def conv2d_backward(grad_output, x, weight, stride=1, padding=0, dilation=1, groups=1):
    """(grad_input, grad_weight, grad_bias) of conv2d above, in float64: for every tap
    (i, j), the strided input patch it reads gets dy weighted by the tap (scatter), and
    the tap's weight gets the patch against dy (contraction)."""
    x = np.asarray(x, dtype=np.float64)
    weight = np.asarray(weight, dtype=np.float64)
    dy = np.asarray(grad_output, dtype=np.float64)
    n, c_in, h, w = x.shape
    c_out, c_per_group, kh, kw = weight.shape
    sh, sw = pair(stride)
    dh, dw = pair(dilation)
    top, bottom, left, right = conv_padding(padding, (kh, kw), (dh, dw), (sh, sw))
    oh = conv_output_size(h, kh, sh, top, bottom, dh)
    ow = conv_output_size(w, kw, sw, left, right, dw)
    assert dy.shape == (n, c_out, oh, ow)
    padded = np.zeros((n, c_in, h + top + bottom, w + left + right), dtype=np.float64)
    padded[:, :, top:top + h, left:left + w] = x
    grad_padded = np.zeros_like(padded)
    out_per_group = c_out // groups
    wg = weight.reshape(groups, out_per_group, c_per_group, kh, kw)
    dyg = dy.reshape(n, groups, out_per_group, oh, ow)
    grad_w = np.zeros((groups, out_per_group, c_per_group, kh, kw), dtype=np.float64)
    for i in range(kh):
        r0 = i * dh
        rows = slice(r0, r0 + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            c0 = j * dw
            cols = slice(c0, c0 + sw * (ow - 1) + 1, sw)
            patch = padded[:, :, rows, cols].reshape(n, groups, c_per_group, oh, ow)
            grad_w[:, :, :, i, j] = np.einsum("ngchw,ngohw->goc", patch, dyg)
            contrib = np.einsum("ngohw,goc->ngchw", dyg, wg[:, :, :, i, j])
            grad_padded[:, :, rows, cols] += contrib.reshape(n, c_in, oh, ow)
    grad_x = grad_padded[:, :, top:top + h, left:left + w]
    return grad_x, grad_w.reshape(weight.shape), dy.sum(axis=(0, 2, 3))


# ------------------------------------------------------------------ pooling

def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling as torch: returns (y float64, indices int64 flat h*W+w per plane).

    Per window the taps are visited in row-major order, starting from best=-inf and index =
    the first in-bounds tap; a tap replaces the best when `val > best or isnan(val)` (so NaN
    propagates, ties keep the first maximum, and padding never wins).

    A window that holds no input element at all (possible only when dilation skips over the
    whole input) gives -inf and index -1 here; torch gives -inf and an arbitrary index there,
    so tests only require an index inside [0, H*W) for those windows."""
    x, unbatched = _as4d(x)
    x = np.asarray(x, dtype=np.float64)
    n, c, h, w = x.shape
    kh, kw = pair(kernel_size)
    sh, sw = pair(kernel_size if stride is None else stride)
    dh, dw = pair(dilation)
    top, bottom, left, right = pool_padding(padding)
    oh = pool_output_size(h, kh, sh, top, bottom, dh, ceil_mode)
    ow = pool_output_size(w, kw, sw, left, right, dw, ceil_mode)
    if oh < 1 or ow < 1:
        raise ValueError("empty output")

    # Index of the first in-bounds tap of every window (row and column separately).
    first_row = np.full(oh, -1, dtype=np.int64)
    for i in range(kh):
        rows = _tap_positions(oh, sh, top, i, dh)
        take = (first_row < 0) & (rows >= 0) & (rows < h)
        first_row[take] = rows[take]
    first_col = np.full(ow, -1, dtype=np.int64)
    for j in range(kw):
        cols = _tap_positions(ow, sw, left, j, dw)
        take = (first_col < 0) & (cols >= 0) & (cols < w)
        first_col[take] = cols[take]
    has_any = (first_row[:, None] >= 0) & (first_col[None, :] >= 0)
    start_index = np.where(has_any, first_row[:, None] * w + first_col[None, :], -1)

    best = np.full((n, c, oh, ow), -np.inf, dtype=np.float64)
    index = np.broadcast_to(start_index, (n, c, oh, ow)).copy()
    with np.errstate(invalid="ignore"):
        for i in range(kh):
            rows = _tap_positions(oh, sh, top, i, dh)
            row_ok = (rows >= 0) & (rows < h)
            rows_c = np.clip(rows, 0, max(h - 1, 0))
            for j in range(kw):
                cols = _tap_positions(ow, sw, left, j, dw)
                col_ok = (cols >= 0) & (cols < w)
                cols_c = np.clip(cols, 0, max(w - 1, 0))
                ok = row_ok[:, None] & col_ok[None, :]
                vals = x[:, :, rows_c[:, None], cols_c[None, :]]
                update = ok & ((vals > best) | np.isnan(vals))
                best = np.where(update, vals, best)
                flat = rows[:, None] * w + cols[None, :]
                index = np.where(update, flat, index)
    if unbatched:
        return best[0], index[0]
    return best, index


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Average pooling with torch's divisor rules.

    Window [start, start + k) is first clipped to the padded input [-pad_begin, in + pad_end):
    that length gives the count_include_pad divisor. It is then clipped to the real input
    [0, in): that length gives the count_include_pad=False divisor. A window left with no
    input element gives 0. divisor_override, when set, replaces both."""
    x, unbatched = _as4d(x)
    x = np.asarray(x, dtype=np.float64)
    n, c, h, w = x.shape
    kh, kw = pair(kernel_size)
    sh, sw = pair(kernel_size if stride is None else stride)
    top, bottom, left, right = pool_padding(padding)
    oh = pool_output_size(h, kh, sh, top, bottom, 1, ceil_mode)
    ow = pool_output_size(w, kw, sw, left, right, 1, ceil_mode)
    if oh < 1 or ow < 1:
        raise ValueError("empty output")

    y = np.zeros((n, c, oh, ow), dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        for r in range(oh):
            h0 = r * sh - top
            h1 = min(h0 + kh, h + bottom)
            pool_h = h1 - h0
            h0c, h1c = max(h0, 0), min(h1, h)
            for s in range(ow):
                w0 = s * sw - left
                w1 = min(w0 + kw, w + right)
                pool_w = w1 - w0
                w0c, w1c = max(w0, 0), min(w1, w)
                if h0c >= h1c or w0c >= w1c:
                    y[:, :, r, s] = 0.0
                    continue
                total = x[:, :, h0c:h1c, w0c:w1c].sum(axis=(2, 3))
                if divisor_override is not None:
                    divisor = divisor_override
                elif count_include_pad:
                    divisor = pool_h * pool_w
                else:
                    divisor = (h1c - h0c) * (w1c - w0c)
                y[:, :, r, s] = total / divisor
    return y[0] if unbatched else y


def global_avg_pool2d(x):
    x, unbatched = _as4d(x)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        y = x.sum(axis=(2, 3), keepdims=True) / (x.shape[2] * x.shape[3])
    return y[0] if unbatched else y


def global_max_pool2d(x):
    x, unbatched = _as4d(x)
    x = np.asarray(x, dtype=np.float64)
    if x.shape[2] * x.shape[3] == 0:
        raise ValueError("empty plane")
    y = x.max(axis=(2, 3), keepdims=True)  # np.max propagates NaN
    return y[0] if unbatched else y
