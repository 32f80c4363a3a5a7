"""convcore benchmark harness: convcore against torch and onnxruntime on real layer shapes.

Run it as ``python -m convcore bench [options]`` (or ``python benchmarks/bench.py``, a
wrapper). ``--help`` lists the options; benchmarks/README.md explains how to read the
table. The shape list is bench_shapes.txt beside this module.

How it measures
  * Every library runs in this one process on the same float32 NCHW arrays, prepared
    before timing (torch tensors share the NumPy memory, ONNX models are built and their
    sessions created before the clock starts).
  * Per thread count, per shape, the libraries are interleaved: ``rounds`` rounds of
    convcore -> torch -> onnxruntime (order reversed every other round), each block with
    its own warm-up, so slow drift (turbo, thermal, a noisy neighbour) hits all of them
    alike. Between blocks we sleep briefly so the previous library's spinning OpenMP /
    thread-pool workers go idle instead of stealing cores from the next one.
  * A block times single calls with time.perf_counter_ns until it has both its share of
    --min-time and its share of --repeat runs; the GC is off while timing.
  * Reported per library: median and best time; the ratio column is
    convcore median / peer median (< 1: convcore is faster). Geometric means of those
    ratios are printed per peer and thread count.
  * Conv rate is GFLOP/s of direct convolution, 2*N*K*OH*OW*(C/groups)*kh*kw flop,
    whatever algorithm a library really uses (Winograd can exceed 100 % of peak).
    %peak divides by convcore._core.fma_peak_gflops() * threads.
    Pooling rate is GB/s of compulsory traffic (input read once + output written once).
  * Once per shape, convcore's output is compared with torch's (max |a - b| / max |b|),
    so a fast but wrong kernel shows. Without convcore, onnxruntime is checked instead.
"""

import argparse
import dataclasses
import datetime
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
import zlib
from pathlib import Path

import numpy as np

SHAPES_FILE = Path(__file__).resolve().with_name("bench_shapes.txt")

OVERHEAD_SHAPE = "tiny_b1"
ERR_FLAG = 1e-3          # max rel error above this is flagged as suspicious
SETTLE_SECONDS = 0.02    # pause between libraries so spinning worker threads go idle
NOISY = 1.25             # median / best above this marks a time with '*'
LIB_LABEL = {"convcore": "cc", "torch": "torch", "onnxruntime": "ort"}


# ----------------------------------------------------------------------------- shapes

@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    kind: str            # "conv" | "pool"
    op: str              # "conv" | "max" | "avg"
    n: int
    c: int
    h: int
    w: int
    k: int               # out channels (conv); == c for pooling
    kernel: int
    stride: int
    pad: int
    groups: int = 1

    def out_hw(self):
        oh = (self.h + 2 * self.pad - self.kernel) // self.stride + 1
        ow = (self.w + 2 * self.pad - self.kernel) // self.stride + 1
        return oh, ow

    def out_shape(self):
        return (self.n, self.k, *self.out_hw())

    def flop(self):
        """Direct-convolution flop count (multiply and add counted separately)."""
        if self.kind != "conv":
            return None
        oh, ow = self.out_hw()
        return 2 * self.n * self.k * oh * ow * (self.c // self.groups) * self.kernel ** 2

    def bytes_moved(self):
        """Compulsory traffic: every input and output element touched once (float32)."""
        n_out = math.prod(self.out_shape())
        n_in = self.n * self.c * self.h * self.w
        if self.kind == "conv":
            n_in += self.k * (self.c // self.groups) * self.kernel ** 2 + self.k
        return 4 * (n_in + n_out)

    def describe(self):
        if self.kind == "conv":
            return (f"{self.n}x{self.c}x{self.h}x{self.w} -> K={self.k} {self.kernel}x{self.kernel} "
                    f"s{self.stride} p{self.pad} g{self.groups}")
        return (f"{self.op}pool {self.n}x{self.c}x{self.h}x{self.w} {self.kernel}x{self.kernel} "
                f"s{self.stride} p{self.pad}")


def parse_shapes(text, source="<builtin>"):
    cases, section = [], None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            if section not in ("conv", "pool"):
                raise ValueError(f"{source}:{lineno}: unknown section [{section}]")
            continue
        f = line.split()
        try:
            if section == "conv":
                if len(f) != 10:
                    raise ValueError("want: name N C H W K kernel stride pad groups")
                n, c, h, w, k, ks, s, p, g = map(int, f[1:])
                cases.append(Case(f[0], "conv", "conv", n, c, h, w, k, ks, s, p, g))
            elif section == "pool":
                if len(f) != 9 or f[1] not in ("max", "avg"):
                    raise ValueError("want: name max|avg N C H W kernel stride pad")
                n, c, h, w, ks, s, p = map(int, f[2:])
                cases.append(Case(f[0], "pool", f[1], n, c, h, w, c, ks, s, p, 1))
            else:
                raise ValueError("shape line before a [conv] or [pool] section")
        except ValueError as exc:
            raise ValueError(f"{source}:{lineno}: {exc}: {raw.strip()!r}") from None
    return cases


def load_shapes(path):
    if path is not None:
        p = Path(path)
        return parse_shapes(p.read_text(), str(p)), str(p)
    return parse_shapes(SHAPES_FILE.read_text(), str(SHAPES_FILE)), str(SHAPES_FILE)


def make_inputs(case):
    """Deterministic inputs per shape name, scaled so outputs are O(1)."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    x = rng.standard_normal((case.n, case.c, case.h, case.w), dtype=np.float32)
    if case.kind != "conv":
        return {"x": x}
    fan_in = (case.c // case.groups) * case.kernel ** 2
    wt = rng.standard_normal((case.k, case.c // case.groups, case.kernel, case.kernel),
                             dtype=np.float32) * np.float32(1.0 / math.sqrt(fan_in))
    b = rng.standard_normal(case.k, dtype=np.float32) * np.float32(0.1)
    return {"x": x, "w": wt, "b": b}


# ----------------------------------------------------------------------------- libraries
# Each library exposes prepare(case, arrays, threads) -> zero-argument callable returning
# the output (anything np.asarray accepts), and set_threads(n).

class ConvcoreLib:
    name = "convcore"

    def __init__(self, mod):
        self.mod = mod

    def set_threads(self, n):
        self.mod.set_num_threads(n)

    def restore(self):
        try:
            self.mod.set_num_threads(None)      # back to following OpenMP's default
        except Exception:
            pass

    def prepare(self, case, a, threads):
        cc = self.mod
        x = a["x"]
        if case.op == "conv":
            w, b = a["w"], a["b"]
            return lambda: cc.conv2d(x, w, b, stride=case.stride, padding=case.pad,
                                     groups=case.groups)
        if case.op == "max":
            return lambda: cc.max_pool2d(x, case.kernel, stride=case.stride, padding=case.pad)
        return lambda: cc.avg_pool2d(x, case.kernel, stride=case.stride, padding=case.pad,
                                     count_include_pad=True)

    @staticmethod
    def to_numpy(y):
        return np.asarray(y)


class TorchLib:
    name = "torch"

    def __init__(self, torch):
        self.torch = torch
        self.F = torch.nn.functional
        self._saved_threads = torch.get_num_threads()

    def set_threads(self, n):
        self.torch.set_num_threads(n)

    def restore(self):
        self.torch.set_num_threads(self._saved_threads)

    def prepare(self, case, a, threads):
        t, F = self.torch, self.F
        x = t.from_numpy(a["x"])
        if case.op == "conv":
            w, b = t.from_numpy(a["w"]), t.from_numpy(a["b"])
            return lambda: F.conv2d(x, w, b, case.stride, case.pad, 1, case.groups)
        if case.op == "max":
            return lambda: F.max_pool2d(x, case.kernel, case.stride, case.pad)
        return lambda: F.avg_pool2d(x, case.kernel, case.stride, case.pad,
                                    ceil_mode=False, count_include_pad=True)

    @staticmethod
    def to_numpy(y):
        return y.numpy()


class OrtLib:
    """onnxruntime on a one-node model. Weights are initializers (ORT's normal deployment,
    which lets it pre-pack them), so this is ORT at its best, not a per-call weight API."""
    name = "onnxruntime"
    OPSET = 17

    def __init__(self, ort, onnx):
        self.ort, self.onnx = ort, onnx

    def set_threads(self, n):
        pass          # per session, see prepare()

    def restore(self):
        pass

    def model(self, case, a):
        from onnx import TensorProto, helper, numpy_helper
        out = case.out_shape()
        x_info = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(a["x"].shape))
        y_info = helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out))
        pads = [case.pad] * 4                       # top, left, bottom, right
        k2, s2 = [case.kernel] * 2, [case.stride] * 2
        inits = []
        if case.op == "conv":
            inits = [numpy_helper.from_array(a["w"], "w"), numpy_helper.from_array(a["b"], "b")]
            node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=k2,
                                    strides=s2, pads=pads, dilations=[1, 1], group=case.groups)
        elif case.op == "max":
            node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=k2, strides=s2,
                                    pads=pads)
        else:
            # ONNX's default is count_include_pad=0; torch's (and convcore's) is True.
            node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=k2, strides=s2,
                                    pads=pads, count_include_pad=1)
        graph = helper.make_graph([node], case.name, [x_info], [y_info], initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.OPSET)],
                                  producer_name="convcore-bench")
        model.ir_version = 8
        self.onnx.checker.check_model(model)
        return model.SerializeToString()

    def prepare(self, case, a, threads):
        ort = self.ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3
        sess = ort.InferenceSession(self.model(case, a), so, providers=["CPUExecutionProvider"])
        feed = {"x": a["x"]}
        run = sess.run
        return lambda: run(None, feed)[0]

    @staticmethod
    def to_numpy(y):
        return np.asarray(y)


def load_libraries(peers_only, no_peers):
    """Returns (libs in timing order, notes, versions)."""
    libs, notes, versions = [], [], {}
    cc_mod = None
    if not peers_only:
        try:
            import convcore as cc_mod
            missing = [f for f in ("conv2d", "max_pool2d", "avg_pool2d", "set_num_threads")
                       if not hasattr(cc_mod, f)]
            if missing:
                notes.append(f"convcore imported but lacks {', '.join(missing)}: measuring peers only")
                cc_mod = None
        except Exception as exc:   # not built/installed yet, or a broken build
            notes.append(f"convcore not importable ({type(exc).__name__}: {exc}): "
                         "measuring peers only")
            cc_mod = None
    if cc_mod is not None:
        libs.append(ConvcoreLib(cc_mod))
        versions["convcore"] = getattr(cc_mod, "__version__", "?")
    if not no_peers or cc_mod is None:
        if no_peers:
            notes.append("--no-peers ignored: nothing to measure without convcore")
        try:
            import torch
            libs.append(TorchLib(torch))
            versions["torch"] = torch.__version__
        except Exception as exc:
            notes.append(f"torch not available ({type(exc).__name__}): skipped")
        try:
            import onnx
            import onnxruntime as ort
            libs.append(OrtLib(ort, onnx))
            versions["onnxruntime"] = ort.__version__
            versions["onnx"] = onnx.__version__
        except Exception as exc:
            notes.append(f"onnxruntime/onnx not available ({type(exc).__name__}): skipped")
    versions["numpy"] = np.__version__
    versions["python"] = platform.python_version()
    return libs, notes, versions


# ----------------------------------------------------------------------------- timing

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


def geomean(xs):
    xs = [x for x in xs if x and x > 0 and math.isfinite(x)]
    return math.exp(statistics.fmean(math.log(x) for x in xs)) if xs else None


# ----------------------------------------------------------------------------- info

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


def convcore_config(libs):
    for lib in libs:
        if lib.name == "convcore":
            cfg = getattr(lib.mod, "config", None)
            if callable(cfg):
                try:
                    return cfg()
                except Exception as exc:
                    return {"error": f"{type(exc).__name__}: {exc}"}
    return None


# ----------------------------------------------------------------------------- output

def fmt_ms(ns):
    return "-" if ns is None else f"{ns / 1e6:.3f}"


def fmt_med(stats):
    """Median in ms, '*' when it is over NOISY x the best run (a disturbed measurement)."""
    mark = "*" if stats["median_ns"] > NOISY * stats["best_ns"] else ""
    return fmt_ms(stats["median_ns"]) + mark


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}"


class Table:
    def __init__(self, primary, peers, err_lib):
        self.primary, self.peers, self.err_lib = primary, peers, err_lib
        p = LIB_LABEL[primary]
        cols = [("shape", 18, "<"), ("thr", 3, ">"), (f"{p} med ms", 10, ">"),
                (f"{p} best", 9, ">"), ("rate", 13, ">"), ("%peak", 6, ">")]
        for peer in peers:
            q = LIB_LABEL[peer]
            cols += [(f"{q} ms", 9, ">"), (f"{p}/{q}", 8, ">")]
        cols.append((f"err({LIB_LABEL[err_lib]})" if err_lib else "err", 10, ">"))
        self.cols = cols

    def line(self, values):
        return "  ".join(f"{v:{a}{w}}" for v, (_, w, a) in zip(values, self.cols))

    def header(self):
        h = self.line([c[0] for c in self.cols])
        return h + "\n" + "-" * len(h)

    def row(self, r):
        lp = r["libs"].get(self.primary, {})
        if "error" in lp:
            vals = [r["name"], r["threads"], "ERROR", "", "", ""]
        else:
            if r["kind"] == "conv":
                rate = f"{lp['gflops']:.1f} GFLOP/s"
            else:
                rate = f"{lp['gbps']:.1f} GB/s"
            fp = lp.get("frac_peak")
            vals = [r["name"], r["threads"], fmt_med(lp), fmt_ms(lp["best_ns"]),
                    rate, "-" if fp is None else f"{100 * fp:.0f}%"]
        for peer in self.peers:
            lq = r["libs"].get(peer)
            if lq is None:
                vals += ["-", "-"]
            elif "error" in lq:
                vals += ["ERROR", "-"]
            else:
                vals += [fmt_med(lq), fmt_ratio(r["ratio"].get(peer))]
        e = r.get("max_rel_err", {}).get(self.err_lib) if self.err_lib else None
        if e is None:
            vals.append("-")
        else:
            vals.append(f"{e:.1e}" + (" !!" if not e <= ERR_FLAG else ""))
        return self.line([str(v) for v in vals])


# ----------------------------------------------------------------------------- main

def build_parser():
    p = argparse.ArgumentParser(
        prog="convcore bench" if __name__ != "__main__" else None,
        description="Time convcore conv2d / pooling against torch and onnxruntime.")
    default_threads = [1]
    try:
        ncpu = len(os.sched_getaffinity(0))
    except AttributeError:
        ncpu = os.cpu_count() or 1
    if ncpu > 1:
        default_threads.append(ncpu)
    p.add_argument("--threads", type=int, nargs="+", default=default_threads, metavar="N",
                   help=f"thread counts to measure (default: {' '.join(map(str, default_threads))})")
    p.add_argument("--repeat", type=int, default=None, metavar="R",
                   help="minimum timed runs per shape per library (default 5)")
    p.add_argument("--min-time", type=float, default=None, metavar="S",
                   help="minimum timed seconds per shape per library (default 0.3, --quick 0.05)")
    p.add_argument("--rounds", type=int, default=None,
                   help="interleaving rounds per shape (default 3, --quick 1)")
    p.add_argument("--only", action="append", default=None, metavar="SUBSTR",
                   help="only shapes whose name contains SUBSTR (repeatable)")
    p.add_argument("--shapes", default=None, metavar="PATH",
                   help="shape list (default: bench_shapes.txt beside this module)")
    p.add_argument("--json", default=None, metavar="PATH", help="write all results here")
    p.add_argument("--no-peers", action="store_true", help="time convcore only")
    p.add_argument("--peers-only", action="store_true",
                   help="skip convcore (automatic when it cannot be imported)")
    p.add_argument("--quick", action="store_true",
                   help="short timings (a smoke run, not for publishing)")
    p.add_argument("--overhead-calls", type=int, default=None, metavar="N",
                   help=f"calls timed for the {OVERHEAD_SHAPE} call-overhead line "
                        "(default 2000, --quick 300)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 0.3)
    repeat = args.repeat if args.repeat is not None else 5
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    overhead_calls = args.overhead_calls or (300 if args.quick else 2000)
    if min(args.threads) < 1 or repeat < 1 or rounds < 1 or min_time < 0:
        print("bench: --threads, --repeat, --rounds must be >= 1, --min-time >= 0",
              file=sys.stderr)
        return 2
    threads_list = list(dict.fromkeys(args.threads))

    cases, shapes_src = load_shapes(args.shapes)
    if args.only:
        cases = [c for c in cases if any(s in c.name for s in args.only)]
        if not cases:
            print(f"bench: no shape matches {args.only}", file=sys.stderr)
            return 2

    libs, notes, versions = load_libraries(args.peers_only, args.no_peers)
    for n in notes:
        print(f"note: {n}")
    if not libs:
        print("bench: nothing to measure (no convcore, no torch, no onnxruntime)", file=sys.stderr)
        return 1
    names = [lib.name for lib in libs]
    primary = names[0]
    peers = names[1:]
    # Reference for the correctness check: torch; without convcore, check ORT against torch.
    if "torch" in names and primary != "torch":
        ref_lib, err_lib = "torch", primary
    elif "torch" in names and "onnxruntime" in names:
        ref_lib, err_lib = "torch", "onnxruntime"
    elif primary == "convcore" and "onnxruntime" in names:
        ref_lib, err_lib = "onnxruntime", "convcore"
    else:
        ref_lib = err_lib = None

    minfo = machine_info()
    ncpu = minfo.get("affinity_cpus", os.cpu_count())
    if ncpu and max(threads_list) > ncpu:
        print(f"note: {max(threads_list)} threads > {ncpu} available CPUs: oversubscribed")
    load = minfo.get("loadavg_1min")
    if load is not None and load > 0.5:
        print(f"note: load average {load:.1f} before starting: other work on this machine "
              "will disturb the timings")

    peak, peak_readings = fma_peak(0.15 if args.quick else 0.6) if "convcore" in names else (None, [])
    print(f"convcore bench  shapes: {shapes_src}  libraries: {', '.join(names)}")
    print(f"  min-time {min_time:g} s, >= {repeat} runs, {rounds} round(s) per shape per library;"
          f" threads {threads_list}")
    print("  single-thread fp32 FMA peak: " + ("n/a" if peak is None else
          f"{peak:.1f} GFLOP/s (median of {', '.join(f'{r:.0f}' for r in peak_readings)})"))
    if peers:
        print(f"  ratio = {LIB_LABEL[primary]} median / peer median (< 1: {primary} faster)")
    print(f"  '*' after a median: median > {NOISY:g} x best (disturbed; rerun on an idle machine)")
    if ref_lib:
        print(f"  err({LIB_LABEL[err_lib]}) = max|y - {ref_lib}| / max|{ref_lib}|, checked once "
              f"per shape; '!!' above {ERR_FLAG:g}")
    else:
        print("  no reference library: outputs are not checked")

    torch_mod = next((lib.torch for lib in libs if lib.name == "torch"), None)
    grad_ctx = torch_mod.no_grad() if torch_mod is not None else None
    if grad_ctx is not None:
        grad_ctx.__enter__()

    results, overhead, errors_seen = [], {}, {}
    checked = {}             # shape name -> {lib: max rel err}
    inputs = {c.name: make_inputs(c) for c in cases}
    table = Table(primary, peers, err_lib)
    interrupted = False
    gc_was_enabled = gc.isenabled()
    try:
        for nthr in threads_list:
            for lib in libs:
                lib.set_threads(nthr)
            print()
            print(f"== {nthr} thread{'s' if nthr > 1 else ''} ==")
            print(table.header())
            for case in cases:
                a = inputs[case.name]
                fns, outs, rec = {}, {}, {"name": case.name, "kind": case.kind, "op": case.op,
                                          "shape": dataclasses.asdict(case), "threads": nthr,
                                          "flop": case.flop(), "bytes": case.bytes_moved(),
                                          "libs": {}, "ratio": {}}
                for lib in libs:
                    try:
                        fns[lib.name] = lib.prepare(case, a, nthr)
                        outs[lib.name] = lib.to_numpy(fns[lib.name]())
                    except Exception as exc:
                        msg = f"{type(exc).__name__}: {exc}"
                        rec["libs"][lib.name] = {"error": msg}
                        errors_seen.setdefault((lib.name, case.name), msg)
                        fns.pop(lib.name, None)
                # once per shape: compare against the reference
                if case.name not in checked and ref_lib in outs:
                    checked[case.name] = {}
                    for lname, y in outs.items():
                        if lname != ref_lib:
                            e, why = max_rel_err(y, outs[ref_lib])
                            checked[case.name][lname] = e
                            if why or not e <= ERR_FLAG:
                                errors_seen.setdefault((lname, case.name + " (check)"),
                                                       f"max rel err {e:.2e} vs {ref_lib}"
                                                       + (f" ({why})" if why else ""))
                rec["max_rel_err"] = checked.get(case.name, {})
                rec["checked_at_threads"] = threads_list[0] if case.name in checked else None
                del outs

                samples = {name: [] for name in fns}
                order = [lib.name for lib in libs if lib.name in fns]
                per_round_ns = int(min_time * 1e9 / rounds)
                per_round_runs = max(1, -(-repeat // rounds))
                warm_ns = int(min(0.05, max(min_time / rounds / 4, 0.005)) * 1e9)
                gc.disable()
                try:
                    for r in range(rounds):
                        for name in (order if r % 2 == 0 else order[::-1]):
                            time.sleep(SETTLE_SECONDS)
                            samples[name] += timed_block(fns[name], per_round_ns,
                                                         per_round_runs, warm_ns)
                finally:
                    if gc_was_enabled:
                        gc.enable()
                for name, ts in samples.items():
                    s = summarize(ts)
                    sec = s["median_ns"] / 1e9
                    if case.kind == "conv":
                        s["gflops"] = case.flop() / sec / 1e9
                        s["frac_peak"] = (s["gflops"] / (peak * nthr)) if peak else None
                    else:
                        s["melem_s"] = math.prod(case.out_shape()) / sec / 1e6
                    s["gbps"] = case.bytes_moved() / sec / 1e9
                    rec["libs"][name] = s
                pm = rec["libs"].get(primary, {}).get("median_ns")
                for peer in peers:
                    qm = rec["libs"].get(peer, {}).get("median_ns")
                    rec["ratio"][peer] = (pm / qm) if (pm and qm) else None
                results.append(rec)
                print(table.row(rec), flush=True)
                del fns

            # end-to-end call overhead on the tiny shape, each call timed on its own
            tiny = next((c for c in cases if c.name == OVERHEAD_SHAPE), None)
            if tiny is not None:
                ov = {}
                a = inputs[tiny.name]
                for lib in libs:
                    try:
                        fn = lib.prepare(tiny, a, nthr)
                    except Exception:
                        continue
                    time.sleep(SETTLE_SECONDS)
                    gc.disable()
                    try:
                        for _ in range(max(20, overhead_calls // 10)):
                            fn()
                        ts = []
                        clock = time.perf_counter_ns
                        for _ in range(overhead_calls):
                            t0 = clock()
                            fn()
                            ts.append(clock() - t0)
                    except Exception:
                        continue
                    finally:
                        if gc_was_enabled:
                            gc.enable()
                    s = summarize(ts)
                    ov[lib.name] = {"median_us": s["median_ns"] / 1e3, "best_us": s["best_ns"] / 1e3,
                                    "p90_us": s["p90_ns"] / 1e3, "calls": len(ts)}
                overhead[str(nthr)] = ov
                print(f"call overhead ({OVERHEAD_SHAPE}, end-to-end Python call, median of "
                      f"{overhead_calls}): " + ", ".join(
                          f"{n} {v['median_us']:.1f} us" for n, v in ov.items()))
    except KeyboardInterrupt:
        interrupted = True
        print("\ninterrupted: summarising what was measured")
    finally:
        if grad_ctx is not None:
            grad_ctx.__exit__(None, None, None)
        for lib in libs:
            lib.restore()

    # ---- summary
    geo = {}
    for peer in peers:
        geo[peer] = {}
        for nthr in threads_list:
            rows = [r for r in results if r["threads"] == nthr]
            if not rows:
                continue
            # a result that failed the correctness check does not count towards the mean
            bad = [r for r in rows if not r["max_rel_err"].get(primary, 0.0) <= ERR_FLAG]
            rows = [r for r in rows if r not in bad]
            g = {"n_failed_check": len(bad)}
            for label, sel in (("all", rows), ("conv", [r for r in rows if r["kind"] == "conv"]),
                               ("pool", [r for r in rows if r["kind"] == "pool"])):
                rs = [r["ratio"].get(peer) for r in sel]
                g[label] = geomean(rs)
                g[f"n_{label}"] = sum(1 for x in rs if x)
            geo[peer][str(nthr)] = g
    print()
    if peers:
        print(f"geometric mean of {LIB_LABEL[primary]}/peer median-time ratios "
              f"(< 1: {primary} faster):")
        for peer in peers:
            for nthr, g in geo[peer].items():
                parts = [f"{lab} {fmt_ratio(g[lab])} (n={g['n_' + lab]})"
                         for lab in ("all", "conv", "pool") if g[f"n_{lab}"]]
                if g["n_failed_check"]:
                    parts.append(f"{g['n_failed_check']} shape(s) left out: failed the check")
                print(f"  vs {peer:<12} {nthr:>3} thr: " + ", ".join(parts))
    if errors_seen:
        print("problems:")
        for (lname, cname), msg in errors_seen.items():
            print(f"  {lname} {cname}: {msg}")
    rss = peak_rss_mib()
    print("peak RSS: " + ("n/a" if rss is None else f"{rss:.0f} MiB"))

    if args.json:
        doc = {
            "schema": 1,
            "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "argv": list(argv) if argv is not None else sys.argv[1:],
            "settings": {"threads": threads_list, "min_time_s": min_time, "repeat": repeat,
                         "rounds": rounds, "quick": args.quick, "shapes": shapes_src,
                         "only": args.only, "overhead_calls": overhead_calls,
                         "settle_s": SETTLE_SECONDS, "onnx_opset": OrtLib.OPSET},
            "libraries": names, "primary": primary, "reference": ref_lib,
            "notes": notes, "interrupted": interrupted,
            "machine": minfo, "versions": versions,
            "convcore_config": convcore_config(libs),
            "fma_peak_gflops_1thread": peak, "fma_peak_readings": peak_readings,
            "results": results, "geomean_ratio": geo, "call_overhead": overhead,
            "problems": {f"{k[0]} {k[1]}": v for k, v in errors_seen.items()},
            "peak_rss_mib": rss,
        }
        path = Path(args.json)
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=1, default=str) + "\n")
        print(f"wrote {path}")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
