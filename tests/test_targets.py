"""Every SIMD target compiled in and supported here, against the reference."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import convcore as cc
import convcore._core as core
import reference as R
from helpers import (ALL_TARGETS, assert_close, assert_exact, assert_maxpool_indices,
                     assert_same_bits, rand, small_ints, targets)

DTYPES = [np.float32, np.float64]


def test_target_hooks():
    compiled = list(core.compiled_targets())
    supported = list(core.supported_targets())
    assert "base" in compiled and "base" in supported
    assert set(compiled) <= set(ALL_TARGETS) and set(supported) <= set(ALL_TARGETS)
    assert core.get_target() in targets()
    # the default is the best usable target (unless the environment caps it)
    if "CONVCORE_CPU_TARGET" not in os.environ:
        assert core.get_target() == targets()[-1]


def test_set_target_rejects_unknown(simd_target):
    with pytest.raises((ValueError, TypeError)):
        core.set_target("sse9")
    assert core.get_target() == simd_target
    for name in ALL_TARGETS:
        if name not in targets():
            with pytest.raises(ValueError):
                core.set_target(name)
            assert core.get_target() == simd_target


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_on_every_target(simd_target, dtype):
    rng = np.random.default_rng(60)
    cases = [
        # generic
        ((2, 5, 13, 11), (7, 5, 3, 3), dict(padding=1)),
        ((2, 17, 19, 18), (33, 17, 3, 3), dict(stride=2, padding=((0, 1), (2, 1)), dilation=2)),
        ((1, 3, 9, 40), (16, 3, 5, 2), dict(padding="same")),
        # 1x1
        ((3, 16, 7, 9), (17, 16, 1, 1), {}),
        ((2, 33, 5, 31), (8, 33, 1, 1), dict(stride=2)),
        # depthwise (multiplier 1 and 2)
        ((2, 16, 15, 33), (16, 1, 3, 3), dict(padding=1, groups=16)),
        ((2, 17, 12, 17), (34, 1, 5, 5), dict(padding=2, groups=17, stride=(1, 2))),
        # grouped
        ((2, 8, 10, 10), (12, 2, 3, 3), dict(padding=1, groups=4)),
    ]
    for xs, ws, kw in cases:
        x, w, b = rand(rng, xs, dtype), rand(rng, ws, dtype), rand(rng, (ws[0],), dtype)
        assert_close(cc.conv2d(x, w, b, **kw), R.conv2d(x, w, b, **kw), dtype)
        # small integers: bit-exact on every target
        xi, wi, bi = small_ints(rng, xs, dtype), small_ints(rng, ws, dtype, -2, 2), \
            small_ints(rng, (ws[0],), dtype)
        assert_exact(cc.conv2d(xi, wi, bi, **kw), R.conv2d(xi, wi, bi, **kw), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pools_on_every_target(simd_target, dtype):
    rng = np.random.default_rng(61)
    for shape in [(2, 3, 9, 15), (1, 16, 8, 16), (2, 17, 7, 17), (1, 33, 5, 33), (1, 2, 4, 64)]:
        x = rand(rng, shape, dtype)
        x[0, -1, 2, shape[3] // 2] = np.nan
        x[0, 0, 1, :3] = -np.inf
        for k, s, p, d, ceil in [(2, 2, 0, 1, False), (3, 1, 1, 1, False), (3, 2, 1, 1, True),
                                 (3, 2, 1, 2, False), ((2, 5), (1, 3), (1, 2), 1, True)]:
            y, idx = cc.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
            ry, ri = R.max_pool2d(x, k, s, p, d, ceil_mode=ceil)
            assert_exact(y, ry, dtype)
            assert_maxpool_indices(idx, ri, shape[2] * shape[3])
            if d == 1:
                for cip in (False, True):
                    assert_close(cc.avg_pool2d(x, k, s, p, ceil, cip),
                                 R.avg_pool2d(x, k, s, p, ceil, cip), dtype)
                assert_close(cc.avg_pool2d(x, k, s, p, ceil, divisor_override=-3),
                             R.avg_pool2d(x, k, s, p, ceil, divisor_override=-3), dtype)
        assert_exact(cc.global_max_pool2d(x), R.global_max_pool2d(x), dtype)
        assert_close(cc.global_avg_pool2d(x), R.global_avg_pool2d(x), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_targets_agree_on_max_pool_bits(dtype):
    """Max pooling is exact, so every target gives the same bits (NaN lanes included)."""
    rng = np.random.default_rng(62)
    x = rand(rng, (2, 17, 11, 33), dtype)
    x[rng.random(x.shape) < 0.03] = np.nan
    previous = core.get_target()
    results = {}
    try:
        for t in targets():
            core.set_target(t)
            results[t] = (cc.max_pool2d(x, 3, 2, 1, return_indices=True),
                          cc.global_max_pool2d(x))
    finally:
        core.set_target(previous)
    first = results[targets()[0]]
    for t, r in results.items():
        assert_same_bits(r[0][0], first[0][0])
        np.testing.assert_array_equal(r[0][1], first[0][1])
        assert_same_bits(r[1], first[1])


def test_environment_caps_target_to_base(tmp_path):
    code = (
        "import json, numpy as np, convcore, convcore._core as core\n"
        "rng = np.random.default_rng(63)\n"
        "x = rng.standard_normal((2, 5, 9, 8)); w = rng.standard_normal((6, 5, 3, 3))\n"
        "x32 = x.astype(np.float32); w32 = w.astype(np.float32)\n"
        "np.save(r'%s', convcore.conv2d(x, w, padding=1))\n"
        "np.save(r'%s', convcore.conv2d(x32, w32, padding=1, stride=2))\n"
        "np.save(r'%s', convcore.max_pool2d(x32, 3, 2, 1))\n"
        "print(json.dumps({'target': core.get_target(), 'config': convcore.config()['target']}))\n"
    ) % (tmp_path / "c64.npy", tmp_path / "c32.npy", tmp_path / "m32.npy")
    env = dict(os.environ, CONVCORE_CPU_TARGET="base")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    assert info["target"] == "base"
    assert "base" in str(info["config"])
    rng = np.random.default_rng(63)
    x = rng.standard_normal((2, 5, 9, 8))
    w = rng.standard_normal((6, 5, 3, 3))
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    assert_close(np.load(tmp_path / "c64.npy"), R.conv2d(x, w, padding=1), np.float64)
    assert_close(np.load(tmp_path / "c32.npy"), R.conv2d(x32, w32, padding=1, stride=2),
                 np.float32)
    assert_exact(np.load(tmp_path / "m32.npy"), R.max_pool2d(x32, 3, 2, 1)[0], np.float32)


def test_environment_never_raises_target(tmp_path):
    """CONVCORE_CPU_TARGET caps the choice: asking for more than the CPU has gives the best
    usable target, never an unsupported one."""
    code = "import convcore._core as core; print(core.get_target())"
    env = dict(os.environ, CONVCORE_CPU_TARGET="avx512")
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in targets()
