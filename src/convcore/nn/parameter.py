"""Parameter: a trainable array and its gradient."""
from __future__ import annotations

import numpy as np

__all__ = ["Parameter"]


class Parameter:
    """A trainable array: .data (ndarray) and .grad (ndarray of the same shape, or None
    before the first backward / after zero_grad). Optimizers update .data in place."""

    __slots__ = ("data", "grad")

    def __init__(self, data):
        arr = np.array(data, copy=True)
        if arr.dtype.kind != "f":
            raise TypeError(f"data must hold floating-point numbers, got dtype {arr.dtype}")
        self.data = arr
        self.grad = None

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        return self.data.size

    def accumulate(self, grad) -> None:
        """Add grad into .grad (set it when .grad is None), like torch's accumulation."""
        if grad is None:
            return
        if self.grad is None:
            self.grad = grad if grad.dtype == self.data.dtype else grad.astype(self.data.dtype)
        else:
            self.grad += grad

    def __repr__(self):
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"
