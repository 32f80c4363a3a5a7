"""Element-wise activations: ReLU, LeakyReLU, Tanh, Sigmoid (NumPy, in the input's dtype)."""
from __future__ import annotations

import numpy as np

from convcore._args import bool_arg, float_arg
from convcore.nn.module import Module

__all__ = ["ReLU", "LeakyReLU", "Tanh", "Sigmoid"]


class _Elementwise(Module):
    def __init__(self):
        super().__init__()
        self._saved = None


class ReLU(_Elementwise):
    """max(x, 0); the gradient is zeroed where the output is <= 0 (torch's rule: 0 at 0,
    and it passes where the output is NaN).

    inplace=True overwrites the forward input with the output and the backward
    grad_output with the input gradient, saving two allocations per step; use it only
    where nothing else reads those arrays (e.g. after a Conv2d or Linear in a Sequential)."""

    commutes_with_max_pool = True  # see Sequential._plan

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = bool_arg("inplace", inplace)

    def forward(self, x):
        if self.inplace and isinstance(x, np.ndarray) and x.flags.writeable and x.dtype.kind == "f":
            y = np.maximum(x, 0, out=x)
        else:
            y = np.maximum(x, 0)
        self._saved = y
        return y

    def backward(self, grad_output, input_grad=True):
        y = self._forward_state(self._saved)
        if not input_grad:
            return None
        g = np.asarray(grad_output, dtype=y.dtype)
        if self.inplace and g.flags.writeable and g.shape == y.shape:
            np.copyto(g, 0, where=y <= 0)
            return g
        return np.where(y <= 0, g.dtype.type(0), g)

    def get_config(self):
        return {"inplace": self.inplace} if self.inplace else {}

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(_Elementwise):
    """x where x > 0, negative_slope * x elsewhere."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = float_arg("negative_slope", negative_slope)

    def forward(self, x):
        x = np.asarray(x)
        positive = x > 0
        self._saved = positive
        return np.where(positive, x, x * x.dtype.type(self.negative_slope))

    def backward(self, grad_output, input_grad=True):
        positive = self._forward_state(self._saved)
        if not input_grad:
            return None
        g = np.asarray(grad_output)
        return np.where(positive, g, g * g.dtype.type(self.negative_slope))

    def get_config(self):
        return {"negative_slope": self.negative_slope}

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Tanh(_Elementwise):
    def forward(self, x):
        y = np.tanh(x)
        self._saved = y
        return y

    def backward(self, grad_output, input_grad=True):
        y = self._forward_state(self._saved)
        if not input_grad:
            return None
        return np.asarray(grad_output) * (1 - y * y)


class Sigmoid(_Elementwise):
    """1 / (1 + exp(-x)), evaluated as (1 + tanh(x / 2)) / 2: no overflow for any x."""

    def forward(self, x):
        x = np.asarray(x)
        half = x.dtype.type(0.5) if x.dtype.kind == "f" else 0.5
        y = np.tanh(x * half)
        y += 1
        y *= half
        self._saved = y
        return y

    def backward(self, grad_output, input_grad=True):
        y = self._forward_state(self._saved)
        if not input_grad:
            return None
        return np.asarray(grad_output) * (y * (1 - y))
