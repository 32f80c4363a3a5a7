"""BatchNorm2d with torch's running statistics (momentum, unbiased running variance,
num_batches_tracked) and state_dict keys."""
from __future__ import annotations

import numpy as np

from convcore._args import bool_arg, dtype_arg, float_arg, int_arg
from convcore.nn.module import Module
from convcore.nn.parameter import Parameter

__all__ = ["BatchNorm2d"]


class BatchNorm2d(Module):
    """Per-channel normalisation of (N, C, H, W) input.

    Training mode normalises with the batch mean and biased variance and updates
    running_mean / running_var (with the unbiased variance) as
    running = (1 - momentum) * running + momentum * batch; momentum=None uses the cumulative
    average 1 / num_batches_tracked. Evaluation mode uses the running statistics (batch
    statistics when track_running_stats is False)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, *, dtype=np.float32):
        super().__init__()
        self.num_features = int_arg("num_features", num_features, 1)
        self.eps = float_arg("eps", eps, 0.0, min_open=True)
        self.momentum = None if momentum is None else float_arg("momentum", momentum, 0.0, 1.0)
        self.affine = bool_arg("affine", affine)
        self.track_running_stats = bool_arg("track_running_stats", track_running_stats)
        dt = dtype_arg("dtype", dtype)
        c = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones(c, dt))
            self.bias = Parameter(np.zeros(c, dt))
        else:
            self.weight = None
            self.bias = None
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, dt))
            self.register_buffer("running_var", np.ones(c, dt))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.running_mean = None
            self.running_var = None
            self.num_batches_tracked = None
        self._dtype = dt
        self._cache = None

    @property
    def dtype(self):
        return self._dtype

    def _on_dtype_change(self, dtype):
        self._dtype = dtype

    def forward(self, x):
        x = self._input(x)
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"input must have shape (N, {self.num_features}, H, W), got {x.shape}")
        dt = x.dtype
        use_batch = self.training or not self.track_running_stats
        c = self.num_features
        if use_batch:
            count = x.shape[0] * x.shape[2] * x.shape[3]
            if count <= 1 and self.training:
                raise ValueError(f"BatchNorm2d needs more than one value per channel in "
                                 f"training mode, got input of shape {x.shape}")
            mean = x.mean(axis=(0, 2, 3))
            centered = x - mean.reshape(1, c, 1, 1)
            var = np.mean(np.square(centered), axis=(0, 2, 3))
            if self.training and self.track_running_stats:
                self.num_batches_tracked += 1
                if self.momentum is None:
                    factor = 1.0 / float(self.num_batches_tracked)
                else:
                    factor = self.momentum
                unbiased = var * (count / (count - 1))
                self.running_mean *= dt.type(1 - factor)
                self.running_mean += dt.type(factor) * mean
                self.running_var *= dt.type(1 - factor)
                self.running_var += dt.type(factor) * unbiased
        else:
            mean = self.running_mean
            var = self.running_var
            centered = x - mean.reshape(1, c, 1, 1)
        invstd = (1.0 / np.sqrt(var + dt.type(self.eps))).astype(dt)
        xhat = centered
        xhat *= invstd.reshape(1, c, 1, 1)
        self._cache = (xhat, invstd, use_batch)
        if not self.affine:
            return xhat.copy()
        return xhat * self.weight.data.reshape(1, c, 1, 1) + self.bias.data.reshape(1, c, 1, 1)

    def backward(self, grad_output, input_grad=True):
        xhat, invstd, use_batch = self._forward_state(self._cache)
        c = self.num_features
        g = np.asarray(grad_output, dtype=xhat.dtype)
        sum_g = g.sum(axis=(0, 2, 3))
        sum_g_xhat = np.einsum("nchw,nchw->c", g, xhat)
        if self.affine:
            self.weight.accumulate(sum_g_xhat.astype(xhat.dtype))
            self.bias.accumulate(sum_g.astype(xhat.dtype))
        if not input_grad:
            return None
        scale = invstd if not self.affine else invstd * self.weight.data
        if not use_batch:
            return g * scale.reshape(1, c, 1, 1)
        # d/dx of (x - mean) * invstd with batch statistics:
        # scale * (g - mean(g) - xhat * mean(g * xhat))
        count = xhat.shape[0] * xhat.shape[2] * xhat.shape[3]
        mean_g = (sum_g / count).reshape(1, c, 1, 1)
        mean_gx = (sum_g_xhat / count).reshape(1, c, 1, 1)
        gx = xhat * mean_gx
        np.subtract(g, gx, out=gx)
        gx -= mean_g
        gx *= scale.reshape(1, c, 1, 1)
        return gx

    def get_config(self):
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.affine, "track_running_stats": self.track_running_stats,
                "dtype": self.dtype.name}

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")
