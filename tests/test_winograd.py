"""Winograd F(4x4, 3x3) (float32 3x3 stride-1 convolutions with >= 16 channels in and
out): accuracy against the float64 reference, every SIMD target, edges of the tiling,
thread determinism, and the switch (set_winograd).

TESTING.md's bound: relative L2 error <= 2e-5 against float64. F(4x4, 3x3) with the
points 0, +-1, +-2 gives about 2e-6; poorly chosen points give 1e-4 and fail here."""

import numpy as np
import pytest

import convcore

from helpers import assert_same_bits
from reference import conv2d as ref_conv2d
from reference import conv2d_backward as ref_backward
from reference import conv_padding

L2_BOUND = 2e-5


def rel_l2(got, want):
    return float(np.linalg.norm(got.astype(np.float64) - want) / np.linalg.norm(want))


@pytest.fixture
def winograd():
    before = convcore.get_winograd()
    convcore.set_winograd(True)
    yield
    convcore.set_winograd(before)


def run_both(x, w, b=None, **kwargs):
    """(Winograd result, GEMM result) of the same call."""
    y = convcore.conv2d(x, w, b, **kwargs)
    convcore.set_winograd(False)
    try:
        y_gemm = convcore.conv2d(x, w, b, **kwargs)
    finally:
        convcore.set_winograd(True)
    return y, y_gemm


# the benchmark's 3x3 stride-1 layers that take Winograd, batch cut to keep the float64
# reference quick
BENCH_LAYERS = [
    ("resnet_l1", (1, 64, 56, 56), 64),
    ("mnist_c2", (4, 32, 14, 14), 64),
]


@pytest.mark.parametrize("name, shape, k", BENCH_LAYERS, ids=[n for n, _, _ in BENCH_LAYERS])
def test_accuracy_on_benchmark_layers(simd_target, winograd, name, shape, k):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = (rng.standard_normal((k, shape[1], 3, 3)) / np.sqrt(9 * shape[1])).astype(np.float32)
    b = rng.standard_normal(k, dtype=np.float32)
    y, y_gemm = run_both(x, w, b, padding=1)
    want = ref_conv2d(x, w, b, padding=1)
    assert not np.array_equal(y, y_gemm), "the Winograd path was not taken"
    err = rel_l2(y, want)
    assert err <= L2_BOUND, f"{name}: relative L2 error {err:.2e}"
    assert rel_l2(y_gemm, want) <= 1e-6
    # the elementwise bound of the direct paths holds too
    assert np.abs(y - want).max() <= 1e-4 * np.abs(want).max()


TILING = [
    # (N, C, H, W, K, padding): output sizes in every residue mod 4 (tiles past the edge),
    # channel counts off the vector width, K spanning several GEMM column tiles
    (1, 16, 4, 4, 16, 1),
    (2, 17, 9, 11, 19, 1),
    (1, 16, 7, 13, 33, 0),
    (1, 24, 10, 6, 100, ((0, 2), (1, 0))),
    (3, 16, 5, 18, 16, ((2, 2), (2, 1))),
    (1, 40, 12, 12, 200, "same"),
]


@pytest.mark.parametrize("case", TILING, ids=str)
def test_tiling_edges(simd_target, winograd, case):
    n, c, h, w_, k, pad = case
    rng = np.random.default_rng(c * k)
    x = rng.standard_normal((n, c, h, w_), dtype=np.float32)
    w = rng.standard_normal((k, c, 3, 3), dtype=np.float32)
    b = rng.standard_normal(k, dtype=np.float32)
    y, _ = run_both(x, w, b, padding=pad)
    want = ref_conv2d(x, w, b, padding=pad)
    assert y.shape == want.shape
    assert rel_l2(y, want) <= L2_BOUND
    assert np.abs(y - want).max() <= 1e-4 * np.abs(want).max()


@pytest.mark.parametrize("view", ["step2_columns", "dense_rows"])
def test_strided_views_and_bias_stride(simd_target, winograd, view):
    """Inputs that are views: columns 2 apart (the scalar channel-last copy) or dense rows
    with channels and rows apart by more than a plane / row (the SIMD transposing copy)."""
    rng = np.random.default_rng(3)
    base = rng.standard_normal((2, 40, 15, 22), dtype=np.float32)
    x = base[:, ::2, 1:, ::2] if view == "step2_columns" else base[:, 1::2, 1:, 3:20]
    w = rng.standard_normal((24, 20, 3, 6), dtype=np.float32)[..., ::2]
    b = rng.standard_normal(48, dtype=np.float32)[::2]
    x0, w0, b0 = x.copy(), w.copy(), b.copy()
    y, _ = run_both(x, w, b, padding=1)
    assert rel_l2(y, ref_conv2d(x0, w0, b0, padding=1)) <= L2_BOUND
    assert np.array_equal(x, x0) and np.array_equal(w, w0) and np.array_equal(b, b0)
    # the layout does not change the result: the same values, C-contiguous
    y_dense, _ = run_both(np.ascontiguousarray(x), w, b, padding=1)
    assert np.array_equal(y, y_dense)


def same_bits_across_threads(x, w):
    """conv2d(x, w, padding=1) at 1, 2, 3, 5 and 8 threads, asserted bit-equal; returns it."""
    results = []
    for nt in (1, 2, 3, 5, 8):
        convcore.set_num_threads(nt)
        results.append(convcore.conv2d(x, w, padding=1))
    for r in results[1:]:
        assert_same_bits(r, results[0])
    return results[0]


@pytest.mark.parametrize("n", [1, 3])
def test_bitwise_across_threads(winograd, restore_threads, n):
    """One image (each step split over the threads) and several (images per thread)."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 32, 18, 21), dtype=np.float32)
    w = rng.standard_normal((48, 32, 3, 3), dtype=np.float32)
    same_bits_across_threads(x, w)


def test_not_taken_outside_its_domain(winograd):
    """float64, stride 2, dilation 2, groups 2 and few channels keep the exact paths."""
    rng = np.random.default_rng(4)
    x = rng.integers(-3, 4, size=(1, 16, 12, 12))
    w = rng.integers(-3, 4, size=(16, 16, 3, 3))
    cases = [(x.astype(np.float64), w.astype(np.float64), dict(padding=1)),
             (x.astype(np.float32), w.astype(np.float32), dict(stride=2, padding=1)),
             (x.astype(np.float32), w.astype(np.float32), dict(dilation=2, padding=2)),
             (x.astype(np.float32), w[:, :8].astype(np.float32), dict(groups=2, padding=1)),
             (x[:, :8].astype(np.float32), w[:, :8].astype(np.float32), dict(padding=1))]
    for xi, wi, kwargs in cases:
        y = convcore.conv2d(xi, wi, **kwargs)
        np.testing.assert_array_equal(y, ref_conv2d(xi, wi, **kwargs).astype(xi.dtype),
                                      err_msg=str(kwargs))


def test_input_gradient_through_winograd(winograd):
    """The stride-1 input gradient is a forward 3x3 convolution, which takes Winograd."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 16, 10, 10), dtype=np.float32)
    w = rng.standard_normal((32, 16, 3, 3), dtype=np.float32)
    dy = rng.standard_normal((2, 32, 10, 10), dtype=np.float32)
    dx, _, _ = convcore.conv2d_backward(dy, x, w, padding=1, weight_grad=False, bias_grad=False)
    want = ref_backward(dy, x, w, padding=1)[0]
    assert rel_l2(dx, want) <= L2_BOUND


def test_switch(winograd):
    convcore.set_winograd(False)
    assert convcore.get_winograd() is False and convcore.config()["winograd"] is False
    convcore.set_winograd(True)
    assert convcore.get_winograd() is True
    for bad in (1, None, "yes"):
        with pytest.raises(TypeError, match="enabled"):
            convcore.set_winograd(bad)
    assert convcore.get_winograd() is True
    assert "winograd_f4x4_3x3" in str(convcore.config()["kernels"])


# ---------------------------------------------------------------- F(2x2, 3x3)
# Layers whose F(4x4) filters would not stay in cache (C_in * C_out * 144 bytes above
# 1.5 MiB, both at least 32) and whose output has at least 40 tiles of 2x2 per image take
# F(2x2, 3x3) with the filter transform fused per block of output channels. The points
# 0, +-1 keep it about as accurate as the direct sum.
F2_BOUND = 2e-6


def tile_of(x, w, padding):
    """The output tile of the Winograd variant this stride-1 call takes (4, 2 or 0)."""
    pads = conv_padding(padding, (3, 3), (1, 1), (1, 1))
    return convcore._core.winograd_tile(tuple(x.shape), tuple(w.shape), tuple(pads))


@pytest.mark.parametrize("shape, k", [((1, 256, 14, 14), 256), ((2, 128, 14, 14), 160)],
                         ids=["resnet_l3", "c128_14x14"])
def test_f2_accuracy_on_benchmark_layers(simd_target, winograd, shape, k):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape, dtype=np.float32)
    w = (rng.standard_normal((k, shape[1], 3, 3)) / np.sqrt(9 * shape[1])).astype(np.float32)
    b = rng.standard_normal(k, dtype=np.float32)
    assert tile_of(x, w, 1) == 2
    y, y_gemm = run_both(x, w, b, padding=1)
    want = ref_conv2d(x, w, b, padding=1)
    assert not np.array_equal(y, y_gemm), "the Winograd path was not taken"
    assert rel_l2(y, want) <= F2_BOUND
    assert rel_l2(y_gemm, want) <= F2_BOUND
    assert np.abs(y - want).max() <= 1e-5 * np.abs(want).max()


F2_TILING = [
    # (N, C, H, W, K, padding), at least 40 tiles per image: odd and even output sizes
    # (tiles past the edge), channel
    # counts off the vector width, K in several blocks of unequal widths, input channels
    # in several chunks (C = 520), tile rows split over tasks (a 40x40 plane), images in
    # rounds
    (2, 97, 13, 11, 113, 1),
    (2, 128, 17, 10, 96, ((0, 2), (1, 0))),
    (3, 33, 15, 15, 400, 1),
    (1, 520, 12, 14, 32, ((2, 1), (0, 1))),
    (1, 64, 40, 40, 200, "same"),
    (5, 40, 16, 13, 300, 0),
]


@pytest.mark.parametrize("case", F2_TILING, ids=str)
def test_f2_tiling_edges(simd_target, winograd, case):
    n, c, h, w_, k, pad = case
    rng = np.random.default_rng(c + k)
    x = rng.standard_normal((n, c, h, w_), dtype=np.float32)
    w = rng.standard_normal((k, c, 3, 3), dtype=np.float32)
    b = rng.standard_normal(k, dtype=np.float32)
    assert tile_of(x, w, pad) == 2
    y, y_gemm = run_both(x, w, b, padding=pad)
    want = ref_conv2d(x, w, b, padding=pad)
    assert y.shape == want.shape
    assert not np.array_equal(y, y_gemm), "the Winograd path was not taken"
    assert rel_l2(y, want) <= F2_BOUND
    assert np.abs(y - want).max() <= 1e-5 * np.abs(want).max()


def test_f2_strided_weights_and_views(simd_target, winograd):
    """Weights that are not dense along (c, i, j) (the scalar gather of the filter
    transform), a strided input and bias; the inputs stay unchanged."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((1, 192, 16, 34), dtype=np.float32)[:, ::2, :, ::2]
    w = rng.standard_normal((160, 96, 3, 6), dtype=np.float32)[..., ::2]
    assert tile_of(x, w, 1) == 2
    b = rng.standard_normal(320, dtype=np.float32)[::2]
    x0, w0, b0 = x.copy(), w.copy(), b.copy()
    y, y_gemm = run_both(x, w, b, padding=1)
    assert not np.array_equal(y, y_gemm), "the Winograd path was not taken"
    assert rel_l2(y, ref_conv2d(x0, w0, b0, padding=1)) <= F2_BOUND
    assert np.array_equal(x, x0) and np.array_equal(w, w0) and np.array_equal(b, b0)
    y_dense, _ = run_both(np.ascontiguousarray(x), np.ascontiguousarray(w), b0, padding=1)
    assert np.array_equal(y, y_dense)


def test_f2_one_channel_step_of_strided_weights(winograd):
    """481 input channels: the filter transform's last step is one channel (on AVX-512,
    chunks of 96); weights every other channel of a larger array, so that step must take
    the channel stride, not the dense one."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 481, 14, 14), dtype=np.float32)
    w = rng.standard_normal((32, 962, 3, 3), dtype=np.float32)[:, ::2]
    assert tile_of(x, w, 1) == 2
    y, y_gemm = run_both(x, w, padding=1)
    assert not np.array_equal(y, y_gemm), "the Winograd path was not taken"
    assert rel_l2(y, ref_conv2d(x, w, padding=1)) <= F2_BOUND
    assert_same_bits(y, run_both(x, np.ascontiguousarray(w), padding=1)[0])


@pytest.mark.parametrize("n", [1, 3])
def test_f2_bitwise_across_threads_and_batch_rows(winograd, restore_threads, n):
    """Bit-equal for any thread count (the output-channel blocks follow the threads), and
    each batch row equal to a batch-1 call on it (the algorithm does not follow N)."""
    rng = np.random.default_rng(10 + n)
    x = rng.standard_normal((n, 96, 14, 15), dtype=np.float32)
    w = rng.standard_normal((136, 96, 3, 3), dtype=np.float32)
    assert tile_of(x, w, 1) == 2
    y = same_bits_across_threads(x, w)
    for i in range(n):
        assert_same_bits(convcore.conv2d(x[i:i + 1], w, padding=1), y[i:i + 1])


def test_f2_not_taken_on_small_planes(winograd):
    """A 7x7 plane (16 tiles of 2x2) keeps the direct GEMM, at any batch: exact on small
    integers."""
    rng = np.random.default_rng(12)
    w = rng.integers(-3, 4, size=(128, 128, 3, 3)).astype(np.float32)
    for n in (1, 4):
        x = rng.integers(-3, 4, size=(n, 128, 7, 7)).astype(np.float32)
        np.testing.assert_array_equal(convcore.conv2d(x, w, padding=1),
                                      ref_conv2d(x, w, padding=1).astype(np.float32))


def test_f2_input_gradient(winograd):
    """The stride-1 input gradient of a wide layer goes through F(2x2)."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((1, 128, 14, 14), dtype=np.float32)
    w = rng.standard_normal((160, 128, 3, 3), dtype=np.float32)
    dy = rng.standard_normal((1, 160, 14, 14), dtype=np.float32)
    dx, _, _ = convcore.conv2d_backward(dy, x, w, padding=1, weight_grad=False, bias_grad=False)
    assert rel_l2(dx, ref_backward(dy, x, w, padding=1)[0]) <= F2_BOUND


def _layout(a, kind):
    """The same values as a, laid out as kind (a view or a copy; never the input array)."""
    if kind == "dense":
        return a.copy()
    if kind == "fortran":
        return np.asfortranarray(a)
    if kind == "reversed":  # negative strides on every axis
        return np.ascontiguousarray(a[::-1, ::-1, ::-1, ::-1])[::-1, ::-1, ::-1, ::-1]
    big = np.zeros((a.shape[0], 2 * a.shape[1]) + a.shape[2:], a.dtype)  # channel step 2
    big[:, ::2] = a
    return big[:, ::2]


@pytest.mark.parametrize("seed", range(10))
def test_f2_random_shapes_and_layouts(winograd, seed):
    """Random F(2x2) calls: channel counts from 32 to 600 (every chunk and block split),
    planes of at least 40 tiles, asymmetric padding, batch 1 to 3, bias or none, and input
    and weights in any of four layouts; within the bound of the float64 reference, and the
    same bits as the dense call."""
    rng = np.random.default_rng(100 + seed)
    while True:
        c, k = int(rng.integers(32, 601)), int(rng.integers(32, 321))
        if c * k * 36 * 4 > 1.5 * 1024 * 1024:  # wider than F(4x4)'s in-cache filters
            break
    while True:  # at least 40 tiles of 2x2 per image
        pads = tuple(int(v) for v in rng.integers(0, 3, size=4))
        h, w_ = (int(v) for v in rng.integers(11, 21, size=2))
        oh, ow = h + pads[0] + pads[1] - 2, w_ + pads[2] + pads[3] - 2
        if ((oh + 1) // 2) * ((ow + 1) // 2) >= 40:
            break
    n = int(rng.integers(1, 4))
    x = rng.standard_normal((n, c, h, w_), dtype=np.float32)
    w = rng.standard_normal((k, c, 3, 3), dtype=np.float32)
    b = rng.standard_normal(k, dtype=np.float32) if seed % 2 else None
    padding = ((pads[0], pads[1]), (pads[2], pads[3]))
    kinds = ["dense", "fortran", "reversed", "channel_step"]
    xv, wv = _layout(x, kinds[seed % 4]), _layout(w, kinds[(seed // 4 + 1) % 4])
    assert tile_of(x, w, padding) == 2
    y = convcore.conv2d(xv, wv, b, padding=padding)
    want = ref_conv2d(x, w, b, padding=padding)
    msg = f"n={n} c={c} k={k} h={h} w={w_} pads={pads} tiles={((oh + 1) // 2) * ((ow + 1) // 2)}"
    assert rel_l2(y, want) <= F2_BOUND, msg
    assert_same_bits(y, convcore.conv2d(x, w, b, padding=padding))
    assert np.array_equal(xv, x) and np.array_equal(wv, w)


@pytest.mark.parametrize("n, c, hw, k", [(1, 128, 28, 128), (2, 256, 28, 64), (1, 96, 30, 200)],
                         ids=["c128_28x28", "c256_k64", "c96_k200"])
def test_f4_wide_filters_on_large_planes(simd_target, winograd, n, c, hw, k):
    """Filters too large for F(4x4)'s in-cache rule, with at least 96 input channels and 40
    tiles of 4x4 per image, still take F(4x4), within the bound of the float64 reference;
    the same weights on a 14x14 plane take F(2x2)."""
    rng = np.random.default_rng(c * k)
    x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
    w = (rng.standard_normal((k, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(k, dtype=np.float32)
    assert c * k * 36 * 4 > 1.5 * 1024 * 1024
    assert tile_of(x, w, 1) == 4
    assert tile_of(x[:, :, :14, :14], w, 1) == 2
    y, y_gemm = run_both(x, w, b, padding=1)
    want = ref_conv2d(x, w, b, padding=1)
    assert not np.array_equal(y, y_gemm), "the Winograd path was not taken"
    assert rel_l2(y, want) <= L2_BOUND
    assert np.abs(y - want).max() <= 1e-4 * np.abs(want).max()


def test_winograd_tile_rules(winograd):
    """Which variant takes which layer: in-cache F(4x4) filters; wide filters on large
    planes (F(4x4) from 96 input channels, else F(2x2)); small planes; the switch."""
    def tile(n, c, hw, k):
        return tile_of(np.zeros((n, c, hw, hw), np.float32), np.zeros((k, c, 3, 3), np.float32), 1)
    assert tile(1, 64, 56, 64) == 4                       # resnet_l1
    assert tile(1, 128, 28, 128) == 4 and tile(1, 128, 14, 128) == 2
    assert tile(1, 64, 28, 256) == 2 and tile(1, 96, 28, 256) == 4
    assert tile(1, 256, 14, 256) == 2 and tile(1, 256, 28, 256) == 2   # beyond 4 MiB
    assert tile(1, 512, 7, 512) == 0 and tile(8, 512, 7, 512) == 0     # resnet_l4: direct
    assert tile(1, 8, 28, 8) == 0                         # too few channels
    convcore.set_winograd(False)
    assert tile(1, 128, 28, 128) == 0 and tile(1, 256, 14, 256) == 0
