"""One training step of the demo network, convcore.nn against torch, side by side.

    python benchmarks/bench_train.py                      # threads 1 and 2, batch 64, Adam
    python benchmarks/bench_train.py --threads 1 4 --optimizer sgd --json out.json

A step is what fit() does per batch: zero the gradients, forward, cross-entropy loss,
backward, optimizer update. Both libraries train the same LeNet-style network (the one
`python -m convcore demo` trains, in-place ReLUs included) from the same initial weights on
the same batch of generated glyphs, float32.

How it measures: per thread count, `--rounds` rounds; each round times one block of
convcore steps and one block of torch steps (order alternating between rounds, a short
sleep between blocks so the previous library's spinning worker threads go idle first).
Each block runs `--warmup` untimed steps, then `--steps` steps timed one by one with
time.perf_counter; the garbage collector is off while timing. Reported per library: the
median and the best step time over all rounds; ratio = convcore median / torch median
(< 1: convcore is faster). Before timing, one step of each is compared (loss values and
the updated weights) so the two really compute the same thing.
"""
from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time

import numpy as np


def build_convcore(seed):
    from convcore import nn

    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=rng), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120, rng=rng), nn.ReLU(inplace=True),
        nn.Linear(120, 84, rng=rng), nn.ReLU(inplace=True), nn.Linear(84, 10, rng=rng))


def build_torch(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(inplace=True), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(inplace=True), tnn.MaxPool2d(2), tnn.Flatten(),
        tnn.Linear(400, 120), tnn.ReLU(inplace=True),
        tnn.Linear(120, 84), tnn.ReLU(inplace=True), tnn.Linear(84, 10))


def make_convcore_step(model, optimizer_name, lr, x, y):
    from convcore import nn, optim

    if optimizer_name == "adam":
        opt = optim.Adam(model.parameters(), lr=lr)
    else:
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    loss = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        value = loss(model(x), y)
        model.backward(loss.backward(), input_grad=False)
        opt.step()
        return value

    return step


def make_torch_step(torch, model, optimizer_name, lr, x, y):
    if optimizer_name == "adam":
        # foreach=False: torch's per-parameter loop, the same algorithm as convcore's
        opt = torch.optim.Adam(model.parameters(), lr=lr, foreach=False)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, foreach=False)
    loss = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)

    def step():
        opt.zero_grad()
        value = loss(model(xt), yt)
        value.backward()
        opt.step()
        return value.item()

    return step


def time_block(step, warmup, steps):
    for _ in range(warmup):
        step()
    times = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(steps):
            t0 = time.perf_counter()
            step()
            times.append(time.perf_counter() - t0)
    finally:
        if gc_was:
            gc.enable()
    return times


def breakdown(torch, batch, n_threads, rounds, steps):
    """Median time of each compiled operation of the step, convcore against the matching
    torch (ATen) call on the same arrays: where the step's time goes."""
    import convcore

    rng = np.random.default_rng(0)
    f32 = np.float32
    x1 = rng.random((batch, 1, 28, 28), dtype=f32)
    w1 = rng.standard_normal((6, 1, 5, 5), dtype=f32)
    b1 = rng.standard_normal(6, dtype=f32)
    y1 = convcore.conv2d(x1, w1, b1, padding=2)
    p1, i1 = convcore.max_pool2d(y1, 2, return_indices=True)
    w2 = rng.standard_normal((16, 6, 5, 5), dtype=f32)
    b2 = rng.standard_normal(16, dtype=f32)
    y2 = convcore.conv2d(p1, w2, b2)
    p2, i2 = convcore.max_pool2d(y2, 2, return_indices=True)
    g_y1, g_p1 = np.ones_like(y1), np.ones_like(p1)
    g_y2, g_p2 = np.ones_like(y2), np.ones_like(p2)
    fc_in = p2.reshape(batch, -1)
    w3 = rng.standard_normal((120, 400), dtype=f32)
    b3 = rng.standard_normal(120, dtype=f32)
    g3 = np.ones((batch, 120), f32)
    t = torch.from_numpy
    aten = torch.ops.aten
    ti1 = t(i1)
    ti2 = t(i2)
    ops = [
        ("conv1 forward 1->6 5x5 p2",
         lambda: convcore.conv2d(x1, w1, b1, padding=2),
         lambda: aten.convolution(t(x1), t(w1), t(b1), [1, 1], [2, 2], [1, 1], False, [0, 0], 1)),
        ("conv1 backward (weight, bias)",
         lambda: convcore.conv2d_backward(g_y1, x1, w1, padding=2, input_grad=False),
         lambda: aten.convolution_backward(t(g_y1), t(x1), t(w1), [6], [1, 1], [2, 2], [1, 1],
                                           False, [0, 0], 1, [False, True, True])),
        ("pool1 forward (with indices)",
         lambda: convcore.max_pool2d(y1, 2, return_indices=True),
         lambda: aten.max_pool2d_with_indices(t(y1), [2, 2], [2, 2])),
        ("pool1 backward",
         lambda: convcore.max_pool2d_backward(g_p1, i1, y1.shape),
         lambda: aten.max_pool2d_with_indices_backward(t(g_p1), t(y1), [2, 2], [2, 2], [0, 0],
                                                       [1, 1], False, ti1)),
        ("conv2 forward 6->16 5x5",
         lambda: convcore.conv2d(p1, w2, b2),
         lambda: aten.convolution(t(p1), t(w2), t(b2), [1, 1], [0, 0], [1, 1], False, [0, 0], 1)),
        ("conv2 backward (input, weight, bias)",
         lambda: convcore.conv2d_backward(g_y2, p1, w2),
         lambda: aten.convolution_backward(t(g_y2), t(p1), t(w2), [16], [1, 1], [0, 0], [1, 1],
                                           False, [0, 0], 1, [True, True, True])),
        ("pool2 forward (with indices)",
         lambda: convcore.max_pool2d(y2, 2, return_indices=True),
         lambda: aten.max_pool2d_with_indices(t(y2), [2, 2], [2, 2])),
        ("pool2 backward",
         lambda: convcore.max_pool2d_backward(g_p2, i2, y2.shape),
         lambda: aten.max_pool2d_with_indices_backward(t(g_p2), t(y2), [2, 2], [2, 2], [0, 0],
                                                       [1, 1], False, ti2)),
        ("fc1 forward 400->120 (1x1 conv on x.T)",
         lambda: convcore.conv2d(fc_in.T[None, :, None, :], w3[:, :, None, None], b3),
         lambda: aten.addmm(t(b3), t(fc_in), t(w3).t())),
        ("fc1 backward (input, weight, bias)",
         lambda: convcore.conv2d_backward(g3.T[None, :, None, :], fc_in.T[None, :, None, :],
                                          w3[:, :, None, None]),
         lambda: (aten.mm(t(g3), t(w3)), aten.mm(t(g3).t(), t(fc_in)), t(g3).sum(0))),
    ]
    print(f"\nper operation, {n_threads} thread(s), median ms:")
    print(f"  {'operation':<40} {'convcore':>9} {'torch':>8} {'ratio':>6}")
    total_cc = total_t = 0.0
    for name, ours, theirs in ops:
        a, b = [], []
        for r in range(rounds):
            a += time_block(ours, 3, steps)
            b += time_block(theirs, 3, steps)
        ma, mb = statistics.median(a) * 1e3, statistics.median(b) * 1e3
        total_cc += ma
        total_t += mb
        print(f"  {name:<40} {ma:>9.3f} {mb:>8.3f} {ma / mb:>6.2f}")
    print(f"  {'sum':<40} {total_cc:>9.3f} {total_t:>8.3f} {total_cc / total_t:>6.2f}")


def check_agreement(torch, batch, optimizer_name, lr, x, y):
    """One step from identical weights: the losses and the updated weights must agree."""
    ours = build_convcore(0)
    theirs = build_torch(torch)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    a = make_convcore_step(ours, optimizer_name, lr, x, y)()
    b = make_torch_step(torch, theirs, optimizer_name, lr, x, y)()
    worst = 0.0
    for k, v in ours.state_dict().items():
        ref = theirs.state_dict()[k].numpy()
        worst = max(worst, float(np.max(np.abs(v - ref)) / max(1e-12, float(np.max(np.abs(ref))))))
    return abs(a - b) / abs(b), worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=40, help="timed steps per block")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per block")
    parser.add_argument("--sleep", type=float, default=0.2, help="seconds between blocks")
    parser.add_argument("--json", help="write settings and all step times here")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time each compiled operation of the step against torch's")
    args = parser.parse_args(argv)

    import convcore
    from convcore import datasets

    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: timing convcore alone", file=sys.stderr)

    x, y = datasets.glyphs(args.batch, seed=0)
    lr = 1e-3 if args.optimizer == "adam" else 0.01
    print(f"convcore {convcore.__version__} ({convcore.config()['target']})"
          + (f", torch {torch.__version__}" if torch else "")
          + f"; LeNet-style CNN, batch {args.batch}x1x28x28 float32, {args.optimizer}, "
          f"{platform.machine()}")
    if torch is not None:
        dloss, dweights = check_agreement(torch, args.batch, args.optimizer, lr, x, y)
        print(f"agreement after one step: loss rel. diff {dloss:.1e}, weights max rel. diff {dweights:.1e}")

    results = []
    header = f"{'threads':>7} {'convcore med ms':>16} {'best':>8} {'torch med ms':>13} {'best':>8} {'cc/torch':>9}"
    print(header)
    for n in args.threads:
        convcore.set_num_threads(n)
        if torch is not None:
            torch.set_num_threads(n)
        cc_model = build_convcore(0)
        cc_step = make_convcore_step(cc_model, args.optimizer, lr, x, y)
        if torch is not None:
            t_model = build_torch(torch)
            cc_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})
            t_step = make_torch_step(torch, t_model, args.optimizer, lr, x, y)
        cc_times, t_times = [], []
        for r in range(args.rounds):
            blocks = [("cc", cc_step, cc_times)]
            if torch is not None:
                blocks.append(("torch", t_step, t_times))
            if r % 2:
                blocks.reverse()
            for _, step, sink in blocks:
                sink.extend(time_block(step, args.warmup, args.steps))
                time.sleep(args.sleep)
        cc_med = statistics.median(cc_times) * 1e3
        row = {"threads": n, "convcore_ms": cc_times, "convcore_median_ms": cc_med}
        line = f"{n:>7} {cc_med:>16.3f} {min(cc_times) * 1e3:>8.3f}"
        if torch is not None:
            t_med = statistics.median(t_times) * 1e3
            row.update(torch_ms=t_times, torch_median_ms=t_med, ratio=cc_med / t_med)
            line += f" {t_med:>13.3f} {min(t_times) * 1e3:>8.3f} {cc_med / t_med:>9.2f}"
        print(line, flush=True)
        results.append(row)
    if args.breakdown and torch is not None:
        for n in args.threads:
            convcore.set_num_threads(n)
            torch.set_num_threads(n)
            breakdown(torch, args.batch, n, max(1, args.rounds // 2), args.steps)
    convcore.set_num_threads(None)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": vars(args), "convcore": convcore.config(),
                       "torch": torch.__version__ if torch else None, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
