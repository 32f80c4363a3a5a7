"""Backward passes: float64 central differences of the forward functions for every
parameter family, torch agreement, repeatability, edge shapes, index checks."""
import numpy as np
import pytest

import convcore

from helpers import assert_same_bits

EPS, RTOL, ATOL = 1e-6, 1e-3, 1e-5


def numeric_grad(f, arr, dy):
    """d(sum(f() * dy)) / d(arr), central differences, arr perturbed in place (a copy
    made by the caller)."""
    g = np.zeros_like(arr)
    flat, gflat = arr.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + EPS
        plus = np.sum(f() * dy)
        flat[i] = old - EPS
        minus = np.sum(f() * dy)
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * EPS)
    return g


CONV_CASES = [
    # (N, C, H, W, K, kh, kw, kwargs)
    (2, 3, 6, 7, 4, 3, 3, dict()),
    (2, 3, 7, 6, 4, 3, 3, dict(stride=2)),
    (1, 2, 7, 8, 3, 3, 2, dict(stride=(2, 3), padding=1)),
    (2, 2, 6, 6, 3, 3, 3, dict(padding=((1, 2), (0, 1)))),
    (1, 2, 8, 8, 2, 3, 3, dict(dilation=2, padding=2)),
    (1, 3, 7, 7, 2, 2, 3, dict(padding="same", dilation=(1, 2))),
    (2, 4, 5, 5, 6, 3, 3, dict(groups=2, padding=1)),
    (2, 3, 6, 5, 3, 3, 3, dict(groups=3, padding=1)),            # depthwise
    (1, 2, 6, 6, 4, 3, 3, dict(groups=2, stride=2, padding=1)),  # depthwise, multiplier 2
    (2, 5, 4, 4, 3, 1, 1, dict()),                              # 1x1
    (1, 2, 3, 3, 2, 4, 4, dict(padding=2)),                     # kernel larger than input
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: str(c[7]) or "plain")
def test_conv2d_backward_finite_differences(case):
    n, c, h, w_, k, kh, kw, kwargs = case
    rng = np.random.default_rng(7)
    groups = kwargs.get("groups", 1)
    x = rng.standard_normal((n, c, h, w_))
    w = rng.standard_normal((k, c // groups, kh, kw))
    b = rng.standard_normal(k)
    y = convcore.conv2d(x, w, b, **kwargs)
    dy = rng.standard_normal(y.shape)
    x0, w0 = x.copy(), w.copy()
    dx, dw, db = convcore.conv2d_backward(dy, x, w, **kwargs)
    assert np.array_equal(x, x0) and np.array_equal(w, w0), "inputs were modified"
    xp, wp, bp = x.copy(), w.copy(), b.copy()
    f = lambda: convcore.conv2d(xp, wp, bp, **kwargs)  # noqa: E731
    np.testing.assert_allclose(dx, numeric_grad(f, xp, dy), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dw, numeric_grad(f, wp, dy), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(db, numeric_grad(f, bp, dy), rtol=RTOL, atol=ATOL)


def test_conv2d_backward_subsets_and_unbatched():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    dy = rng.standard_normal((4, 4, 4))
    full = convcore.conv2d_backward(dy, x, w)
    assert full[0].shape == x.shape
    only_w = convcore.conv2d_backward(dy, x, w, input_grad=False, bias_grad=False)
    assert only_w[0] is None and only_w[2] is None
    np.testing.assert_array_equal(only_w[1], full[1])
    only_x = convcore.conv2d_backward(dy, x, w, weight_grad=False, bias_grad=False)
    assert only_x[1] is None and only_x[2] is None
    np.testing.assert_array_equal(only_x[0], full[0])


def test_conv2d_backward_strided_grad_output_and_float32():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 9, 9))
    w = rng.standard_normal((5, 4, 3, 3))
    dy = rng.standard_normal((2, 5, 14, 14))[:, :, ::2, ::2][..., ::-1]  # (2, 5, 7, 7), odd strides
    ref = convcore.conv2d_backward(np.ascontiguousarray(dy), x, w)
    got = convcore.conv2d_backward(dy, x, w)
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    got32 = convcore.conv2d_backward(dy.astype(np.float32), x.astype(np.float32), w.astype(np.float32))
    for a, b in zip(got32, ref):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


@pytest.mark.parametrize("groups, c_in", [(1, 0), (1, 4), (4, 4)])
@pytest.mark.parametrize("threads", [1, 3])
def test_conv2d_backward_empty_batch_and_channels(groups, c_in, threads, restore_threads):
    convcore.set_num_threads(threads)
    for n in (0, 2):
        x = np.ones((n, c_in, 5, 5))
        w = np.ones((4, c_in // groups, 3, 3))
        dy = np.ones((n, 4, 3, 3))
        dx, dw, db = convcore.conv2d_backward(dy, x, w, groups=groups)
        assert dx.shape == x.shape and dw.shape == w.shape and db.shape == (4,)
        if n == 0:
            assert not dw.any() and not db.any(), "dW and db must be exactly zero for N=0"
            assert np.array_equal(db, np.zeros(4)) and np.signbit(dw).sum() == 0
        else:
            np.testing.assert_array_equal(db, np.full(4, n * 9.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_backward_repeated_runs_bit_equal(dtype, restore_threads):
    """20 repeated runs of each backward pass on 3 threads are bit-equal (thread counts are
    compared in test_threads.py)."""
    convcore.set_num_threads(3)
    rng = np.random.default_rng(81)
    x = rng.standard_normal((3, 12, 19, 17)).astype(dtype)
    calls = []
    for w_shape, kwargs in [((20, 12, 3, 3), dict(padding=1)),
                            ((20, 12, 3, 3), dict(stride=2, padding=((0, 2), (1, 0)), dilation=2)),
                            ((9, 12, 1, 1), dict()),
                            ((24, 1, 3, 3), dict(padding=1, stride=(1, 2), groups=12))]:
        w = rng.standard_normal(w_shape).astype(dtype)
        dy = rng.standard_normal(convcore.conv2d(x, w, **kwargs).shape).astype(dtype)
        calls.append(lambda dy=dy, w=w, kw=kwargs: convcore.conv2d_backward(dy, x, w, **kw))
    y, idx = convcore.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True)
    dy = rng.standard_normal(y.shape).astype(dtype)
    calls.append(lambda: (convcore.max_pool2d_backward(dy, idx, x.shape),
                          convcore.avg_pool2d_backward(dy, x.shape, 3, 2, 1, ceil_mode=True,
                                                       count_include_pad=False)))
    for call in calls:
        first = call()
        for _ in range(20):
            for got, want in zip(call(), first):
                assert_same_bits(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("groups", [2, 6])
def test_backward_batch_rows_equal_single_runs(groups, dtype, restore_threads):
    """Row i of a batch's input gradient equals the batch-1 run on row i; the batch's
    weight and bias gradients equal the sums of the per-row ones (exact: small integers).
    groups=6 is depthwise."""
    convcore.set_num_threads(2)
    rng = np.random.default_rng(82)
    x = rng.integers(-3, 4, (5, 6, 9, 8)).astype(dtype)
    w = rng.integers(-2, 3, (12, 6 // groups, 3, 3)).astype(dtype)
    kw = dict(padding=1, stride=(2, 1), groups=groups)
    dy = rng.integers(-3, 4, convcore.conv2d(x, w, **kw).shape).astype(dtype)
    dx, dw, db = convcore.conv2d_backward(dy, x, w, **kw)
    sum_dw, sum_db = np.zeros_like(dw), np.zeros_like(db)
    for i in range(x.shape[0]):
        dxi, dwi, dbi = convcore.conv2d_backward(dy[i:i + 1], x[i:i + 1], w, **kw)
        assert_same_bits(dx[i:i + 1], dxi)
        sum_dw += dwi
        sum_db += dbi
    assert_same_bits(dw, sum_dw)
    assert_same_bits(db, sum_db)


# ------------------------------------------------------------------------- pooling

MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0), ceil_mode=True),
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=3, stride=2, padding=((1, 0), (0, 1)), ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", MAX_CASES, ids=str)
def test_max_pool2d_backward_finite_differences(kwargs):
    rng = np.random.default_rng(11)
    # a permutation scaled apart: no ties, and no two values closer than EPS
    x = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) * 0.01
    y, idx = convcore.max_pool2d(x, return_indices=True, **kwargs)
    dy = rng.standard_normal(y.shape)
    dx = convcore.max_pool2d_backward(dy, idx, x.shape)
    xp = x.copy()
    num = numeric_grad(lambda: convcore.max_pool2d(xp, **kwargs), xp, dy)
    np.testing.assert_allclose(dx, num, rtol=RTOL, atol=ATOL)


def test_max_pool2d_backward_ties_go_to_first_max():
    x = np.zeros((1, 1, 4, 4))
    y, idx = convcore.max_pool2d(x, 2, return_indices=True)
    np.testing.assert_array_equal(idx[0, 0], [[0, 2], [8, 10]])
    dx = convcore.max_pool2d_backward(np.ones_like(y), idx, x.shape)
    want = np.zeros((4, 4))
    want[[0, 0, 2, 2], [0, 2, 0, 2]] = 1
    np.testing.assert_array_equal(dx[0, 0], want)


def test_max_pool2d_backward_overlapping_windows_accumulate():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5  # the max of all four overlapping 2x2 windows
    y, idx = convcore.max_pool2d(x, 2, stride=1, return_indices=True)
    dx = convcore.max_pool2d_backward(np.full(y.shape, 1.5), idx, x.shape)
    assert dx[0, 0, 1, 1] == 6.0 and dx.sum() == 6.0


@pytest.mark.parametrize("bad", [-1, 16, 10**12])
def test_max_pool2d_backward_rejects_out_of_range_indices(bad):
    dy = np.ones((1, 1, 2, 2))
    idx = np.array([[[[0, 1], [bad, 3]]]])
    with pytest.raises(ValueError, match="indices"):
        convcore.max_pool2d_backward(dy, idx, (1, 1, 4, 4))


def test_max_pool2d_backward_argument_errors():
    dy = np.ones((1, 1, 2, 2))
    with pytest.raises(TypeError, match="indices"):
        convcore.max_pool2d_backward(dy, np.zeros((1, 1, 2, 2)), (1, 1, 4, 4))
    with pytest.raises(ValueError, match="indices"):
        convcore.max_pool2d_backward(dy, np.zeros((1, 1, 2, 3), np.int64), (1, 1, 4, 4))
    with pytest.raises(ValueError, match="input_shape"):
        convcore.max_pool2d_backward(dy, np.zeros((1, 1, 2, 2), np.int64), (1, 2, 4, 4))
    with pytest.raises(ValueError, match="input_shape"):
        convcore.max_pool2d_backward(dy, np.zeros((1, 1, 2, 2), np.int64), (4, 4))


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(1, 2), stride=2, padding=(0, 1), ceil_mode=True),
    dict(kernel_size=2, stride=3, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, padding=1, divisor_override=-4),
    dict(kernel_size=3, stride=2, padding=((0, 1), (1, 0)), ceil_mode=True, divisor_override=5),
]


@pytest.mark.parametrize("kwargs", AVG_CASES, ids=str)
def test_avg_pool2d_backward_finite_differences(kwargs):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 7, 7))
    y = convcore.avg_pool2d(x, **kwargs)
    dy = rng.standard_normal(y.shape)
    dx = convcore.avg_pool2d_backward(dy, x.shape, **kwargs)
    xp = x.copy()
    num = numeric_grad(lambda: convcore.avg_pool2d(xp, **kwargs), xp, dy)
    np.testing.assert_allclose(dx, num, rtol=RTOL, atol=ATOL)


def test_avg_pool2d_backward_rejects_wrong_grad_shape():
    with pytest.raises(ValueError, match="grad_output"):
        convcore.avg_pool2d_backward(np.ones((1, 1, 3, 3)), (1, 1, 4, 4), 2)


def test_backward_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(2)
    for kwargs, groups in [(dict(stride=2, padding=1, dilation=2), 1), (dict(padding=1), 3)]:
        x = rng.standard_normal((2, 6, 11, 10))
        w = rng.standard_normal((9, 6 // groups, 3, 3))
        xt = torch.tensor(x, requires_grad=True)
        wt = torch.tensor(w, requires_grad=True)
        bt = torch.zeros(9, dtype=torch.float64, requires_grad=True)
        y = F.conv2d(xt, wt, bt, groups=groups, **kwargs)
        dy = rng.standard_normal(tuple(y.shape))
        y.backward(torch.tensor(dy))
        dx, dw, db = convcore.conv2d_backward(dy, x, w, groups=groups, **kwargs)
        for got, want in ((dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
            np.testing.assert_allclose(got, want.numpy(), rtol=1e-10, atol=1e-10)
    x = rng.standard_normal((2, 3, 9, 8))
    xt = torch.tensor(x, requires_grad=True)
    y, idx = F.max_pool2d(xt, 3, 2, 1, ceil_mode=True, return_indices=True)
    dy = rng.standard_normal(tuple(y.shape))
    y.backward(torch.tensor(dy))
    np.testing.assert_allclose(convcore.max_pool2d_backward(dy, idx.numpy(), x.shape), xt.grad.numpy())
    xt = torch.tensor(x, requires_grad=True)
    y = F.avg_pool2d(xt, 3, 2, 1, ceil_mode=True, count_include_pad=False)
    dy = rng.standard_normal(tuple(y.shape))
    y.backward(torch.tensor(dy))
    np.testing.assert_allclose(
        convcore.avg_pool2d_backward(dy, x.shape, 3, 2, 1, True, False), xt.grad.numpy(), atol=1e-12
    )


@pytest.mark.parametrize("n", [16, 17, 37])
def test_weight_gradient_over_many_images(n, restore_threads):
    """Batches past one chunk of images: against an einsum over sliding windows, and
    bit-identical for 1, 2 and 5 threads."""
    rng = np.random.default_rng(n)
    x = rng.standard_normal((n, 2, 12, 11))
    w = rng.standard_normal((3, 2, 5, 5))
    dy = rng.standard_normal((n, 3, 12, 11))
    xp = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (5, 5), axis=(2, 3))
    want = np.einsum("nkhw,nchwij->kcij", dy, win)
    results = []
    for nt in (1, 2, 5):
        convcore.set_num_threads(nt)
        results.append(convcore.conv2d_backward(dy, x, w, padding=2, input_grad=False))
    np.testing.assert_allclose(results[0][1], want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(results[0][2], dy.sum(axis=(0, 2, 3)), rtol=1e-12)
    for r in results[1:]:
        assert_same_bits(r[1], results[0][1])
        assert_same_bits(r[2], results[0][2])
