"""Data sets: the generated glyphs, the IDX/MNIST reader on files written here, the
scikit-learn digits loader, and train_test_split."""

import gzip
import struct
import sys

import numpy as np
import pytest

from convcore import datasets


def test_glyphs_shapes_range_and_balance():
    X, y = datasets.glyphs(1003, seed=0)
    assert X.shape == (1003, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (1003,) and y.dtype == np.int64
    assert X.min() >= 0 and X.max() <= 1
    counts = np.bincount(y, minlength=10)
    assert counts.min() == 100 and counts.max() == 101
    assert not np.array_equal(y[:20], np.sort(y[:20]))  # shuffled
    # every image has a glyph: a good number of bright pixels
    assert np.all((X > 0.5).sum(axis=(1, 2, 3)) >= 10)


def test_glyphs_deterministic_for_a_seed():
    a = datasets.glyphs(200, seed=42)
    b = datasets.glyphs(200, seed=42)
    c = datasets.glyphs(200, seed=43)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_glyphs_rendering_chunks_do_not_change_the_data(monkeypatch):
    a, _ = datasets.glyphs(300, seed=7)
    monkeypatch.setattr(datasets, "_CHUNK", 5)
    b, _ = datasets.glyphs(300, seed=7)
    np.testing.assert_array_equal(a, b)


def test_glyph_classes_differ_and_vary():
    X, y = datasets.glyphs(2000, seed=1, noise=0.0, distractors=0.0)
    means = np.stack([X[y == c, 0].mean(axis=0) for c in range(10)])
    # class means are distinct images ...
    dist = np.sqrt(((means[:, None] - means[None]) ** 2).sum(axis=(2, 3)))
    assert dist[~np.eye(10, dtype=bool)].min() > 1.0
    # ... and the samples of one class are not copies of each other
    spread = X[y == 3, 0].std(axis=0).mean()
    assert spread > 0.1


def test_glyph_options():
    X, _ = datasets.glyphs(50, seed=0, size=16, dtype=np.float64, noise=0.0, max_shift=0,
                           max_rotation=0, distractors=0.0)
    assert X.shape == (50, 1, 16, 16) and X.dtype == np.float64
    # without noise the background is exactly zero
    assert np.all((X == 0).mean(axis=(1, 2, 3)) > 0.4)
    noisy, _ = datasets.glyphs(50, seed=0, size=16, noise=0.3)
    assert (noisy == 0).mean() < (X == 0).mean()
    assert datasets.glyphs(0, seed=0)[0].shape == (0, 1, 28, 28)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(n=-1), ValueError, "n"),
    (dict(n=1.5), TypeError, "n"),
    (dict(n=5, seed=-2), ValueError, "seed"),
    (dict(n=5, size=4), ValueError, "size"),
    (dict(n=5, noise=-0.1), ValueError, "noise"),
    (dict(n=5, distractors=2), ValueError, "distractors"),
    (dict(n=5, dtype=np.int8), TypeError, "dtype"),
])
def test_glyphs_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        datasets.glyphs(**kwargs)


# ------------------------------------------------------------------------- IDX / MNIST

def _write_idx(path, array, type_code):
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    raw = header + array.tobytes()
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(raw)
    else:
        path.write_bytes(raw)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7, dtype=np.uint8)
    ext = ".gz" if gz else ""
    _write_idx(tmp_path / f"t10k-images-idx3-ubyte{ext}", images, 0x08)
    _write_idx(tmp_path / f"t10k-labels-idx1-ubyte{ext}", labels, 0x08)
    X, y = datasets.load_mnist(tmp_path, kind="test")
    assert X.shape == (7, 1, 28, 28) and X.dtype == np.float32
    np.testing.assert_allclose(X[:, 0] * 255, images, atol=1e-4)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64
    with pytest.raises(FileNotFoundError, match="train-images"):
        datasets.load_mnist(tmp_path, kind="train")


def test_load_mnist_dotted_names(tmp_path):
    images = np.zeros((2, 28, 28), np.uint8)
    _write_idx(tmp_path / "train-images.idx3-ubyte", images, 0x08)
    _write_idx(tmp_path / "train-labels.idx1-ubyte", np.array([3, 4], np.uint8), 0x08)
    X, y = datasets.load_mnist(str(tmp_path))
    assert X.shape == (2, 1, 28, 28) and list(y) == [3, 4]


def test_read_idx_types_and_errors(tmp_path):
    a = np.arange(12, dtype=">i4").reshape(3, 4)
    _write_idx(tmp_path / "a.idx", a, 0x0C)
    got = datasets.read_idx(tmp_path / "a.idx")
    np.testing.assert_array_equal(got, a)
    assert got.dtype.isnative
    f = np.linspace(0, 1, 5).astype(">f8")
    _write_idx(tmp_path / "f.idx", f, 0x0E)
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "f.idx"), f)
    (tmp_path / "bad.idx").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="magic"):
        datasets.read_idx(tmp_path / "bad.idx")
    raw = (tmp_path / "a.idx").read_bytes()
    (tmp_path / "short.idx").write_bytes(raw[:-3])
    with pytest.raises(ValueError, match="data bytes"):
        datasets.read_idx(tmp_path / "short.idx")


def test_load_mnist_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="kind"):
        datasets.load_mnist(tmp_path, kind="validation")
    with pytest.raises(FileNotFoundError, match="directory"):
        datasets.load_mnist(tmp_path / "missing")


# ------------------------------------------------------------------- sklearn digits

def test_load_digits():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    X, y = datasets.load_digits()
    ref = sklearn_datasets.load_digits()
    assert X.shape == (1797, 1, 8, 8) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X[:, 0] * 16, ref.images, atol=1e-5)
    np.testing.assert_array_equal(y, ref.target)


def test_load_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="scikit-learn"):
        datasets.load_digits()


def test_train_test_split():
    X = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    Xtr, Xte, ytr, yte = datasets.train_test_split(X, y, test_size=0.2, seed=3)
    assert len(Xte) == 10 and len(Xtr) == 40
    np.testing.assert_array_equal(Xtr[:, 0] // 2, ytr)
    assert sorted(np.concatenate([ytr, yte])) == list(range(50))
    again = datasets.train_test_split(X, y, test_size=0.2, seed=3)
    np.testing.assert_array_equal(again[3], yte)
    assert len(datasets.train_test_split(X, y, test_size=7)[1]) == 7
    with pytest.raises(ValueError, match="test_size"):
        datasets.train_test_split(X, y, test_size=1.0)
    with pytest.raises(ValueError, match="y must have"):
        datasets.train_test_split(X, y[:3])
