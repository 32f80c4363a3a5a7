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


def _demo_model(seed):
    """The demo's LeNet-5-style CNN for 1x28x28 inputs and 10 classes."""
    from convcore import nn

    rng = nn.init.get_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2, rng=rng), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5, rng=rng), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120, rng=rng), nn.ReLU(inplace=True),
        nn.Linear(120, 84, rng=rng), nn.ReLU(inplace=True),
        nn.Linear(84, 10, rng=rng),
    )


def _plot_history(history, path):
    """Loss and accuracy curves as a PNG; returns False when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, history["loss"], "o-", label="train")
    ax_acc.plot(epochs, history["accuracy"], "o-", label="train")
    if "val_loss" in history:
        ax_loss.plot(epochs, history["val_loss"], "o-", label="test")
        ax_acc.plot(epochs, history["val_accuracy"], "o-", label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("convcore demo: LeNet-style CNN on generated glyphs")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _demo(args) -> int:
    """Train a LeNet-style CNN on the generated glyphs data set and report the result."""
    import os

    from convcore import datasets, nn, optim

    if args.threads is not None:
        convcore.set_num_threads(args.threads)
    cfg = convcore.config()
    print(f"convcore {cfg['version']}: {cfg['target']} kernels, "
          f"{convcore.get_num_threads()} thread(s), openmp {'on' if cfg['openmp'] else 'off'}")

    t0 = time.perf_counter()
    X_train, y_train = datasets.glyphs(args.train, seed=args.seed)
    X_test, y_test = datasets.glyphs(args.test, seed=args.seed + 1)
    print(f"data: glyphs, {len(X_train)} training and {len(X_test)} test images "
          f"{X_train.shape[1:]}, 10 classes (generated in {time.perf_counter() - t0:.1f} s)")

    model = _demo_model(args.seed)
    print(f"model: {model.num_parameters()} parameters")
    print(model)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)

    def decay_lr(epoch, history):
        # a step decay settles the last epochs (Adam at a constant rate keeps jittering)
        for group in optimizer.param_groups:
            group["lr"] *= 0.6

    t1 = time.perf_counter()
    history = model.fit(X_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        optimizer=optimizer, loss=nn.CrossEntropyLoss(),
                        validation_data=(X_test, y_test), progress=not args.quiet,
                        seed=args.seed, on_epoch_end=decay_lr)
    train_time = time.perf_counter() - t1
    if args.quiet:
        for e in range(args.epochs):
            print(f"epoch {e + 1}/{args.epochs} - loss {history['loss'][e]:.4f} - "
                  f"accuracy {history['accuracy'][e]:.4f} - "
                  f"val_accuracy {history['val_accuracy'][e]:.4f} - "
                  f"{history['images_per_sec'][e]:.0f} img/s")
    images = args.epochs * len(X_train)
    fit_only = sum(len(X_train) / r for r in history["images_per_sec"]) if images else 0.0
    print(f"trained {args.epochs} epochs in {train_time:.1f} s "
          f"({images / fit_only if fit_only else 0:.0f} images/s in training steps)")

    os.makedirs(args.out, exist_ok=True)
    saved = model.save(os.path.join(args.out, "convcore-demo-model.npz"))
    reloaded = nn.load(saved)
    same = np.array_equal(reloaded.predict(X_test[:256]), model.predict(X_test[:256]))
    print(f"saved the model to {saved} (reloaded: {'identical' if same else 'DIFFERENT'} outputs)")
    png = os.path.join(args.out, "convcore-demo-curves.png")
    if _plot_history(history, png):
        print(f"wrote the training curves to {png}")
    else:
        print("matplotlib is not installed: no plot of the training curves")

    result = model.evaluate(X_test, y_test)
    print(f"wall time: {time.perf_counter() - t0:.1f} s")
    print(f"test accuracy: {result['accuracy']:.4f}")
    return 0 if same else 1


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:
        # the harness parses its own options (python -m convcore bench --help)
        from convcore import bench

        return bench.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m convcore")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("info", help="print the build and run-time configuration")
    demo = sub.add_parser("demo", help="train a small CNN on generated digit-like glyphs")
    demo.add_argument("--epochs", type=int, default=5)
    demo.add_argument("--train", type=int, default=20000, help="training images")
    demo.add_argument("--test", type=int, default=5000, help="test images")
    demo.add_argument("--batch-size", type=int, default=64)
    demo.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--threads", type=int, default=None)
    demo.add_argument("--out", default=".", help="folder for the saved model and the plot")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    sub.add_parser("bench", help="benchmarks against torch and onnxruntime (bench --help)")
    args = parser.parse_args(argv)
    return {"info": _info, "demo": _demo}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
