"""Measurement: timed blocks of calls, their statistics, the output check, the FMA peak,
the machine's description and the peak RSS."""

import math
import os
import platform
import statistics
import sys
import time

import numpy as np

SETTLE_SECONDS = 0.02    # pause between libraries so spinning worker threads go idle


def timed_block(fn, min_time_ns, min_runs, warmup_ns):
    """Warm up, then time single calls until both min_time_ns and min_runs are reached."""
    deadline = time.perf_counter_ns() + warmup_ns
    fn()
    fn()
    while time.perf_counter_ns() < deadline:
        fn()
    times = []
    clock = time.perf_counter_ns
    start = clock()
    while len(times) < min_runs or clock() - start < min_time_ns:
        t0 = clock()
        fn()
        times.append(clock() - t0)
        if len(times) >= 1_000_000:
            break
    return times


def max_rel_err(y, ref):
    y, ref = np.asarray(y, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if y.shape != ref.shape:
        return float("inf"), f"shape {y.shape} != {ref.shape}"
    if not np.all(np.isfinite(y)):
        return float("inf"), "non-finite values"
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    diff = float(np.max(np.abs(y - ref))) if ref.size else 0.0
    return diff / max(scale, np.finfo(np.float32).tiny), None


def summarize(times_ns):
    s = sorted(times_ns)
    q = lambda f: s[min(len(s) - 1, int(f * (len(s) - 1) + 0.5))]
    return {"median_ns": statistics.median(s), "best_ns": s[0], "p10_ns": q(0.1),
            "p90_ns": q(0.9), "mean_ns": statistics.fmean(s), "runs": len(s)}


def fma_peak(seconds, tries=3):
    """Single-thread fp32 FMA peak from the library's private hook: (median, readings) or
    (None, []). The median of a few readings, because one reading can be disturbed."""
    try:
        from convcore import _core
        readings = [float(_core.fma_peak_gflops(seconds / tries)) for _ in range(tries)]
    except Exception:
        return None, []
    readings = [r for r in readings if r > 0 and math.isfinite(r)]
    return (statistics.median(readings) if readings else None), readings


def machine_info():
    info = {"platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor(), "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0], "implementation": platform.python_implementation()}
    try:
        info["affinity_cpus"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        for line in text.splitlines():
            key, _, val = line.partition(":")
            key = key.strip()
            if key == "model name" and "cpu_model" not in info:
                info["cpu_model"] = val.strip()
            elif key == "flags" and "cpu_flags" not in info:
                have = set(val.split())
                info["cpu_flags"] = [f for f in ("sse2", "avx", "avx2", "fma", "avx512f",
                                                 "avx512bw", "avx512dq", "avx512vl",
                                                 "avx512_bf16", "amx_tile") if f in have]
                info["virtualized"] = "hypervisor" in have
    except OSError:
        pass
    try:
        info["loadavg_1min"] = os.getloadavg()[0]
    except (AttributeError, OSError):
        pass
    info["env"] = {k: v for k, v in os.environ.items()
                   if k.startswith(("OMP_", "GOMP_", "KMP_", "MKL_", "OPENBLAS_", "CONVCORE_"))}
    return info


def peak_rss_mib():
    try:
        import resource
    except ImportError:      # Windows
        return None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024
