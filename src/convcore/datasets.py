"""Data sets: `glyphs`, digit-like images generated in code (no download), and loaders for
MNIST IDX files at a given path and for scikit-learn's bundled digits.

Every loader returns (X, y): X float32 of shape (N, 1, H, W) scaled to [0, 1], y int64
class labels."""
from __future__ import annotations

import gzip
import math
import os

import numpy as np

from convcore._args import dtype_arg, float_arg, int_arg, seed_arg

__all__ = ["glyphs", "GLYPH_CLASSES", "load_mnist", "read_idx", "load_digits", "train_test_split"]

GLYPH_CLASSES = 10


# ------------------------------------------------------------------ glyph templates
#
# Each class is one or more templates; a template is a list of strokes, a stroke a polyline
# in a unit box (x to the right, y downwards, the glyph spanning about [0.2, 0.8] x
# [0.08, 0.92]). Arcs are ellipse pieces turned into polylines; angles in degrees with
# 0 = right and 90 = down (y points down).

def _arc(cx, cy, rx, ry, a0, a1, segments=12):
    t = np.radians(np.linspace(a0, a1, segments + 1))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def _line(*points):
    return np.array(points, dtype=np.float64)


def _templates():
    t = {}
    t[0] = [[_arc(0.5, 0.5, 0.27, 0.41, 0, 360, 14)],
            [_arc(0.5, 0.5, 0.23, 0.41, -90, 270, 14), _line((0.66, 0.2), (0.34, 0.8))]]
    t[1] = [[_line((0.5, 0.08), (0.5, 0.92))],
            [_line((0.34, 0.24), (0.52, 0.08), (0.52, 0.92))],
            [_line((0.36, 0.22), (0.52, 0.08), (0.52, 0.92)), _line((0.34, 0.92), (0.7, 0.92))]]
    top2 = _arc(0.5, 0.3, 0.26, 0.22, 180, 390, 12)
    t[2] = [[np.vstack([top2, _line((0.22, 0.92), (0.8, 0.92))])],
            [np.vstack([top2, _arc(0.2, 0.4, 0.54, 0.52, 0, 90, 6), _line((0.8, 0.92))])]]
    t[3] = [[np.vstack([_arc(0.48, 0.29, 0.25, 0.21, 200, 450, 12),
                        _arc(0.48, 0.71, 0.28, 0.21, 270, 520, 12)[1:]])],
            [np.vstack([_line((0.24, 0.08), (0.74, 0.08), (0.44, 0.42)),
                        _arc(0.46, 0.67, 0.3, 0.25, 290, 520, 12)])]]
    t[4] = [[_line((0.62, 0.92), (0.62, 0.08), (0.18, 0.66), (0.84, 0.66))],
            [_line((0.26, 0.08), (0.22, 0.6), (0.82, 0.6)), _line((0.66, 0.28), (0.66, 0.92))]]
    bowl5 = _arc(0.48, 0.66, 0.28, 0.26, 235, 520, 14)
    t[5] = [[np.vstack([_line((0.76, 0.08), (0.32, 0.08)), bowl5])],
            [np.vstack([_line((0.32, 0.08)), bowl5]), _line((0.32, 0.08), (0.78, 0.1))]]
    t[6] = [[np.vstack([_arc(0.5, 0.7, 0.25, 0.22, 0, 360, 12)]),
             _arc(0.64, 0.7, 0.39, 0.62, 180, 255, 8)],
            [_line((0.66, 0.08), (0.3, 0.62)), _arc(0.5, 0.7, 0.23, 0.22, 0, 360, 12)]]
    t[7] = [[_line((0.2, 0.08), (0.8, 0.08), (0.42, 0.92))],
            [_line((0.2, 0.08), (0.8, 0.08), (0.42, 0.92)), _line((0.36, 0.5), (0.74, 0.5))],
            [_line((0.2, 0.18), (0.2, 0.08), (0.8, 0.08), (0.5, 0.5), (0.46, 0.92))]]
    t[8] = [[_arc(0.5, 0.28, 0.21, 0.2, 0, 360, 12), _arc(0.5, 0.7, 0.26, 0.22, 0, 360, 12)],
            [np.vstack([_arc(0.5, 0.28, 0.2, 0.2, 90, 450, 12)]),
             _arc(0.5, 0.69, 0.27, 0.21, -90, 270, 12)]]
    t[9] = [[_arc(0.48, 0.3, 0.24, 0.22, 0, 360, 12), _line((0.72, 0.3), (0.68, 0.92))],
            [_arc(0.48, 0.3, 0.24, 0.22, 0, 360, 12), _arc(0.36, 0.3, 0.36, 0.62, 0, 95, 8)]]
    return t


def _segments(strokes):
    """A template's strokes -> (S, 2, 2) array of segment end points."""
    segs = [np.stack([s[:-1], s[1:]], axis=1) for s in strokes]
    return np.concatenate(segs, axis=0)


_TEMPLATE_SEGMENTS = None
_CHUNK = 64  # samples rendered together: keeps the (B, S, H*W) temporaries in cache


def _template_segments():
    global _TEMPLATE_SEGMENTS
    if _TEMPLATE_SEGMENTS is None:
        _TEMPLATE_SEGMENTS = {c: [_segments(v) for v in variants]
                              for c, variants in _templates().items()}
    return _TEMPLATE_SEGMENTS


def _render(segments, width, size):
    """Anti-aliased strokes: each pixel's brightness falls off linearly with its distance
    to the nearest segment, 1 inside half the stroke width, 0 one pixel further.

    segments (B, S, 2, 2) in pixel coordinates, width (B,) -> (B, size, size) float32."""
    b, s = segments.shape[:2]
    coords = np.arange(size, dtype=np.float32) + np.float32(0.5)
    px = np.broadcast_to(coords[None, :], (size, size)).reshape(1, 1, -1)  # x = column
    py = np.broadcast_to(coords[:, None], (size, size)).reshape(1, 1, -1)  # y = row
    seg = segments.astype(np.float32)
    ax, ay = seg[:, :, 0, 0, None], seg[:, :, 0, 1, None]
    dx = seg[:, :, 1, 0, None] - ax
    dy = seg[:, :, 1, 1, None] - ay
    inv_len2 = np.float32(1) / np.maximum(dx * dx + dy * dy, np.float32(1e-12))
    # offset of each pixel from each segment's start, minus its projection on the segment
    # (clamped to the segment's extent): what is left is the offset to the nearest point
    rx = px - ax
    ry = py - ay
    t = rx * dx
    t += ry * dy
    t *= inv_len2
    np.clip(t, 0, 1, out=t)
    rx -= t * dx
    ry -= t * dy
    rx *= rx
    ry *= ry
    rx += ry
    dist = np.sqrt(rx.min(axis=1))
    half = (width.astype(np.float32) * np.float32(0.5))[:, None] + np.float32(0.5)
    ink = np.clip(half - dist, 0, 1, out=dist)
    return ink.reshape(b, size, size)


def glyphs(n, seed=0, *, size=28, noise=0.2, max_shift=3.0, max_rotation=15.0,
           distractors=0.35, dtype=np.float32):
    """A 10-class data set of digit-like glyphs generated in code (no download).

    Each image draws one of its class's stroke templates (0-9, some classes with several
    writing styles) through a smooth random warp and a random affine map (rotation up to
    max_rotation degrees, shear, scale 0.7-1.05, aspect 0.8-1.2, shift up to max_shift
    pixels), with random stroke width (1-3 px) and contrast; with probability `distractors`
    a short stray stroke is added; then Gaussian noise with a per-image standard deviation
    up to `noise`, clipped to [0, 1].

    Deterministic for a seed. Classes are balanced (n // 10 each, the rest spread) and
    shuffled. Returns (X, y): X of shape (n, 1, size, size) in dtype, y int64."""
    n = int_arg("n", n, 0)
    seed = seed_arg("seed", seed)
    size = int_arg("size", size, 8)
    noise = float_arg("noise", noise, 0.0)
    max_shift = float_arg("max_shift", max_shift, 0.0)
    max_rotation = float_arg("max_rotation", max_rotation, 0.0, 180.0)
    distractors = float_arg("distractors", distractors, 0.0, 1.0)
    dt = dtype_arg("dtype", dtype)
    rng = np.random.default_rng(seed)

    # every random draw happens here, up front and vectorised, so a seed fixes the data
    # whatever the rendering chunk size
    labels = rng.permutation(np.arange(n) % GLYPH_CLASSES).astype(np.int64)
    style = rng.random(n)
    angle = np.radians(rng.uniform(-max_rotation, max_rotation, n))
    shear = rng.uniform(-0.3, 0.3, n)
    scale = rng.uniform(0.7, 1.05, n)
    aspect = rng.uniform(0.8, 1.2, n)
    shift = rng.uniform(-max_shift, max_shift, (n, 2))
    width = rng.uniform(1.0, 3.0, n)
    contrast = rng.uniform(0.6, 1.0, n)
    warp_amp = rng.uniform(-0.05, 0.05, (n, 2))
    warp_freq = rng.uniform(0.5, 1.5, (n, 2))
    warp_phase = rng.uniform(0, 2 * math.pi, (n, 2))
    has_stray = rng.random(n) < distractors
    stray_start = rng.uniform(2, size - 2, (n, 2))
    stray_dir = rng.uniform(0, 2 * math.pi, n)
    stray_len = rng.uniform(3, 8, n)
    sigma = rng.uniform(0, noise, n)
    noise_field = rng.standard_normal((n, size, size), dtype=np.float32)

    height = 0.8 * size  # the template's unit box maps to about this many pixels
    images = np.zeros((n, size, size), dtype=np.float32)
    templates = _template_segments()
    for cls in range(GLYPH_CLASSES):
        variants = templates[cls]
        picked = np.minimum((style * len(variants)).astype(np.int64), len(variants) - 1)
        for v, segs in enumerate(variants):
            idx = np.flatnonzero((labels == cls) & (picked == v))
            for start in range(0, idx.size, _CHUNK):
                chunk = idx[start:start + _CHUNK]
                images[chunk] = _draw(segs, chunk, size, height, angle, shear, scale, aspect,
                                      shift, width, warp_amp, warp_freq, warp_phase)
    if has_stray.any():
        idx = np.flatnonzero(has_stray)
        a = stray_start[idx]
        b = a + stray_len[idx, None] * np.stack([np.cos(stray_dir[idx]), np.sin(stray_dir[idx])], 1)
        segs = np.stack([a, b], axis=1)[:, None]  # (k, 1, 2, 2)
        stray = _render(segs, width[idx], size)
        images[idx] = np.maximum(images[idx], stray)
    images *= contrast[:, None, None].astype(np.float32)
    images += sigma[:, None, None].astype(np.float32) * noise_field
    np.clip(images, 0, 1, out=images)
    return images[:, None].astype(dt, copy=False), labels


def _draw(segs, chunk, size, height, angle, shear, scale, aspect, shift, width, warp_amp,
          warp_freq, warp_phase):
    """Render one template for the samples in chunk: warp, affine map, rasterise."""
    p = np.broadcast_to(segs, (chunk.size,) + segs.shape).copy()  # (B, S, 2, 2), unit box
    x, y = p[..., 0], p[..., 1]
    amp = warp_amp[chunk][:, :, None, None]
    freq = warp_freq[chunk][:, :, None, None]
    phase = warp_phase[chunk][:, :, None, None]
    # smooth warp: shared end points move together, so strokes stay connected
    wx = x + amp[:, 0] * np.sin(2 * math.pi * freq[:, 0] * y + phase[:, 0])
    wy = y + amp[:, 1] * np.sin(2 * math.pi * freq[:, 1] * x + phase[:, 1])
    ux = (wx - 0.5) * height
    uy = (wy - 0.5) * height
    sc = scale[chunk][:, None, None]
    ux = ux * sc * aspect[chunk][:, None, None]
    uy = uy * sc
    ux = ux + shear[chunk][:, None, None] * uy
    c = np.cos(angle[chunk])[:, None, None]
    s = np.sin(angle[chunk])[:, None, None]
    center = size / 2 + shift[chunk]
    px = c * ux - s * uy + center[:, 0, None, None]
    py = s * ux + c * uy + center[:, 1, None, None]
    return _render(np.stack([px, py], axis=-1), width[chunk], size)


# ------------------------------------------------------------------------- MNIST

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """Read one IDX file (the MNIST format; gzip-compressed when the name ends in .gz)."""
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dt = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if len(raw) - header != count * dt.itemsize:
        raise ValueError(f"{path}: expected {count * dt.itemsize} data bytes for shape {shape}, "
                         f"found {len(raw) - header}")
    data = np.frombuffer(raw, dtype=dt, count=count, offset=header).reshape(shape)
    return data.astype(dt.newbyteorder("="))


def _find(directory, stem):
    names = [f"{stem}-idx{{}}-ubyte", f"{stem}.idx{{}}-ubyte"]
    for pattern in names:
        for nd in ("3", "1"):
            for ext in ("", ".gz"):
                candidate = os.path.join(directory, pattern.format(nd) + ext)
                if os.path.exists(candidate):
                    return candidate
    return None


def load_mnist(path, kind="train"):
    """MNIST (or Fashion-MNIST, or any data set in the same layout) from the IDX files in
    directory `path`: train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-... (".gz"
    and the "train-images.idx3-ubyte" spelling are found too). kind: "train" or "test".
    Nothing is downloaded. Returns (X float32 (N, 1, 28, 28) in [0, 1], y int64)."""
    path = os.fspath(path)
    if kind not in ("train", "test"):
        raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
    if not os.path.isdir(path):
        raise FileNotFoundError(f"path must be a directory holding the MNIST IDX files, got {path!r}")
    prefix = "train" if kind == "train" else "t10k"
    images = _find(path, f"{prefix}-images")
    labels = _find(path, f"{prefix}-labels")
    if images is None or labels is None:
        raise FileNotFoundError(f"no {prefix}-images-idx3-ubyte / {prefix}-labels-idx1-ubyte "
                                f"(optionally .gz) in {path!r}")
    X = read_idx(images)
    y = read_idx(labels)
    if X.ndim != 3 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{images} and {labels} do not match: shapes {X.shape} and {y.shape}")
    scale = 255.0 if X.dtype == np.uint8 else 1.0
    return (X.astype(np.float32) / np.float32(scale))[:, None], y.astype(np.int64)


# ------------------------------------------------------------------ scikit-learn digits

def load_digits():
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, no download); needs
    scikit-learn, which is not a dependency of convcore. Returns (X float32 (N, 1, 8, 8) in
    [0, 1], y int64)."""
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError:
        raise ImportError("load_digits needs scikit-learn (pip install scikit-learn)") from None
    d = _sk_load_digits()
    X = (np.asarray(d.images, dtype=np.float32) / np.float32(16.0))[:, None]
    return X, np.asarray(d.target, dtype=np.int64)


def train_test_split(X, y, test_size=0.2, seed=0):
    """Shuffle and split into (X_train, X_test, y_train, y_test); test_size is a fraction in
    (0, 1) or a number of samples."""
    X = np.asarray(X)
    y = np.asarray(y)
    n = X.shape[0] if X.ndim else 0
    if y.shape[:1] != (n,):
        raise ValueError(f"y must have {n} entries, got shape {y.shape}")
    if isinstance(test_size, float):
        frac = float_arg("test_size", test_size, 0.0, 1.0, min_open=True, max_open=True)
        n_test = max(1, int(round(frac * n)))
    else:
        n_test = int_arg("test_size", test_size, 1, max(1, n - 1))
    order = np.random.default_rng(seed_arg("seed", seed)).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]
