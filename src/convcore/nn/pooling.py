"""Pooling layers: MaxPool2d, AvgPool2d, GlobalAvgPool2d."""
from __future__ import annotations

import numpy as np

import convcore
from convcore._args import (
    bool_arg,
    compact_padding,
    divisor_arg,
    jsonable,
    kernel_arg,
    pool_padding_arg,
    tuple_arg,
)
from convcore.nn.module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "GlobalAvgPool2d"]


class _Pool2d(Module):
    """The window arguments of the pooling layers, kept normalised (convcore._args):
    kernel_size and stride as pairs (stride None: the kernel), padding in its shortest form
    (an int, a pair, or ((top, bottom), (left, right))), at most half the kernel."""

    _tuple_config = ("padding",)

    def __init__(self, kernel_size, stride, padding, ceil_mode):
        super().__init__()
        self.kernel_size = kernel_arg(kernel_size, 2)
        self.stride = self.kernel_size if stride is None else tuple_arg("stride", stride, 2, 1)
        self.padding = compact_padding(pool_padding_arg(padding, self.kernel_size))
        self.ceil_mode = bool_arg("ceil_mode", ceil_mode)
        self._cache = None

    def get_config(self):
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": jsonable(self.padding), "ceil_mode": self.ceil_mode}


class MaxPool2d(_Pool2d):
    """Max pooling (torch.nn.MaxPool2d's arguments); backward scatters through the indices
    the forward pass records."""

    is_max_pool = True  # see Sequential._plan

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = tuple_arg("dilation", dilation, 2, 1)

    def forward(self, x):
        x = np.asarray(x)
        y, idx = convcore.max_pool2d(x, self.kernel_size, self.stride, self.padding,
                                     self.dilation, self.ceil_mode, return_indices=True)
        self._cache = (idx, x.shape, y.dtype)
        return y

    def backward(self, grad_output, input_grad=True):
        idx, shape, dt = self._forward_state(self._cache)
        if not input_grad:
            return None
        return convcore.max_pool2d_backward(np.asarray(grad_output, dtype=dt), idx, shape)

    def get_config(self):
        return dict(super().get_config(), dilation=list(self.dilation))

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding!r}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(_Pool2d):
    """Average pooling (torch.nn.AvgPool2d's arguments)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = bool_arg("count_include_pad", count_include_pad)
        self.divisor_override = divisor_arg(divisor_override)

    def _args(self):
        return (self.kernel_size, self.stride, self.padding, self.ceil_mode,
                self.count_include_pad, self.divisor_override)

    def forward(self, x):
        x = np.asarray(x)
        y = convcore.avg_pool2d(x, *self._args())
        self._cache = (x.shape, y.dtype)
        return y

    def backward(self, grad_output, input_grad=True):
        shape, dt = self._forward_state(self._cache)
        if not input_grad:
            return None
        return convcore.avg_pool2d_backward(np.asarray(grad_output, dtype=dt), shape, *self._args())

    def get_config(self):
        return dict(super().get_config(), count_include_pad=self.count_include_pad,
                    divisor_override=self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding!r}"


class GlobalAvgPool2d(Module):
    """Mean over each channel plane: (N, C, H, W) -> (N, C, 1, 1) (torch's
    AdaptiveAvgPool2d(1)); follow it with Flatten for (N, C)."""

    def __init__(self):
        super().__init__()
        self._cache = None

    def forward(self, x):
        x = np.asarray(x)
        y = convcore.global_avg_pool2d(x)
        self._cache = (x.shape, y.dtype)
        return y

    def backward(self, grad_output, input_grad=True):
        shape, dt = self._forward_state(self._cache)
        if not input_grad:
            return None
        g = np.asarray(grad_output, dtype=dt)
        area = shape[-1] * shape[-2]
        out = np.empty(shape, dt)
        out[...] = g * dt.type(1.0 / area)
        return out
