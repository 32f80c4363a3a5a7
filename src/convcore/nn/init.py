"""Weight initialisation (Kaiming/He, Xavier/Glorot, uniform, normal, constants), seedable.

Every function fills its array (or Parameter) in place and returns it. `rng` is None (the
package generator, see manual_seed), an int seed, or a numpy.random.Generator. The formulas
and the fan computations are torch.nn.init's, so layer defaults match torch's distributions.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from convcore._args import seed_int_arg

__all__ = [
    "manual_seed",
    "get_rng",
    "calculate_gain",
    "fan_in_and_fan_out",
    "uniform_",
    "normal_",
    "constant_",
    "zeros_",
    "ones_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "xavier_uniform_",
    "xavier_normal_",
]

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the package generator that layers draw their initial weights (and Dropout its
    seed) from when no rng/seed is given. Returns the new generator."""
    global _generator
    _generator = np.random.default_rng(seed_int_arg("seed", seed))
    return _generator


def get_rng(rng=None) -> np.random.Generator:
    """None -> the package generator; int -> a new Generator seeded with it; a Generator is
    returned as is."""
    if rng is None:
        return _generator
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(seed_int_arg("rng", rng))
    raise TypeError(f"rng must be None, a non-negative int seed or a numpy Generator, got {rng!r}")


def _array(tensor, name="tensor") -> np.ndarray:
    # a Parameter holds its array in .data (an ndarray's own .data is a buffer)
    arr = tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "data", tensor)
    if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
        raise TypeError(f"{name} must be a floating-point ndarray or a Parameter, got {type(tensor).__name__}")
    return arr


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (torch.nn.init.calculate_gain's table)."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
            raise TypeError(f"param must be a number for leaky_relu, got {param!r}")
        return math.sqrt(2.0 / (1 + float(slope) ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"nonlinearity: unsupported value {nonlinearity!r}")


def fan_in_and_fan_out(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shape: (out, in) for Linear, (out, in/groups, kH, kW) for
    Conv2d; the receptive field multiplies both."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"fan in/out need a weight with at least 2 dimensions, got shape {shape}")
    receptive = int(np.prod(shape[2:], dtype=np.int64)) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _fan(shape, mode):
    fan_in, fan_out = fan_in_and_fan_out(shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")


def uniform_(tensor, a: float = 0.0, b: float = 1.0, rng=None):
    arr = _array(tensor)
    arr[...] = get_rng(rng).uniform(a, b, size=arr.shape)
    return tensor


def normal_(tensor, mean: float = 0.0, std: float = 1.0, rng=None):
    arr = _array(tensor)
    arr[...] = get_rng(rng).normal(mean, std, size=arr.shape)
    return tensor


def constant_(tensor, value: float):
    _array(tensor)[...] = value
    return tensor


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", rng=None):
    """U(-bound, bound), bound = gain * sqrt(3 / fan). With a = sqrt(5) (torch's layer
    default) the bound is 1 / sqrt(fan_in)."""
    arr = _array(tensor)
    fan = _fan(arr.shape, mode)
    if fan == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", rng=None):
    """N(0, std^2), std = gain / sqrt(fan)."""
    arr = _array(tensor)
    fan = _fan(arr.shape, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), rng)


def xavier_uniform_(tensor, gain: float = 1.0, rng=None):
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out))."""
    arr = _array(tensor)
    fan_in, fan_out = fan_in_and_fan_out(arr.shape)
    bound = gain * math.sqrt(6.0 / max(1, fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor, gain: float = 1.0, rng=None):
    """N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))."""
    arr = _array(tensor)
    fan_in, fan_out = fan_in_and_fan_out(arr.shape)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / max(1, fan_in + fan_out)), rng)
