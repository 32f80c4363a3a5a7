"""Example downstream package: a batched conv -> max-pool filter written in Cython that
calls convcore's C functions directly, one image per prange iteration, without the GIL."""
from convcore_downstream._filters import conv_then_pool

__all__ = ["conv_then_pool"]
