"""The benchmark's report: the result table and its number formats, the geometric means
of the time ratios and the JSON document."""

import datetime
import json
import math
import statistics
from pathlib import Path

ERR_FLAG = 1e-3          # max rel error above this is flagged as suspicious
NOISY = 1.25             # median / best above this marks a time with '*'
LIB_LABEL = {"convcore": "cc", "torch": "torch", "onnxruntime": "ort"}


def geomean(xs):
    xs = [x for x in xs if x and x > 0 and math.isfinite(x)]
    return math.exp(statistics.fmean(math.log(x) for x in xs)) if xs else None


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


def geomean_ratios(results, primary, peers, threads_list):
    """Per peer and thread count: geometric means of the primary/peer median-time ratios
    (all shapes, conv only, pool only) and how many shapes each one covers."""
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
    return geo


def print_geomeans(geo, primary, peers):
    """Prints the lines of geomean_ratios' result (nothing without peers)."""
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


def write_json(path, doc):
    """Writes the results document, led by its schema number and a UTC timestamp, to path
    (making its folder when missing); returns the path as a Path."""
    doc = {
        "schema": 1,
        "timestamp": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **doc,
    }
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, default=str) + "\n")
    return path
