"""Losses: CrossEntropyLoss (from logits, log-sum-exp stabilised) and MSELoss.

loss(prediction, target) returns the loss (a float for reduction 'mean'/'sum', an array for
'none'); loss.backward() then returns the gradient with respect to the prediction."""
from __future__ import annotations

import numpy as np

from convcore._args import choice_arg, float_arg
from convcore.nn._util import forward_state

__all__ = ["Loss", "CrossEntropyLoss", "MSELoss"]

_REDUCTIONS = ("mean", "sum", "none")


class Loss:
    """Base class: forward(prediction, target) -> loss, backward(grad=1.0) -> d loss / d
    prediction for the last forward call."""

    def __init__(self, reduction="mean"):
        self.reduction = choice_arg("reduction", reduction, _REDUCTIONS)
        self._cache = None

    def __call__(self, prediction, target):
        return self.forward(prediction, target)

    def _scale(self, grad, n):
        """The factor of the upstream gradient for each sample."""
        if self.reduction == "none":
            g = np.asarray(grad, dtype=np.float64)
            if g.shape != (n,) and g.ndim != 0:
                raise ValueError(f"grad must be a scalar or have shape ({n},) for reduction='none', got {g.shape}")
            return g
        g = float(grad)
        return g / n if self.reduction == "mean" and n else g

    def __repr__(self):
        return f"{type(self).__name__}(reduction={self.reduction!r})"


def _logits(prediction):
    z = np.asarray(prediction)
    if z.dtype.kind != "f":
        z = z.astype(np.float64)
    if z.ndim != 2:
        raise ValueError(f"prediction must be 2-D (N, classes) logits, got shape {z.shape}")
    return z


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy from logits (N, C), as torch.nn.CrossEntropyLoss.

    target: class indices (N,) of an integer dtype in [0, C), or class probabilities (N, C).
    label_smoothing in [0, 1] mixes the target with the uniform distribution."""

    def __init__(self, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.label_smoothing = float_arg("label_smoothing", label_smoothing, 0.0, 1.0)

    def forward(self, prediction, target):
        z = _logits(prediction)
        n, c = z.shape
        t = np.asarray(target)
        # log-softmax through the row maximum: exp never overflows
        shifted = z - z.max(axis=1, keepdims=True)
        expz = np.exp(shifted)
        sumexp = expz.sum(axis=1, keepdims=True)
        logp = shifted - np.log(sumexp)
        probs = expz / sumexp
        eps = self.label_smoothing
        if t.ndim == 1 and t.dtype.kind in "iu":
            if t.shape[0] != n:
                raise ValueError(f"target must have length {n} (the batch), got shape {t.shape}")
            if n and (t.min() < 0 or t.max() >= c):
                raise ValueError(f"target class indices must lie in [0, {c}), got min {t.min()} max {t.max()}")
            rows = np.arange(n)
            nll = -logp[rows, t]
            if eps:
                losses = (1 - eps) * nll - eps * logp.mean(axis=1)
            else:
                losses = nll
            dist = None
        elif t.shape == (n, c) and t.dtype.kind == "f":
            dist = t.astype(z.dtype, copy=False)
            if eps:
                dist = dist * (1 - eps) + eps / c
            losses = -(dist * logp).sum(axis=1)
            rows = None
        else:
            raise ValueError(f"target must be class indices of shape ({n},) with an integer "
                             f"dtype, or probabilities of shape ({n}, {c}); got shape {t.shape} "
                             f"dtype {t.dtype}")
        self._cache = (probs, t, dist, n, c)
        if self.reduction == "none":
            return losses
        total = float(losses.sum(dtype=np.float64))
        return total / n if self.reduction == "mean" and n else total

    def backward(self, grad=1.0):
        """d loss / d logits: (softmax - target distribution) times the reduction's factor."""
        probs, t, dist, n, c = forward_state(self, self._cache)
        scale = self._scale(grad, n)
        g = probs.copy()
        if dist is None:
            eps = self.label_smoothing
            if eps:
                g -= g.dtype.type(eps / c)
            g[np.arange(n), t] -= g.dtype.type(1 - eps)
        else:
            g -= dist
        if np.ndim(scale):
            g *= scale.astype(g.dtype)[:, None]
        else:
            g *= g.dtype.type(scale)
        return g

    def __repr__(self):
        return f"CrossEntropyLoss(reduction={self.reduction!r}, label_smoothing={self.label_smoothing})"


class MSELoss(Loss):
    """Mean squared error between prediction and target of the same shape (mean over all
    elements for 'mean'; 'none' gives the element-wise squares)."""

    def forward(self, prediction, target):
        p = np.asarray(prediction)
        if p.dtype.kind != "f":
            p = p.astype(np.float64)
        t = np.asarray(target)
        if t.shape != p.shape:
            raise ValueError(f"target must have the prediction's shape {p.shape}, got {t.shape}")
        diff = p - t.astype(p.dtype, copy=False)
        self._cache = diff
        sq = diff * diff
        if self.reduction == "none":
            return sq
        total = float(sq.sum(dtype=np.float64))
        return total / sq.size if self.reduction == "mean" and sq.size else total

    def backward(self, grad=1.0):
        diff = forward_state(self, self._cache)
        if self.reduction == "none":
            g = np.asarray(grad, dtype=diff.dtype)
            return 2 * diff * g
        scale = float(grad) * 2
        if self.reduction == "mean" and diff.size:
            scale /= diff.size
        return diff * diff.dtype.type(scale)
