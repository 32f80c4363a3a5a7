"""The benchmark's command line: its options, and the run that times every library on
every shape and thread count and prints (and optionally saves) the report."""

import argparse
import dataclasses
import gc
import math
import os
import sys
import time

from .peers import OrtLib, convcore_config, load_libraries
from .report import (ERR_FLAG, LIB_LABEL, NOISY, Table, geomean_ratios, print_geomeans,
                     write_json)
from .shapes import load_shapes, make_inputs
from .timing import (SETTLE_SECONDS, fma_peak, machine_info, max_rel_err, peak_rss_mib,
                     summarize, timed_block)

OVERHEAD_SHAPE = "tiny_b1"


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
                   help="shape list (default: shapes.txt in the convcore.bench package)")
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
    geo = geomean_ratios(results, primary, peers, threads_list)
    print()
    print_geomeans(geo, primary, peers)
    if errors_seen:
        print("problems:")
        for (lname, cname), msg in errors_seen.items():
            print(f"  {lname} {cname}: {msg}")
    rss = peak_rss_mib()
    print("peak RSS: " + ("n/a" if rss is None else f"{rss:.0f} MiB"))

    if args.json:
        doc = {
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
        path = write_json(args.json, doc)
        print(f"wrote {path}")
    return 130 if interrupted else 0
