"""python -m convcore {info,demo,bench}."""
from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import convcore


def _info(_args) -> int:
    convcore.show_config()
    return 0


def _edge_filters() -> np.ndarray:
    """A small fixed filter bank: identity, box blur, Sobel x/y, Laplacian."""
    ident = np.zeros((3, 3)); ident[1, 1] = 1
    box = np.full((3, 3), 1 / 9)
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    lap = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float)
    return np.stack([ident, box, sobel_x, sobel_x.T, lap])[:, None].astype(np.float32)


def _demo(args) -> int:
    convcore.show_config()
    rng = np.random.default_rng(0)
    # a batch of 28x28 images with a bright square each, plus noise
    x = rng.normal(0, 0.05, size=(args.batch, 1, 28, 28)).astype(np.float32)
    for i in range(args.batch):
        r, c = rng.integers(4, 16, size=2)
        x[i, 0, r:r + 8, c:c + 8] += 1.0
    w = _edge_filters()
    print(f"\ninput {x.shape} float32, filter bank {w.shape} (identity, blur, sobel x/y, laplacian)")

    def timed(fn, *a, **k):
        fn(*a, **k)
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            out = fn(*a, **k)
            best = min(best, time.perf_counter() - t0)
        return out, best

    y, t_conv = timed(convcore.conv2d, x, w, padding="same")
    p, t_pool = timed(convcore.max_pool2d, np.maximum(y, 0), 2)
    a, t_avg = timed(convcore.avg_pool2d, y, 3, stride=1, padding=1)
    g = convcore.global_avg_pool2d(np.abs(y))
    flops = 2 * y.size * w.shape[1] * 9
    print(f"conv2d 3x3 'same'     -> {y.shape}  {t_conv * 1e3:7.3f} ms  ({flops / t_conv / 1e9:.2f} GFLOP/s)")
    print(f"relu + max_pool2d 2   -> {p.shape}  {t_pool * 1e3:7.3f} ms")
    print(f"avg_pool2d 3 s1 p1    -> {a.shape}  {t_avg * 1e3:7.3f} ms")
    print(f"global_avg_pool2d |y| -> {g.shape}; mean edge energy per filter: "
          + ", ".join(f"{v:.3f}" for v in g[:, :, 0, 0].mean(axis=0)))

    # check one output against a direct NumPy evaluation of the same convolution
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
    ref = np.einsum("nchwij,kcij->nkhw", win, w.astype(np.float64))
    err = float(np.max(np.abs(ref - y)))
    print(f"max |convcore - numpy einsum| = {err:.2e}")
    return 0 if err < 1e-4 else 1


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        # the harness parses its own options (python -m convcore bench --help)
        from convcore import bench

        return bench.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m convcore")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("info", help="print the build and run-time configuration")
    demo = sub.add_parser("demo", help="run the showcase")
    demo.add_argument("--batch", type=int, default=64)
    sub.add_parser("bench", help="benchmarks against torch and onnxruntime (bench --help)")
    args = parser.parse_args(argv)
    return {"info": _info, "demo": _demo}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
