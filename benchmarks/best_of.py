"""Best-of-N times of single conv2d calls, one line per run, for A/B comparisons of two
builds: install one build into a directory (pip install --no-deps --target DIR .) and
alternate runs with and without PYTHONPATH=DIR, keeping each shape's minimum. The machine
is shared, so only interleaved runs compare; see benchmarks/README.md.

    python benchmarks/best_of.py                      # the default shapes, 1 thread
    python benchmarks/best_of.py --threads 2 --reps 40
    python benchmarks/best_of.py --layers             # nn.Conv2d: train vs eval mode

Shapes: NAME:N,C,H,K,kernel,stride,pad (square inputs), e.g. l4:1,512,7,512,3,1,1.
--layers times nn.Conv2d in train mode (no filter cache) against eval mode (the
Winograd-transformed filters kept between calls), alternating, best of the reps.
"""

import argparse
import time

import numpy as np

import convcore
from convcore import nn

DEFAULT = ["conv1:1,3,224,64,7,2,3", "l1:1,64,56,64,3,1,1", "l2s2:1,64,56,128,3,2,1",
           "l3:1,256,14,256,3,1,1", "l4:1,512,7,512,3,1,1", "b1x1:1,256,56,64,1,1,0",
           "p17:1,256,3,256,3,1,1", "s2_28:1,128,28,256,3,2,1"]
LAYERS = ["l1:1,64,56,64,3,1,1", "c28:1,64,28,128,3,1,1", "l1_b8:8,64,56,64,3,1,1",
          "mnist_c2:64,32,14,64,3,1,1"]


def parse(spec):
    name, nums = spec.split(":")
    n, c, h, k, ks, s, p = (int(v) for v in nums.split(","))
    return name, n, c, h, k, ks, s, p


def best(f, reps):
    t = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shapes", nargs="*", help="NAME:N,C,H,K,kernel,stride,pad")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=25)
    ap.add_argument("--layers", action="store_true", help="nn.Conv2d train vs eval mode")
    a = ap.parse_args()
    convcore.set_num_threads(a.threads)
    rng = np.random.default_rng(0)
    out = []
    for spec in a.shapes or (LAYERS if a.layers else DEFAULT):
        name, n, c, h, k, ks, s, p = parse(spec)
        x = rng.standard_normal((n, c, h, h)).astype(np.float32)
        if a.layers:
            layer = nn.Conv2d(c, k, ks, stride=s, padding=p, rng=0)
            t = {True: float("inf"), False: float("inf")}
            for _ in range(a.reps // 5 or 1):
                for mode in (True, False):
                    layer.train(mode)
                    t[mode] = min(t[mode], best(lambda: layer(x), 5))
            out.append(f"{name} train {t[True]:.3f} eval {t[False]:.3f}")
        else:
            w = rng.standard_normal((k, c, ks, ks)).astype(np.float32)
            t = best(lambda: convcore.conv2d(x, w, stride=s, padding=p), a.reps)
            out.append(f"{name} {t:.3f}")
    print("  ".join(out))


if __name__ == "__main__":
    main()
