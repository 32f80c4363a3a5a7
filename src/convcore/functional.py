"""Public functional API: argument parsing and validation with messages that name the
argument, dtype conversion (docs/api.md), then one call into the compiled core."""
from __future__ import annotations

from typing import Any, Literal, Union

import numpy as np
import numpy.typing as npt

from convcore import _core
from convcore._args import (
    bool_arg,
    conv_desc,
    groups_arg,
    int_arg,
    pool_desc,
    tuple_arg,
)

__all__ = [
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "global_avg_pool2d",
    "global_max_pool2d",
    "conv2d_backward",
    "max_pool2d_backward",
    "avg_pool2d_backward",
    "get_num_threads",
    "set_num_threads",
]

IntPair = Union[int, tuple[int, int]]
Padding = Union[int, tuple[int, int], tuple[tuple[int, int], tuple[int, int]], Literal["same", "valid"]]
PoolPadding = Union[int, tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]
Array = npt.NDArray[Any]

# 0 means "OpenMP's default at call time" (OMP_NUM_THREADS, threadpoolctl).
_num_threads = 0


def get_num_threads() -> int:
    """Threads each call uses: the value of set_num_threads, else OpenMP's default."""
    return _num_threads if _num_threads > 0 else _core.max_threads()


def set_num_threads(n: int | None) -> None:
    """Use n threads per call (n >= 1); None goes back to OpenMP's default, which follows
    OMP_NUM_THREADS and threadpoolctl.threadpool_limits."""
    global _num_threads
    if n is None:
        _num_threads = 0
        return
    value = int_arg("n", n)
    if value < 1 or value > 4096:
        raise ValueError(f"n must be between 1 and 4096 (or None), got {n!r}")
    _num_threads = value


def set_winograd(enabled: bool) -> None:
    """Allow (True, the default) or forbid Winograd for float32 3x3 stride-1 convolutions
    with enough channels: F(4x4, 3x3) (4x fewer multiplications, float32 error about 2e-6
    relative (L2) instead of about 5e-8 for the direct sum) and, for the widest layers,
    F(2x2, 3x3) (2.25x fewer, about as accurate as the direct sum). Neither is exact on
    small integers. Process-wide, like set_num_threads."""
    if not isinstance(enabled, (bool, np.bool_)):
        raise TypeError(f"enabled must be a bool, got {type(enabled).__name__} {enabled!r}")
    _core.set_winograd(bool(enabled))


def get_winograd() -> bool:
    """Whether float32 3x3 stride-1 convolutions may use Winograd (see set_winograd)."""
    return _core.get_winograd()


# ------------------------------------------------------------------------ arrays

def _array(name, a):
    """Any array-like -> ndarray the core can read: float32/float64 per the dtype table,
    native byte order, aligned, strides in whole elements. Copies only when needed and
    never writes to the caller's array."""
    if isinstance(a, np.ndarray):
        arr = a
    else:
        try:
            arr = np.asarray(a)
        except (ValueError, TypeError) as exc:
            raise TypeError(f"{name} could not be converted to an array: {exc}") from None
    if not arr.dtype.isnative and arr.dtype.kind in "biuf":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    kind = arr.dtype.kind
    if arr.dtype == np.float32 or arr.dtype == np.float64:
        pass
    elif kind == "f" and arr.dtype.itemsize == 2:
        arr = arr.astype(np.float32)
    elif kind in "biu":
        arr = arr.astype(np.float64)
    else:
        raise TypeError(
            f"{name} must hold real numbers (float32/float64; float16, ints and bools are "
            f"converted), got dtype {arr.dtype}"
        )
    item = arr.dtype.itemsize
    if not arr.flags.aligned or any(s % item for s in arr.strides):
        arr = np.array(arr, order="C", copy=True)
    return arr


def _same_dtype(**arrays):
    dtypes = {k: v.dtype for k, v in arrays.items() if v is not None}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{k}: {v}" for k, v in dtypes.items())
        raise TypeError(f"all arrays of one call must share a dtype, got {listed}")


def _input(x: Any) -> tuple[Array, bool]:
    """(x as 4-D, was_unbatched)."""
    x = _array("x", x)
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x[np.newaxis], True
    raise ValueError(f"x must be 4-D (N, C, H, W) or 3-D (C, H, W), got shape {x.shape}")


# --------------------------------------------------------------------------- conv2d

def _conv_params(c_in, w_shape, stride, padding, dilation, groups):
    """The core's descriptor of a convolution, its arguments checked (convcore._args) and
    the groups against the input's channel count and the weight's shape."""
    s = tuple_arg("stride", stride, 2, 1)
    d = tuple_arg("dilation", dilation, 2, 1)
    g = groups_arg(groups, c_in, w_shape[0])
    if w_shape[1] * g != c_in:
        raise ValueError(
            f"weight: expected in_channels/groups = {c_in // g} (input has {c_in} channels, "
            f"groups={g}), got weight of shape {w_shape}"
        )
    kernel = tuple(w_shape[2:])
    if min(kernel) < 1:
        raise ValueError(f"weight: kernel size must be >= 1, got shape {w_shape}")
    return conv_desc(s, padding, d, g, kernel)


def conv2d(x: npt.ArrayLike, weight: npt.ArrayLike, bias: npt.ArrayLike | None = None,
           stride: IntPair = 1, padding: Padding = 0, dilation: IntPair = 1, groups: int = 1,
           *, out: Array | None = None) -> Array:
    """2-D convolution (cross-correlation) with torch.nn.functional.conv2d's semantics.

    x (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in // groups, kH, kW);
    bias (C_out,) or None; stride, dilation: int or (h, w); padding: int, (ph, pw),
    ((top, bottom), (left, right)), "same" or "valid"; groups divides C_in and C_out.
    out: optional C-contiguous array of the result's shape and dtype to write into.
    """
    if out is None:
        # plain arrays and int parameters go straight to the core; anything that needs a
        # conversion or an error message takes the general path below
        y = _core.conv2d_fast(x, weight, bias, stride, padding, dilation, groups, _num_threads)
        if y is not None:
            return y
    xa, unbatched, w, b, desc = _conv2d_args(x, weight, bias, stride, padding, dilation, groups)
    if out is not None:
        _check_out(out, xa.dtype, unbatched, x=xa, weight=w, bias=b)
    y = _core.conv2d(xa, w, b, desc, out, _num_threads)
    if out is not None:
        return out
    return y[0] if unbatched else y


def _conv2d_args(x, weight, bias, stride, padding, dilation, groups):
    """conv2d's arguments checked and converted: (x 4-D, unbatched, weight, bias, desc)."""
    xa, unbatched = _input(x)
    w = _array("weight", weight)
    if w.ndim != 4:
        raise ValueError(
            f"weight must be 4-D (out_channels, in_channels/groups, kH, kW), got shape {w.shape}"
        )
    b = None
    if bias is not None:
        b = _array("bias", bias)
        if b.ndim != 1 or b.shape[0] != w.shape[0]:
            raise ValueError(
                f"bias must be 1-D of length out_channels={w.shape[0]}, got shape {b.shape}"
            )
    _same_dtype(x=xa, weight=w, bias=b)
    desc = _conv_params(xa.shape[1], w.shape, stride, padding, dilation, groups)
    return xa, unbatched, w, b, desc


def _check_out(out, dtype, unbatched, **inputs):
    """What conv2d's out must be besides its shape (which the core's check gives)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    ndim = 3 if unbatched else 4
    if out.ndim != ndim:
        raise ValueError(f"out must be {ndim}-D like the result, got shape {out.shape}")
    if out.dtype != dtype:
        raise TypeError(f"out must have dtype {dtype}, got {out.dtype}")
    if not (out.flags.c_contiguous and out.flags.writeable and out.flags.aligned
            and out.dtype.isnative):
        raise ValueError("out must be C-contiguous, aligned, writeable and in native byte order")
    for name, arr in inputs.items():
        if arr is not None and np.may_share_memory(out, arr):
            raise ValueError(f"out must not overlap {name}")


# -------------------------------------------------------------------------- pooling

def max_pool2d(x: npt.ArrayLike, kernel_size: IntPair, stride: IntPair | None = None,
               padding: PoolPadding = 0, dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """Max pooling with torch.nn.functional.max_pool2d's semantics: implicit -inf padding,
    NaN propagates, ties go to the first maximum. With return_indices, also returns int64
    indices h * W + w within each (n, c) plane."""
    xa, unbatched = _input(x)
    desc = pool_desc(kernel_size, stride, padding, dilation, ceil_mode)
    ri = bool_arg("return_indices", return_indices)
    if xa.shape[2] == 0 or xa.shape[3] == 0:
        # padding could give windows, but none has an element (or an index) to take
        raise ValueError(f"x must have H, W >= 1 for max pooling, got shape {xa.shape}")
    res = _core.max_pool2d(xa, desc, ri, _num_threads)
    if unbatched:
        return (res[0][0], res[1][0]) if ri else res[0]
    return res


def avg_pool2d(x: npt.ArrayLike, kernel_size: IntPair, stride: IntPair | None = None,
               padding: PoolPadding = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Array:
    """Average pooling with torch.nn.functional.avg_pool2d's semantics (zero padding,
    count_include_pad, divisor_override, ceil_mode windows)."""
    xa, unbatched = _input(x)
    desc = pool_desc(kernel_size, stride, padding, 1, ceil_mode, count_include_pad,
                     divisor_override)
    y = _core.avg_pool2d(xa, desc, _num_threads)
    return y[0] if unbatched else y


def _global(x, is_max):
    xa, unbatched = _input(x)
    if xa.shape[2] == 0 or xa.shape[3] == 0:
        raise ValueError(f"x must have H, W >= 1 for global pooling, got shape {xa.shape}")
    y = _core.global_pool2d(xa, is_max, _num_threads)
    return y[0] if unbatched else y


def global_avg_pool2d(x: npt.ArrayLike) -> Array:
    """Mean over each (n, c) plane: (N, C, H, W) -> (N, C, 1, 1)."""
    return _global(x, False)


def global_max_pool2d(x: npt.ArrayLike) -> Array:
    """Max over each (n, c) plane, NaN propagating: (N, C, H, W) -> (N, C, 1, 1)."""
    return _global(x, True)


# ------------------------------------------------------------------------- backward

def _grad_output(grad_output, unbatched):
    g = _array("grad_output", grad_output)
    want = 3 if unbatched else 4
    if g.ndim != want:
        raise ValueError(f"grad_output must be {want}-D like the forward output, got shape {g.shape}")
    return g[np.newaxis] if unbatched else g


def _input_shape(input_shape):
    """(N, C, H, W) or (C, H, W) of non-negative ints -> (4-tuple, was_unbatched)."""
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) not in (3, 4):
        raise ValueError(f"input_shape must be (N, C, H, W) or (C, H, W), got {input_shape!r}")
    shape = tuple(int_arg("input_shape", v) for v in input_shape)
    if min(shape) < 0:
        raise ValueError(f"input_shape must be non-negative, got {input_shape!r}")
    return ((1,) + shape, True) if len(shape) == 3 else (shape, False)


def conv2d_backward(grad_output: npt.ArrayLike, x: npt.ArrayLike, weight: npt.ArrayLike,
                    stride: IntPair = 1, padding: Padding = 0, dilation: IntPair = 1,
                    groups: int = 1, *, input_grad: bool = True, weight_grad: bool = True,
                    bias_grad: bool = True) -> tuple[Array | None, Array | None, Array | None]:
    """Gradients of conv2d with respect to input, weight and bias, given grad_output
    (dL/dy). Returns (grad_input, grad_weight, grad_bias); those not asked for are None.
    Weight and bias gradients are bit-identical for any thread count."""
    xa, unbatched = _input(x)
    w = _array("weight", weight)
    if w.ndim != 4:
        raise ValueError(
            f"weight must be 4-D (out_channels, in_channels/groups, kH, kW), got shape {w.shape}"
        )
    g = _grad_output(grad_output, unbatched)
    _same_dtype(grad_output=g, x=xa, weight=w)
    desc = _conv_params(xa.shape[1], w.shape, stride, padding, dilation, groups)
    dx, dw, db = _core.conv2d_backward(
        g, xa, w, desc, bool_arg("input_grad", input_grad), bool_arg("weight_grad", weight_grad),
        bool_arg("bias_grad", bias_grad), _num_threads,
    )
    if unbatched and dx is not None:
        dx = dx[0]
    return dx, dw, db


def max_pool2d_backward(grad_output: npt.ArrayLike, indices: npt.ArrayLike,
                        input_shape: tuple[int, ...]) -> Array:
    """Gradient of max_pool2d: each grad_output element goes to the input position its
    index names (indices from max_pool2d(..., return_indices=True)). Indices are checked
    to lie inside their plane."""
    shape, unbatched = _input_shape(input_shape)
    g = _grad_output(grad_output, unbatched)
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers, got dtype {idx.dtype}")
    if idx.dtype != np.int64 or not idx.dtype.isnative or not idx.flags.aligned:
        idx = idx.astype(np.int64)
    if unbatched:
        idx = idx[np.newaxis] if idx.ndim == 3 else idx
    if idx.shape != g.shape:
        raise ValueError(f"indices must have grad_output's shape {g.shape}, got {idx.shape}")
    if g.shape[0] != shape[0] or g.shape[1] != shape[1]:
        raise ValueError(
            f"input_shape {input_shape!r} does not match grad_output's batch and channels {g.shape[:2]}"
        )
    dx = _core.max_pool2d_backward(g, idx, shape, _num_threads)
    return dx[0] if unbatched else dx


def avg_pool2d_backward(grad_output: npt.ArrayLike, input_shape: tuple[int, ...],
                        kernel_size: IntPair, stride: IntPair | None = None,
                        padding: PoolPadding = 0, ceil_mode: bool = False,
                        count_include_pad: bool = True,
                        divisor_override: int | None = None) -> Array:
    """Gradient of avg_pool2d with the same arguments as the forward call."""
    shape, unbatched = _input_shape(input_shape)
    g = _grad_output(grad_output, unbatched)
    desc = pool_desc(kernel_size, stride, padding, 1, ceil_mode, count_include_pad,
                     divisor_override)
    dx = _core.avg_pool2d_backward(g, shape, desc, _num_threads)
    return dx[0] if unbatched else dx
