"""convcore: fast CPU 2-D convolution and pooling for NumPy, with torch.nn.functional's
semantics. See docs/api.md for the contract."""
from __future__ import annotations

import os
import platform
import sys

import numpy as np

from convcore import _core
from convcore.functional import (
    avg_pool2d,
    avg_pool2d_backward,
    conv2d_backward,
    max_pool2d_backward,
    conv2d,
    get_num_threads,
    get_winograd,
    global_avg_pool2d,
    global_max_pool2d,
    max_pool2d,
    set_num_threads,
    set_winograd,
)

__version__ = "0.1.0"

__all__ = [
    "conv2d",
    "max_pool2d",
    "avg_pool2d",
    "global_avg_pool2d",
    "global_max_pool2d",
    "conv2d_backward",
    "max_pool2d_backward",
    "avg_pool2d_backward",
    "get_num_threads",
    "set_num_threads",
    "get_winograd",
    "set_winograd",
    "config",
    "show_config",
    "get_include",
    "__version__",
    "nn",
    "optim",
    "datasets",
]

_SUBMODULES = ("nn", "optim", "datasets")


def __getattr__(name):
    # the pure-Python training side is imported on first use, keeping `import convcore` lean
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"convcore.{name}")
    raise AttributeError(f"module 'convcore' has no attribute {name!r}")


def get_include() -> str:
    """The directory holding convcore's C headers (convcore/convcore.h, convcore/capi.h),
    for packages that build extension modules against convcore. Cython finds convcore's
    .pxd files (``from convcore cimport capi``) on sys.path by itself."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "include")


def config() -> dict:
    """Build and run-time configuration: version, compiler, OpenMP, threads, CPU features,
    SIMD target, and the algorithm and kernel each op uses."""
    k = _core.kernel_names()
    target = _core.get_target()
    tail = (f" + gemm_tail {_core.gemm_tail_rows()}-row tiles__{target}"
            if _core.gemm_tail_rows() else "")
    kernels = {
        "conv2d": {
            "algorithm": "indexed GEMM over the input laid out as zero-padded stride phases "
                         "(unpadded stride 1: read in place), weights read in place; planes "
                         "whose last vector of outputs would be mostly empty end in tail "
                         "tiles (whole vectors plus one output, k in the lanes) where the "
                         "target has them; packed im2col GEMM when padding or dilation "
                         "dwarf the input",
            "kernel": {"float32": f"gemm_sp_f32 register tiles__{target}{tail}",
                       "float64": f"gemm_sp_f64 register tiles__{target}{tail}"},
        },
        "conv2d (float32 3x3 stride 1, >= 16 channels in and out)": {
            "algorithm": "Winograd F(4x4, 3x3): channel-last transforms and 36 GEMMs on the "
                         "strided-A tiles, when set_winograd(True) (the default) and the "
                         "transformed filters fit in cache (an nn.Conv2d in eval mode keeps "
                         "them between calls), or fit 4 MiB with >= 96 input channels and "
                         ">= 40 4x4 tiles per image; else as conv2d",
            "kernel": {"float32": f'{k["winograd_f32"]} + gemm_sp_f32__{target}'},
        },
        "conv2d (float32 3x3 stride 1, >= 32 channels in and out, >= 40 2x2 tiles per image)": {
            "algorithm": "Winograd F(2x2, 3x3) where F(4x4) does not apply: the filter "
                         "transform fused per block of output channels (read once, never "
                         "written out whole), 16 GEMMs per block on the strided-A tiles, when "
                         "set_winograd(True) (the default); else as conv2d",
            "kernel": {"float32": f'{k["winograd2_f32"]} + gemm_sp_f32__{target}'},
        },
        "conv2d_backward": {
            "algorithm": "input grad: stride 1 as the forward conv of dy with the flipped "
                         "filters, else W^T GEMM + col2im; weight grad: direct SIMD dot "
                         "products over column-expanded inputs for few output channels or "
                         "short filters, else GEMM over im2col^T blocks; depthwise: direct",
            "kernel": {"float32": f'{k["weight_grad_f32"]} / {k["gemm_f32"]}',
                       "float64": f'{k["weight_grad_f64"]} / {k["gemm_f64"]}'},
        },
        "conv2d (depthwise, in_channels/groups == 1)": {
            "algorithm": "direct per-plane",
            "kernel": {"float32": k["depthwise_f32"], "float64": k["depthwise_f64"]},
        },
        "max_pool2d": {
            "algorithm": "direct per-plane",
            "kernel": {"float32": k["max_pool_f32"], "float64": k["max_pool_f64"]},
        },
        "avg_pool2d": {
            "algorithm": "direct per-plane",
            "kernel": {"float32": k["avg_pool_f32"], "float64": k["avg_pool_f64"]},
        },
        "global_avg_pool2d / global_max_pool2d": {
            "algorithm": "plane reduction (avg accumulates in float64)",
            "kernel": {"float32": "generic", "float64": "generic"},
        },
    }
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "platform": platform.platform(),
        "compiler": _core.compiler(),
        "openmp": _core.openmp_enabled(),
        "num_threads": get_num_threads(),
        "winograd": get_winograd(),
        "cpu_features": _core.cpu_features(),
        "target": _core.get_target(),
        "targets_compiled": _core.compiled_targets(),
        "targets_supported": _core.supported_targets(),
        "api_version": _core.API_VERSION,
        "kernels": kernels,
    }


def show_config() -> None:
    """Print config() in readable form."""
    c = config()
    print(f"convcore {c['version']} (C API {c['api_version']})")
    print(f"  python {c['python']}, numpy {c['numpy']}, {c['platform']}")
    print(f"  compiler:     {c['compiler']}")
    print(f"  openmp:       {'on' if c['openmp'] else 'OFF (serial build)'}")
    print(f"  threads:      {c['num_threads']}")
    print(f"  winograd:     {'on' if c['winograd'] else 'off'} (set_winograd)")
    print(f"  cpu features: {','.join(c['cpu_features']) or '(none detected)'}")
    print(f"  simd target:  {c['target']} (compiled: {', '.join(c['targets_compiled'])}; "
          f"supported here: {', '.join(c['targets_supported'])})")
    print("  kernels:")
    for op, info in c["kernels"].items():
        print(f"    {op}: {info['algorithm']}")
        print("        " + ", ".join(f"{t} {name}" for t, name in info["kernel"].items()))
