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
    convcore.set_num_threads(None)

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"settings": vars(args), "convcore": convcore.config(),
                       "torch": torch.__version__ if torch else None, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
