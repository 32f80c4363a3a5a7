"""Argument checks shared by convcore.nn, convcore.optim and convcore.datasets: each raises
TypeError for a wrong type and ValueError for a wrong value, naming the argument."""
from __future__ import annotations

import math
import numbers

import numpy as np


def int_arg(name, value, minimum=None, maximum=None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def float_arg(name, value, minimum=None, maximum=None, *, min_open=False, max_open=False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    if minimum is not None and (value < minimum or (min_open and value == minimum)):
        raise ValueError(f"{name} must be {'>' if min_open else '>='} {minimum}, got {value}")
    if maximum is not None and (value > maximum or (max_open and value == maximum)):
        raise ValueError(f"{name} must be {'<' if max_open else '<='} {maximum}, got {value}")
    return value


def bool_arg(name, value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")


def choice_arg(name, value, choices):
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}, got {value!r}")
    return value


def dtype_arg(name, value) -> np.dtype:
    try:
        dt = np.dtype(value)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64, got {value!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must be float32 or float64, got {dt}")
    return dt


def seed_arg(name, value):
    """None, a non-negative int, or a numpy Generator."""
    if value is None or isinstance(value, np.random.Generator):
        return value
    return int_arg(name, value, minimum=0)
