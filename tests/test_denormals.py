"""TESTING.md case 16: importing and running convcore leaves the process's FTZ/DAZ
floating-point modes alone, and denormal data give the reference's results."""

import json
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest

import convcore as cc
import reference as R
from helpers import assert_close

DTYPES = [np.float32, np.float64]

FP_MODE_PROBE = textwrap.dedent("""
    import json, sys, threading
    import numpy as np

    def modes():
        # DAZ reads denormal inputs as zero; FTZ writes denormal results as zero. NumPy's
        # (SIMD) arithmetic runs under the thread's MXCSR, so it shows both.
        out = {}
        for t in (np.float32, np.float64):
            tiny = np.finfo(t)
            d = np.array([tiny.smallest_subnormal * 4] * 8, t)
            out[f"daz_{t.__name__}"] = bool((d * t(1.0) != 0).all())
            out[f"ftz_{t.__name__}"] = bool((np.array([tiny.tiny] * 8, t) / t(4) != 0).all())
        return out

    def in_new_thread():
        box = []
        th = threading.Thread(target=lambda: box.append(modes()))
        th.start()
        th.join()
        return box[0]

    result = {"before": modes()}
    import convcore as cc
    result["after_import"] = modes()
    result["new_thread_after_import"] = in_new_thread()
    cc.set_num_threads(2)
    for dtype in (np.float32, np.float64):
        sub = np.finfo(dtype).smallest_subnormal
        x = (np.arange(2 * 3 * 9 * 8).reshape(2, 3, 9, 8) % 7).astype(dtype) * dtype(sub)
        w = np.ones((4, 3, 3, 3), dtype)
        y = cc.conv2d(x, w, padding=1)
        cc.conv2d_backward(y, x, w, padding=1)
        p, i = cc.max_pool2d(x, 2, return_indices=True)
        cc.max_pool2d_backward(p, i, x.shape)
        cc.avg_pool2d_backward(cc.avg_pool2d(x, 3, 1, 1), x.shape, 3, 1, 1)
        cc.global_avg_pool2d(x)
        cc.conv2d(x, np.ones((3, 1, 3, 3), dtype), groups=3)
    result["after_ops"] = modes()
    result["new_thread_after_ops"] = in_new_thread()
    print(json.dumps(result))
""")


def test_import_and_ops_leave_ftz_daz_alone():
    """TESTING.md case 16: denormals survive numpy arithmetic before import, after import
    and after every op has run (in the main thread and in a new thread). A library built
    with -ffast-math switches flush-to-zero on for the whole process at load time."""
    proc = subprocess.run([sys.executable, "-c", FP_MODE_PROBE], capture_output=True,
                          text=True, timeout=300, cwd=tempfile.gettempdir())
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert all(result["before"].values()), f"the interpreter already flushes: {result}"
    for stage, flags in result.items():
        assert all(flags.values()), f"denormals flushed {stage}: {flags}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_denormal_data_gives_the_reference_results(dtype, restore_threads):
    """Whatever the kernels do about denormals (they may flush inside their threads), the
    results stay within the usual tolerance of the float64 reference."""
    cc.set_num_threads(2)
    sub = float(np.finfo(dtype).smallest_subnormal)
    rng = np.random.default_rng(85)
    x = (rng.integers(-9, 10, (2, 4, 7, 9)) * sub).astype(dtype)
    w = rng.standard_normal((5, 4, 3, 3)).astype(dtype)
    assert_close(cc.conv2d(x, w, padding=1), R.conv2d(x, w, padding=1), dtype)
    assert_close(cc.avg_pool2d(x, 3, 1, 1), R.avg_pool2d(x, 3, 1, 1), dtype)
    # max pooling moves values without arithmetic: denormals come out exactly
    np.testing.assert_array_equal(cc.max_pool2d(x, 2), R.max_pool2d(x, 2)[0].astype(dtype))
