"""The argument rules of convcore: one function per kind of argument, used by the functional
API, the nn layers, the optimizers and the data sets alike. Each returns the value
normalised (ints as int, tuples as tuples of ints, padding per side) or raises TypeError
for a wrong type and ValueError for a wrong value, naming the argument.

The rules (docs/design.md, "Arguments"):
  - An int is an int or a NumPy integer, never a bool, and lies within +-2**62 (the core
    works in int64 and multiplies a few of them in its overflow checks); seeds alone may
    be larger.
  - A bool is a bool or numpy.bool_, never an int: a 0/1 flag is too often a positional
    argument in the wrong place.
  - Spatial arguments take an int (every axis) or a tuple (or list) of one int per axis,
    for spatial rank 1, 2 or 3.
  - Padding takes, per axis, an int (both sides) or a (before, after) pair, for rank 1 (an
    int, (before, after) or ((before, after),)), 2 (int, (ph, pw), ((top, bottom),
    (left, right)), or a mix) or 3; convolutions also take "same" (stride 1 only; an odd
    total puts the extra row/column at the end) and "valid". Normalised padding is a tuple
    of (before, after) pairs, one per axis.
Shape consistency (channels, kernel against input) is the core's: it checks each call.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from convcore import _core

# Integers beyond this are rejected up front: the core works in int64 and products of a
# few such values must still be representable for its overflow checks.
INT_LIMIT = 1 << 62
_INT64_MAX = (1 << 63) - 1

_AXES = {1: "(w,)", 2: "a pair (h, w)", 3: "a triple (d, h, w)"}
_PAD_FORMS = {
    1: "an int, (left, right) or ((left, right),)",
    2: "an int, (ph, pw) or ((top, bottom), (left, right))",
    3: "an int, (pd, ph, pw) or ((front, back), (top, bottom), (left, right))",
}

# ------------------------------------------------------------------------ scalars


def _integral(name: str, value: Any) -> int:
    """value as an int: an int or a NumPy integer, never a bool (TypeError otherwise)."""
    if type(value) is int:  # the common case first: the checks below cost a microsecond
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def int_arg(name: str, value: Any, minimum: int | None = None,
            maximum: int | None = None) -> int:
    value = _integral(name, value)
    if value > INT_LIMIT or value < -INT_LIMIT:
        raise ValueError(f"{name} is out of range: {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def float_arg(name: str, value: Any, minimum: float | None = None,
              maximum: float | None = None, *, min_open: bool = False,
              max_open: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    if minimum is not None and (value < minimum or (min_open and value == minimum)):
        raise ValueError(f"{name} must be {'>' if min_open else '>='} {minimum}, got {value}")
    if maximum is not None and (value > maximum or (max_open and value == maximum)):
        raise ValueError(f"{name} must be {'<' if max_open else '<='} {maximum}, got {value}")
    return value


def bool_arg(name: str, value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")


def choice_arg(name: str, value: Any, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def dtype_arg(name: str, value: Any) -> np.dtype:
    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64, got {value!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be float32 or float64, got {dt}")
    return dt


def seed_int_arg(name: str, value: Any) -> int:
    """A seed: a non-negative int of any size (what numpy.random.default_rng takes)."""
    value = _integral(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def seed_arg(name: str, value: Any):
    """None, a numpy Generator, or a seed (seed_int_arg)."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    return seed_int_arg(name, value)


# --------------------------------------------------------------- spatial arguments


def _plain_ints(value, rank, minimum):
    """value is already a rank-tuple of ints in [minimum, INT_LIMIT] (a normalised
    argument, taken as it is)."""
    return (type(value) is tuple and len(value) == rank and
            all(type(v) is int and minimum <= v <= INT_LIMIT for v in value))


def tuple_arg(name: str, value: Any, rank: int, minimum: int) -> tuple[int, ...]:
    """An int (every axis) or one int per axis -> a rank-tuple, each >= minimum."""
    if _plain_ints(value, rank, minimum):
        return value
    if isinstance(value, (tuple, list)):
        if len(value) != rank:
            raise ValueError(f"{name} must be an int or {_AXES[rank]}, got {value!r}")
        out = tuple(int_arg(name, v) for v in value)
    else:
        out = (int_arg(name, value),) * rank
    if min(out) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return out


def padding_arg(value: Any, rank: int, *, strings: bool = True):
    """Padding in any of its forms -> ((before, after), ...) per axis, or "same" / "valid"
    (strings: convolutions only)."""
    if type(value) is int and 0 <= value <= INT_LIMIT:
        return ((value, value),) * rank
    if type(value) is tuple and len(value) == rank and all(_plain_ints(p, 2, 0) for p in value):
        return value  # normalised already
    if isinstance(value, str):
        if not strings:
            raise ValueError(f"padding must be numbers for pooling, got {value!r}")
        if value not in ("same", "valid"):
            raise ValueError(f"padding must be 'same', 'valid' or numbers, got {value!r}")
        return value
    if isinstance(value, (tuple, list)):
        axes = list(value)
        if rank == 1 and len(axes) == 2 and not any(isinstance(a, (tuple, list)) for a in axes):
            axes = [tuple(axes)]  # (left, right)
        if len(axes) != rank:
            raise ValueError(f"padding must be {_PAD_FORMS[rank]}, got {value!r}")
        sides = []
        for axis in axes:
            if isinstance(axis, (tuple, list)):
                if len(axis) != 2:
                    raise ValueError(f"padding: each axis needs (before, after), got {value!r}")
                sides.append((int_arg("padding", axis[0]), int_arg("padding", axis[1])))
            else:
                a = int_arg("padding", axis)
                sides.append((a, a))
        pads = tuple(sides)
    else:
        a = int_arg("padding", value)
        pads = ((a, a),) * rank
    if min(min(p) for p in pads) < 0:
        raise ValueError(f"padding must be >= 0, got {value!r}")
    return pads


def compact_padding(padding):
    """Normalised padding (padding_arg's result) in its shortest form, which layers keep
    and show: "same" / "valid"; one int when every side is the same; one int per axis when
    every axis is symmetric; else the (before, after) pairs."""
    if isinstance(padding, str) or any(a != b for a, b in padding):
        return padding
    per_axis = tuple(a for a, _ in padding)
    return per_axis[0] if len(set(per_axis)) == 1 else per_axis


def same_padding(kernel: tuple[int, ...], dilation: tuple[int, ...]):
    """The per-side padding of padding="same": the total dilation * (kernel - 1) per axis,
    the odd one at the end (torch's rule)."""
    pads = []
    largest = 0
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
        largest = max(largest, total - total // 2)
    if largest > INT_LIMIT:  # the core takes int64 padding
        raise ValueError(f"padding='same' with dilation={dilation!r} and kernel {kernel} needs "
                         f"padding {pads}, which is out of range")
    return tuple(pads)


def resolve_padding(padding, kernel: tuple[int, ...], stride: tuple[int, ...],
                    dilation: tuple[int, ...]):
    """Normalised padding (padding_arg's result) with the strings made explicit."""
    if type(padding) is not str:
        return padding
    if padding == "valid":
        return ((0, 0),) * len(kernel)
    if padding == "same":
        if stride != (1,) * len(stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
        return same_padding(kernel, dilation)
    return padding


def groups_arg(value: Any, in_channels: int, out_channels: int) -> int:
    """groups >= 1, dividing both channel counts."""
    g = int_arg("groups", value)
    if g < 1:
        raise ValueError(f"groups must be >= 1, got {value!r}")
    if in_channels % g or out_channels % g:
        raise ValueError(
            f"groups={g} must divide both in_channels={in_channels} and out_channels={out_channels}"
        )
    return g


def pool_padding_arg(value: Any, kernel: tuple[int, ...]):
    """Pooling padding (numbers only), at most half the kernel on every side (torch's
    rule)."""
    pads = padding_arg(value, len(kernel), strings=False)
    if any(max(p) > k // 2 for p, k in zip(pads, kernel)):
        raise ValueError(
            f"padding must be at most half the kernel size (kernel_size={kernel}), "
            f"got padding={value!r}"
        )
    return pads


def divisor_arg(value: Any) -> int | None:
    """divisor_override: None, or a non-zero int (negative divisors are torch's too)."""
    if value is None:
        return None
    d = int_arg("divisor_override", value)
    if d == 0:
        raise ValueError("divisor_override must not be zero")
    return d


def kernel_arg(value: Any, rank: int) -> tuple[int, ...]:
    """A pooling kernel: >= 1 per axis, with a window whose element count fits int64."""
    kernel = tuple_arg("kernel_size", value, rank, 1)
    if math.prod(kernel) > _INT64_MAX:
        raise ValueError(
            f"kernel_size: the window's element count overflows int64, got {value!r}")
    return kernel


# ------------------------------------------------------------------- descriptors


def conv_desc(stride, padding, dilation, groups: int, kernel: tuple[int, ...]) -> _core.ConvDesc:
    """The core's descriptor of a convolution from normalised or raw arguments: stride and
    dilation by tuple_arg, padding by padding_arg and resolved for this kernel; groups is
    an int already checked against the channels (groups_arg)."""
    rank = len(kernel)
    s = tuple_arg("stride", stride, rank, 1)
    d = tuple_arg("dilation", dilation, rank, 1)
    pads = resolve_padding(padding_arg(padding, rank), kernel, s, d)
    return _core.ConvDesc(s, pads, d, groups)


def pool_desc(kernel_size, stride, padding, dilation, ceil_mode, count_include_pad=True,
              divisor_override=None, *, rank: int = 2) -> _core.PoolDesc:
    """The core's descriptor of a pooling window; stride None means the kernel size."""
    kernel = kernel_arg(kernel_size, rank)
    s = kernel if stride is None else tuple_arg("stride", stride, rank, 1)
    pads = pool_padding_arg(padding, kernel)
    d = tuple_arg("dilation", dilation, rank, 1)
    div = divisor_arg(divisor_override)
    return _core.PoolDesc(kernel, s, pads, d, bool_arg("ceil_mode", ceil_mode),
                          bool_arg("count_include_pad", count_include_pad), div or 0)


# ------------------------------------------------------------ saved configurations


def jsonable(value):
    """Tuples as lists, for a layer's JSON configuration."""
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value


def untuple(value):
    """The inverse of jsonable: lists back to tuples."""
    if isinstance(value, list):
        return tuple(untuple(v) for v in value)
    return value
