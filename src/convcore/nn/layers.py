"""Layers with parameters or shape changes: Conv2d, Linear, MaxPool2d, AvgPool2d,
GlobalAvgPool2d, Flatten, Dropout. Convolution, pooling and Linear's matrix product run in
the compiled core; the rest is NumPy."""
from __future__ import annotations

import math

import numpy as np

import convcore
from convcore.nn import init
from convcore.nn._args import bool_arg, dtype_arg, float_arg, int_arg, seed_arg
from convcore.functional import _conv2d_cached, _FilterCache
from convcore.nn.module import Module, Parameter

__all__ = ["Conv2d", "Linear", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten", "Dropout"]


def _pair(name, value, minimum):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {value!r}")
        return (int_arg(name, value[0], minimum), int_arg(name, value[1], minimum))
    v = int_arg(name, value, minimum)
    return (v, v)


def _padding(value):
    """int | (ph, pw) | ((top, bottom), (left, right)) | 'same' | 'valid' -> JSON-able form."""
    if isinstance(value, str):
        if value not in ("same", "valid"):
            raise ValueError(f"padding must be 'same', 'valid' or numbers, got {value!r}")
        return value
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"padding must be an int, (ph, pw) or ((top, bottom), (left, right)), got {value!r}")
        out = []
        for axis in value:
            if isinstance(axis, (tuple, list)):
                if len(axis) != 2:
                    raise ValueError(f"padding: each axis needs (before, after), got {value!r}")
                out.append((int_arg("padding", axis[0], 0), int_arg("padding", axis[1], 0)))
            else:
                out.append(int_arg("padding", axis, 0))
        return tuple(out)
    return int_arg("padding", value, 0)


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _untuple(value):
    if isinstance(value, list):
        return tuple(_untuple(v) for v in value)
    return value


class Conv2d(Module):
    """2-D convolution, torch.nn.Conv2d's arguments, parameters (weight (out, in/groups, kH,
    kW), bias (out,)) and default initialisation (kaiming_uniform_ with a = sqrt(5); bias
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))). padding also takes ((top, bottom), (left, right)).
    rng: seed or numpy Generator for the initial weights (None: the package generator)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, *, dtype=np.float32, rng=None):
        super().__init__()
        self.in_channels = int_arg("in_channels", in_channels, 1)
        self.out_channels = int_arg("out_channels", out_channels, 1)
        self.kernel_size = _pair("kernel_size", kernel_size, 1)
        self.stride = _pair("stride", stride, 1)
        self.dilation = _pair("dilation", dilation, 1)
        self.padding = _padding(padding)
        self.groups = int_arg("groups", groups, 1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"groups={self.groups} must divide in_channels={self.in_channels} "
                             f"and out_channels={self.out_channels}")
        if self.padding == "same" and self.stride != (1, 1):
            raise ValueError("padding='same' needs stride 1")
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

    def _pads(self):
        """Explicit ((top, bottom), (left, right)) for the core's backward."""
        p = self.padding
        if p == "valid":
            return ((0, 0), (0, 0))
        if p == "same":
            th = self.dilation[0] * (self.kernel_size[0] - 1)
            tw = self.dilation[1] * (self.kernel_size[1] - 1)
            return ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
        if isinstance(p, int):
            return ((p, p), (p, p))
        return tuple(a if isinstance(a, tuple) else (a, a) for a in p)

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
                return _conv2d_cached(x, w, b, self.stride, self._pads(), self.dilation,
                                      self.groups, cache)
        return convcore.conv2d(x, w, b, self.stride, self._pads(), self.dilation, self.groups)

    def backward(self, grad_output, input_grad=True):
        x = self._x
        if x is None:
            raise RuntimeError("Conv2d.backward called before forward")
        gx, gw, gb = convcore.conv2d_backward(
            np.asarray(grad_output, dtype=x.dtype), x, self.weight.data, self.stride,
            self._pads(), self.dilation, self.groups, input_grad=bool(input_grad),
            weight_grad=True, bias_grad=self.bias is not None)
        self.weight.accumulate(gw)
        if self.bias is not None:
            self.bias.accumulate(gb)
        return gx

    def get_config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": _jsonable(self.padding), "dilation": list(self.dilation),
                "groups": self.groups, "bias": self.bias is not None, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["padding"] = _untuple(config["padding"])
        return cls(**config)

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
        xv = self._xv
        if xv is None:
            raise RuntimeError("Linear.backward called before forward")
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


def _pool_padding(value):
    p = _padding(value)
    if isinstance(p, str):
        raise ValueError(f"padding must be numbers for pooling, got {value!r}")
    return p


class MaxPool2d(Module):
    """Max pooling (torch.nn.MaxPool2d's arguments); backward scatters through the indices
    the forward pass records."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        self.kernel_size = _pair("kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _pair("stride", stride, 1)
        self.padding = _pool_padding(padding)
        self.dilation = _pair("dilation", dilation, 1)
        self.ceil_mode = bool_arg("ceil_mode", ceil_mode)
        self._cache = None

    def forward(self, x):
        x = np.asarray(x)
        y, idx = convcore.max_pool2d(x, self.kernel_size, self.stride, self.padding,
                                     self.dilation, self.ceil_mode, return_indices=True)
        self._cache = (idx, x.shape, y.dtype)
        return y

    def backward(self, grad_output, input_grad=True):
        if self._cache is None:
            raise RuntimeError("MaxPool2d.backward called before forward")
        if not input_grad:
            return None
        idx, shape, dt = self._cache
        return convcore.max_pool2d_backward(np.asarray(grad_output, dtype=dt), idx, shape)

    def get_config(self):
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": _jsonable(self.padding), "dilation": list(self.dilation),
                "ceil_mode": self.ceil_mode}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["padding"] = _untuple(config["padding"])
        return cls(**config)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding!r}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Average pooling (torch.nn.AvgPool2d's arguments)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = _pair("kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _pair("stride", stride, 1)
        self.padding = _pool_padding(padding)
        self.ceil_mode = bool_arg("ceil_mode", ceil_mode)
        self.count_include_pad = bool_arg("count_include_pad", count_include_pad)
        if divisor_override is not None:
            divisor_override = int_arg("divisor_override", divisor_override)
            if divisor_override == 0:
                raise ValueError("divisor_override must not be zero")
        self.divisor_override = divisor_override
        self._cache = None

    def _args(self):
        return (self.kernel_size, self.stride, self.padding, self.ceil_mode,
                self.count_include_pad, self.divisor_override)

    def forward(self, x):
        x = np.asarray(x)
        y = convcore.avg_pool2d(x, *self._args())
        self._cache = (x.shape, y.dtype)
        return y

    def backward(self, grad_output, input_grad=True):
        if self._cache is None:
            raise RuntimeError("AvgPool2d.backward called before forward")
        if not input_grad:
            return None
        shape, dt = self._cache
        return convcore.avg_pool2d_backward(np.asarray(grad_output, dtype=dt), shape, *self._args())

    def get_config(self):
        return {"kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": _jsonable(self.padding), "ceil_mode": self.ceil_mode,
                "count_include_pad": self.count_include_pad,
                "divisor_override": self.divisor_override}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["padding"] = _untuple(config["padding"])
        return cls(**config)

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
        if self._cache is None:
            raise RuntimeError("GlobalAvgPool2d.backward called before forward")
        if not input_grad:
            return None
        shape, dt = self._cache
        g = np.asarray(grad_output, dtype=dt)
        area = shape[-1] * shape[-2]
        out = np.empty(shape, dt)
        out[...] = g * dt.type(1.0 / area)
        return out


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
        if self._shape is None:
            raise RuntimeError("Flatten.backward called before forward")
        if not input_grad:
            return None
        return np.asarray(grad_output).reshape(self._shape)

    def get_config(self):
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


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
        if self._mask is None:
            raise RuntimeError("Dropout.backward called before forward")
        if not input_grad:
            return None
        g = np.asarray(grad_output)
        if isinstance(self._mask, int):
            return g if self._mask else np.zeros_like(g)
        return g * self._mask

    def get_config(self):
        return {"p": self.p, "seed": self.seed}

    def extra_repr(self):
        return f"p={self.p}"
