"""Linear: y = x @ weight.T + bias, on the core's GEMM."""
from __future__ import annotations

import math

import numpy as np

import convcore
from convcore._args import bool_arg, dtype_arg, int_arg, seed_arg
from convcore.nn import init
from convcore.nn.module import Module
from convcore.nn.parameter import Parameter

__all__ = ["Linear"]


class Linear(Module):
    """y = x @ weight.T + bias for x of shape (N, in_features); torch.nn.Linear's parameters
    and default initialisation.

    The product runs in the core's GEMM as a 1x1 convolution: x.T viewed as a (1, in, 1, N)
    image (a strided view, no copy) convolved with weight viewed as (out, in, 1, 1) gives
    (1, out, 1, N), whose transpose view is the (N, out) result. The backward pass is the
    same view through conv2d_backward."""

    def __init__(self, in_features, out_features, bias=True, *, dtype=np.float32, rng=None):
        super().__init__()
        self.in_features = int_arg("in_features", in_features, 1)
        self.out_features = int_arg("out_features", out_features, 1)
        has_bias = bool_arg("bias", bias)
        dt = dtype_arg("dtype", dtype)
        rng = init.get_rng(seed_arg("rng", rng))
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dt))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if has_bias:
            bound = 1 / math.sqrt(self.in_features)
            self.bias = Parameter(np.empty(self.out_features, dt))
            init.uniform_(self.bias, -bound, bound, rng=rng)
        else:
            self.bias = None
        self._xv = None

    def forward(self, x):
        x = self._input(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"input must have shape (N, {self.in_features}), got {x.shape}")
        xv = x.T[np.newaxis, :, np.newaxis, :]
        self._xv = xv
        w = self.weight.data
        b = None if self.bias is None else self.bias.data
        y = convcore.conv2d(xv, w[:, :, np.newaxis, np.newaxis], b)
        return y[0, :, 0, :].T

    def backward(self, grad_output, input_grad=True):
        xv = self._forward_state(self._xv)
        g = np.asarray(grad_output, dtype=xv.dtype)
        if g.shape != (xv.shape[3], self.out_features):
            raise ValueError(f"grad_output must have shape {(xv.shape[3], self.out_features)}, got {g.shape}")
        w = self.weight.data
        gx, gw, gb = convcore.conv2d_backward(
            g.T[np.newaxis, :, np.newaxis, :], xv, w[:, :, np.newaxis, np.newaxis],
            input_grad=bool(input_grad), weight_grad=True, bias_grad=self.bias is not None)
        self.weight.accumulate(gw.reshape(w.shape))
        if self.bias is not None:
            self.bias.accumulate(gb)
        return None if gx is None else gx[0, :, 0, :].T

    def get_config(self):
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "dtype": self.dtype.name}

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
