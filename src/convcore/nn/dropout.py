"""Dropout (inverted): random zeros in training mode, the identity in evaluation mode."""
from __future__ import annotations

import numpy as np

from convcore._args import float_arg, seed_arg
from convcore.nn import init
from convcore.nn.module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout: in training mode each element is zeroed with probability p and the
    rest scaled by 1 / (1 - p); identity in evaluation mode. seed: int or Generator for the
    masks (None: a seed drawn from the package generator, so nn.init.manual_seed fixes it)."""

    def __init__(self, p=0.5, *, seed=None):
        super().__init__()
        self.p = float_arg("p", p, 0.0, 1.0)
        seed = seed_arg("seed", seed)
        if seed is None:
            seed = int(init.get_rng().integers(2 ** 63))
        self.seed = seed if isinstance(seed, int) else None
        self._rng = np.random.default_rng(seed) if isinstance(seed, int) else seed
        self._mask = None

    def forward(self, x):
        x = np.asarray(x)
        if not self.training or self.p == 0.0:
            self._mask = 1
            return x
        if self.p == 1.0:
            self._mask = 0
            return np.zeros_like(x)
        dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
        keep = self._rng.random(x.shape, dtype=np.float64 if dt == np.float64 else np.float32) >= self.p
        mask = keep.astype(dt)
        mask *= dt.type(1.0 / (1.0 - self.p))
        self._mask = mask
        return x * mask

    def backward(self, grad_output, input_grad=True):
        mask = self._forward_state(self._mask)
        if not input_grad:
            return None
        g = np.asarray(grad_output)
        if isinstance(mask, int):
            return g if mask else np.zeros_like(g)
        return g * mask

    def get_config(self):
        return {"p": self.p, "seed": self.seed}

    def extra_repr(self):
        return f"p={self.p}"
