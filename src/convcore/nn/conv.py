"""Conv2d, and the cache of Winograd-transformed filters an eval-mode Conv2d keeps."""
from __future__ import annotations

import math

import numpy as np

import convcore
from convcore import _core
from convcore import functional as F
from convcore._args import (
    bool_arg,
    compact_padding,
    dtype_arg,
    groups_arg,
    int_arg,
    jsonable,
    padding_arg,
    resolve_padding,
    seed_arg,
    tuple_arg,
)
from convcore.nn import init
from convcore.nn.module import Module
from convcore.nn.parameter import Parameter

__all__ = ["Conv2d"]


class _FilterCache:
    """Winograd-transformed filters that a layer keeps between calls (cc_wino_cache in
    csrc/winograd.h). Never stale: each call compares its weights bit for bit with the
    copy the filters were made from, and transforms them again when they differ. One call
    uses it at a time; a concurrent call transforms its own, as without a cache."""

    __slots__ = ("shape", "state", "w", "u")

    def __init__(self, shape, u_elems):
        self.shape = tuple(shape)
        self.state = np.zeros(2, np.int64)
        self.w = np.empty(int(np.prod(shape)), np.float32)
        # 64-byte aligned, like the core's own buffers (the GEMMs load whole vectors of u)
        buf = np.empty(u_elems + 16, np.float32)
        first = (-buf.ctypes.data // 4) % 16
        self.u = buf[first:first + u_elems]

    @classmethod
    def for_weight(cls, cache, weight):
        """cache when it suits float32 weights of this shape under the active kernels, a
        new one when not, None when Winograd never takes such weights."""
        n = _core.winograd_filter_elems(weight.shape) if weight.ndim == 4 else 0
        if n == 0 or weight.dtype != np.float32:
            return None
        if cache is not None and cache.shape == weight.shape and cache.u.size == n:
            return cache
        return cls(weight.shape, n)


def _conv2d_cached(x, weight, bias, stride, padding, dilation, groups, cache):
    """conv2d(x, weight, bias, ...) with a _FilterCache (or None: a plain call)."""
    xa, unbatched, w, b, desc = F._conv2d_args(x, weight, bias, stride, padding, dilation,
                                               groups)
    if cache is None or w.dtype != np.float32 or w.shape != cache.shape:
        y = _core.conv2d(xa, w, b, desc, None, F._num_threads)
    else:
        y = _core.conv2d_cached(xa, w, b, desc, F._num_threads, cache.state, cache.w, cache.u)
    return y[0] if unbatched else y


class Conv2d(Module):
    """2-D convolution, torch.nn.Conv2d's arguments, parameters (weight (out, in/groups, kH,
    kW), bias (out,)) and default initialisation (kaiming_uniform_ with a = sqrt(5); bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))). padding also takes ((top, bottom), (left, right)).
    rng: seed or numpy Generator for the initial weights (None: the package generator).
    The arguments are kept normalised (convcore._args): kernel_size, stride, dilation as
    pairs, padding in its shortest form ("same", "valid", an int, a pair, or ((top, bottom),
    (left, right)))."""

    _tuple_config = ("padding",)

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, *, dtype=np.float32, rng=None):
        super().__init__()
        self.in_channels = int_arg("in_channels", in_channels, 1)
        self.out_channels = int_arg("out_channels", out_channels, 1)
        self.kernel_size = tuple_arg("kernel_size", kernel_size, 2, 1)
        self.stride = tuple_arg("stride", stride, 2, 1)
        self.dilation = tuple_arg("dilation", dilation, 2, 1)
        pads = padding_arg(padding, 2)
        self.groups = groups_arg(groups, self.in_channels, self.out_channels)
        resolve_padding(pads, self.kernel_size, self.stride, self.dilation)  # 'same': stride 1
        self.padding = compact_padding(pads)
        has_bias = bool_arg("bias", bias)
        dt = dtype_arg("dtype", dtype)
        rng = init.get_rng(seed_arg("rng", rng))
        kh, kw = self.kernel_size
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels // self.groups, kh, kw), dt))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if has_bias:
            fan_in = self.weight.data[0].size
            bound = 1 / math.sqrt(fan_in)
            self.bias = Parameter(np.empty(self.out_channels, dt))
            init.uniform_(self.bias, -bound, bound, rng=rng)
        else:
            self.bias = None
        self._x = None

    def _args(self):
        return (self.stride, self.padding, self.dilation, self.groups)

    def forward(self, x):
        x = self._input(x)
        self._x = x
        b = None if self.bias is None else self.bias.data
        w = self.weight.data
        if not self.training and self.groups == 1 and self.stride == (1, 1) and \
                self.dilation == (1, 1):
            # inference: keep the Winograd-transformed filters between calls (checked
            # against the weights on every call, so never stale)
            cache = self._filters = _FilterCache.for_weight(self.__dict__.get("_filters"), w)
            if cache is not None:
                return _conv2d_cached(x, w, b, *self._args(), cache)
        return convcore.conv2d(x, w, b, *self._args())

    def backward(self, grad_output, input_grad=True):
        x = self._forward_state(self._x)
        gx, gw, gb = convcore.conv2d_backward(
            np.asarray(grad_output, dtype=x.dtype), x, self.weight.data, *self._args(),
            input_grad=bool(input_grad), weight_grad=True, bias_grad=self.bias is not None)
        self.weight.accumulate(gw)
        if self.bias is not None:
            self.bias.accumulate(gb)
        return gx

    def get_config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": jsonable(self.padding), "dilation": list(self.dilation),
                "groups": self.groups, "bias": self.bias is not None, "dtype": self.dtype.name}

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != 0:
            s += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
