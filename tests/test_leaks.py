"""No leaks: 10,000 calls of each op, forward and backward, successful and refused, grow
neither the process's resident memory (C workspaces, output arrays) nor the memory Python
traces (tracemalloc: arrays and objects kept alive), nor the inputs' reference counts."""

import gc
import os
import sys
import tracemalloc

import numpy as np
import pytest

import convcore as cc

CALLS = 10_000
WARMUP = 300
# Measured growth without a leak: up to 150 kB of resident memory (allocator arenas of the
# OpenMP threads), about 1 kB traced. A leak of 100 bytes per call would be 1 MB; a leaked
# 0-d array per call, about 1 MB traced.
RSS_BOUND = 1 << 20
TRACED_BOUND = 64 << 10


def rss_bytes():
    """Resident set size from /proc (Linux); None elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def under_address_sanitizer():
    """ASan keeps freed memory in quarantine, so resident memory grows by design there."""
    try:
        with open("/proc/self/maps") as f:
            return "libasan" in f.read()
    except OSError:
        return "asan" in os.environ.get("LD_PRELOAD", "")


def refused(f):
    def call():
        try:
            f()
        except ValueError:
            return
        raise AssertionError("the call was expected to raise ValueError")
    return call


def workloads():
    rng = np.random.default_rng(90)
    x = rng.standard_normal((2, 8, 12, 12)).astype(np.float32)
    xs = x[:, :, ::2, ::-1]                     # strided: read in place
    xh = x.astype(np.float16)                   # converted: a copy per call
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    wd = rng.standard_normal((16, 1, 3, 3)).astype(np.float32)
    w1 = rng.standard_normal((4, 8, 1, 1)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    out = np.empty((2, 16, 12, 12), np.float32)
    dy = rng.standard_normal((2, 16, 12, 12)).astype(np.float32)
    p, idx = cc.max_pool2d(x, 2, return_indices=True)
    bad_idx = idx.copy()
    bad_idx[0, 0, 0, 0] = 10**6
    gp = np.ones_like(p)
    a = cc.avg_pool2d(x, 3, 2, 1)
    ga = np.ones_like(a)
    return {
        "conv2d": lambda: cc.conv2d(x, w, b, padding=1),
        "conv2d_out": lambda: cc.conv2d(x, w, b, padding=1, out=out),
        "conv2d_strided_input": lambda: cc.conv2d(xs, w, stride=2),
        "conv2d_converted_input": lambda: cc.conv2d(xh, w.astype(np.float16)),
        "conv2d_1x1": lambda: cc.conv2d(x, w1),
        "conv2d_depthwise": lambda: cc.conv2d(x, wd, padding=1, groups=8),
        "max_pool2d": lambda: cc.max_pool2d(x, 3, 2, 1, return_indices=True),
        "avg_pool2d": lambda: cc.avg_pool2d(x, 3, 2, 1, ceil_mode=True),
        "global_pools": lambda: (cc.global_avg_pool2d(x), cc.global_max_pool2d(x)),
        "conv2d_backward": lambda: cc.conv2d_backward(dy, x, w, padding=1),
        "conv2d_backward_depthwise": lambda: cc.conv2d_backward(dy, x, wd, padding=1, groups=8),
        "max_pool2d_backward": lambda: cc.max_pool2d_backward(gp, idx, x.shape),
        "avg_pool2d_backward": lambda: cc.avg_pool2d_backward(ga, x.shape, 3, 2, 1),
        "refused_in_python": refused(lambda: cc.conv2d(x, w, groups=3)),
        "refused_by_the_core": refused(lambda: cc.max_pool2d_backward(gp, bad_idx, x.shape)),
        "refused_overflow": refused(lambda: cc.conv2d(x, w, padding=2**61)),
    }, (x, xs, xh, w, wd, w1, b, out, dy, idx, bad_idx, gp, ga)


@pytest.mark.parametrize("name", sorted(workloads()[0]))
def test_no_leak_over_10000_calls(name, restore_threads):
    cc.set_num_threads(2)
    work, inputs = workloads()
    f = work[name]
    for _ in range(WARMUP):  # thread pool, allocator arenas, caches
        f()
    refcounts = [sys.getrefcount(a) for a in inputs]
    check_rss = rss_bytes() is not None and not under_address_sanitizer()
    gc.collect()
    tracemalloc.start()
    try:
        traced0 = tracemalloc.get_traced_memory()[0]
        rss0 = rss_bytes()
        for _ in range(CALLS):
            f()
        gc.collect()
        traced = tracemalloc.get_traced_memory()[0] - traced0
        rss = rss_bytes() - rss0 if check_rss else 0
    finally:
        tracemalloc.stop()
    assert traced <= TRACED_BOUND, f"{name}: Python-traced memory grew by {traced} bytes"
    assert rss <= RSS_BOUND, f"{name}: resident memory grew by {rss} bytes"
    assert [sys.getrefcount(a) for a in inputs] == refcounts, f"{name}: reference leak"
