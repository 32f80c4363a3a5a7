"""Flatten: reshape a range of dimensions into one."""
from __future__ import annotations

import numpy as np

from convcore._args import int_arg
from convcore.nn.module import Module

__all__ = ["Flatten"]


class Flatten(Module):
    """Reshape dimensions start_dim..end_dim into one (default: all but the batch)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = int_arg("start_dim", start_dim)
        self.end_dim = int_arg("end_dim", end_dim)
        self._shape = None

    def forward(self, x):
        x = np.asarray(x)
        nd = x.ndim
        s = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        e = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not (0 <= s < max(nd, 1) and 0 <= e < max(nd, 1)) or s > e:
            raise ValueError(f"start_dim={self.start_dim}, end_dim={self.end_dim} do not fit "
                             f"an input with {nd} dimensions")
        self._shape = x.shape
        return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:]) if nd else x.reshape(1)

    def backward(self, grad_output, input_grad=True):
        shape = self._forward_state(self._shape)
        if not input_grad:
            return None
        return np.asarray(grad_output).reshape(shape)

    def get_config(self):
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
