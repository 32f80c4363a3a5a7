"""The Keras-like training loop: fit, predict, evaluate, and the progress bar (tqdm when it
is installed, a small built-in bar otherwise)."""
from __future__ import annotations

import math
import sys
import time

import numpy as np

from convcore._args import bool_arg, int_arg, seed_arg
from convcore.nn.loss import CrossEntropyLoss, Loss

__all__ = ["fit", "predict", "evaluate", "ProgressBar"]


def _as_inputs(name, X):
    arr = np.asarray(X)
    if arr.ndim < 1:
        raise ValueError(f"{name} must have a leading sample dimension, got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    return arr


def _as_targets(name, y, n):
    arr = np.asarray(y)
    if arr.ndim < 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must have {n} entries (one per sample), got shape {arr.shape}")
    return arr


def _is_classification(loss, y):
    return isinstance(loss, CrossEntropyLoss) and y.ndim == 1 and y.dtype.kind in "iu"


class ProgressBar:
    """A one-line text bar on a stream, redrawn at most every `interval` seconds:
    `desc [#######.......] 120/938 loss 0.4321 acc 0.8765`."""

    def __init__(self, total, desc="", file=None, width=24, interval=0.1):
        self.total = max(0, int(total))
        self.desc = desc
        self.file = sys.stderr if file is None else file
        self.width = width
        self.interval = interval
        self.n = 0
        self.postfix = ""
        self._last = -math.inf
        self._len = 0

    def set_postfix_str(self, text, refresh=False):
        self.postfix = text
        if refresh:
            self._draw()

    def refresh(self):
        self._last = time.perf_counter()
        self._draw()

    def update(self, n=1):
        self.n += n
        now = time.perf_counter()
        if now - self._last >= self.interval or self.n >= self.total:
            self._last = now
            self._draw()

    def _draw(self):
        frac = self.n / self.total if self.total else 1.0
        filled = int(round(frac * self.width))
        line = (f"{self.desc} [{'#' * filled}{'.' * (self.width - filled)}] "
                f"{self.n}/{self.total} {self.postfix}").rstrip()
        pad = max(0, self._len - len(line))
        self.file.write("\r" + line + " " * pad)
        self.file.flush()
        self._len = len(line)

    def close(self):
        # clear the bar; the caller prints the epoch summary in its place
        self.file.write("\r" + " " * self._len + "\r")
        self.file.flush()


def _make_bar(total, desc):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return ProgressBar(total, desc)
    return tqdm(total=total, desc=desc, unit="batch", leave=False, dynamic_ncols=True)


def _batches(n, batch_size):
    return range(0, n, batch_size)


def fit(model, X, y, epochs=1, batch_size=32, optimizer=None, loss=None,
        validation_data=None, progress=True, shuffle=True, seed=None, on_epoch_end=None) -> dict:
    """Train model on (X, y) with mini-batch gradient descent.

    optimizer defaults to optim.Adam(model.parameters()), loss to CrossEntropyLoss().
    Samples are shuffled every epoch (seed: int or Generator for the order). With progress,
    a bar shows running loss and accuracy during each epoch and one summary line per epoch
    is printed. Returns the history: lists per epoch under "loss", "accuracy" (for
    classification), "val_loss", "val_accuracy" (with validation_data), "time" (seconds) and
    "images_per_sec" (training throughput).

    on_epoch_end: optional callable(epoch, history) run after each epoch (epoch counts from
    0), e.g. to change optimizer.param_groups[i]["lr"]; returning True stops training."""
    from convcore import optim as _optim

    X = _as_inputs("X", X)
    n = X.shape[0]
    y = _as_targets("y", y, n)
    epochs = int_arg("epochs", epochs, 0)
    batch_size = int_arg("batch_size", batch_size, 1)
    progress = bool_arg("progress", progress)
    shuffle = bool_arg("shuffle", shuffle)
    rng = np.random.default_rng(seed_arg("seed", seed))
    if loss is None:
        loss = CrossEntropyLoss()
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a convcore.nn loss (e.g. nn.CrossEntropyLoss()), got {type(loss).__name__}")
    if optimizer is None:
        optimizer = _optim.Adam(model.parameters())
    if not isinstance(optimizer, _optim.Optimizer):
        raise TypeError(f"optimizer must be a convcore.optim optimizer, got {type(optimizer).__name__}")
    if on_epoch_end is not None and not callable(on_epoch_end):
        raise TypeError(f"on_epoch_end must be callable, got {type(on_epoch_end).__name__}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a pair (X_val, y_val)")
        Xv = _as_inputs("validation_data[0]", validation_data[0])
        yv = _as_targets("validation_data[1]", validation_data[1], Xv.shape[0])
    classify = _is_classification(loss, y)
    dtype = model.dtype

    history = {"loss": []}
    if classify:
        history["accuracy"] = []
    if validation_data is not None:
        history["val_loss"] = []
        if classify:
            history["val_accuracy"] = []
    history["time"] = []
    history["images_per_sec"] = []

    n_batches = math.ceil(n / batch_size)
    model.train()
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n) if shuffle else None
        bar = _make_bar(n_batches, f"epoch {epoch + 1}/{epochs}") if progress else None
        loss_sum = 0.0
        correct = 0
        seen = 0
        for start in _batches(n, batch_size):
            if order is None:
                xb = X[start:start + batch_size]
                yb = y[start:start + batch_size]
            else:
                idx = order[start:start + batch_size]
                xb = X[idx]
                yb = y[idx]
            if xb.dtype != dtype:
                xb = xb.astype(dtype)
            optimizer.zero_grad()
            out = model.forward(xb)
            value = loss.forward(out, yb)
            model.backward(loss.backward(), input_grad=False)
            optimizer.step()
            m = xb.shape[0]
            seen += m
            loss_sum += float(value) * (m if loss.reduction == "mean" else 1)
            if classify:
                correct += int(np.count_nonzero(out.argmax(axis=1) == yb))
            if bar is not None:
                text = f"loss {loss_sum / seen:.4f}"
                if classify:
                    text += f" acc {correct / seen:.4f}"
                bar.set_postfix_str(text, refresh=False)
                bar.update(1)
        train_time = time.perf_counter() - t0
        if bar is not None:
            bar.refresh()  # the final counts, whatever the redraw interval skipped
            bar.close()
        history["loss"].append(loss_sum / max(seen, 1))
        if classify:
            history["accuracy"].append(correct / max(seen, 1))
        if validation_data is not None:
            res = evaluate(model, Xv, yv, loss=loss, batch_size=max(batch_size, 256))
            history["val_loss"].append(res["loss"])
            if classify:
                history["val_accuracy"].append(res["accuracy"])
            model.train()
        elapsed = time.perf_counter() - t0
        history["time"].append(elapsed)
        history["images_per_sec"].append(seen / train_time if train_time > 0 else float("inf"))
        if progress:
            parts = [f"epoch {epoch + 1}/{epochs}", f"loss {history['loss'][-1]:.4f}"]
            if classify:
                parts.append(f"accuracy {history['accuracy'][-1]:.4f}")
            if validation_data is not None:
                parts.append(f"val_loss {history['val_loss'][-1]:.4f}")
                if classify:
                    parts.append(f"val_accuracy {history['val_accuracy'][-1]:.4f}")
            parts.append(f"{history['images_per_sec'][-1]:.0f} img/s")
            parts.append(f"{elapsed:.1f} s")
            print(" - ".join(parts), flush=True)
        if on_epoch_end is not None and on_epoch_end(epoch, history) is True:
            break
    return history


def predict(model, X, batch_size=256) -> np.ndarray:
    """The model's outputs for X, computed in evaluation mode in batches (the model's mode
    is restored afterwards)."""
    X = _as_inputs("X", X)
    batch_size = int_arg("batch_size", batch_size, 1)
    dtype = model.dtype
    was_training = model.training
    model.eval()
    try:
        outs = []
        for start in _batches(X.shape[0], batch_size):
            xb = X[start:start + batch_size]
            if xb.dtype != dtype:
                xb = xb.astype(dtype)
            outs.append(np.asarray(model.forward(xb)))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("X holds no samples")
    return np.concatenate(outs, axis=0)


def evaluate(model, X, y, loss=None, batch_size=256) -> dict:
    """{"loss": mean loss, "accuracy": fraction correct (classification only)} on (X, y) in
    evaluation mode. loss defaults to CrossEntropyLoss()."""
    X = _as_inputs("X", X)
    y = _as_targets("y", y, X.shape[0])
    if loss is None:
        loss = CrossEntropyLoss()
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a convcore.nn loss, got {type(loss).__name__}")
    batch_size = int_arg("batch_size", batch_size, 1)
    dtype = model.dtype
    was_training = model.training
    model.eval()
    classify = _is_classification(loss, y)
    total = 0.0
    correct = 0
    n = X.shape[0]
    if n == 0:
        raise ValueError("X holds no samples")
    try:
        for start in _batches(n, batch_size):
            xb = X[start:start + batch_size]
            yb = y[start:start + batch_size]
            if xb.dtype != dtype:
                xb = xb.astype(dtype)
            out = model.forward(xb)
            value = loss.forward(out, yb)
            if loss.reduction == "none":
                total += float(np.sum(value, dtype=np.float64))
            elif loss.reduction == "mean":
                total += float(value) * xb.shape[0]
            else:
                total += float(value)
            if classify:
                correct += int(np.count_nonzero(np.asarray(out).argmax(axis=1) == yb))
    finally:
        model.train(was_training)
    result = {"loss": total / n}
    if classify:
        result["accuracy"] = correct / n
    return result
