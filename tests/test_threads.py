"""Thread counts never change results; concurrent calls from Python threads are safe;
threadpoolctl's OpenMP limit is honoured."""

import threading

import numpy as np
import pytest

import convcore as cc
import reference as R
import reference_sparse as S
from helpers import assert_close, assert_same_bits, rand

DTYPES = [np.float32, np.float64]
THREAD_COUNTS = [1, 2, 3, 5, 8]


def workloads(dtype, seed=50):
    """(name, function, reference) triples covering every op, forward and backward, and
    every kernel path; reference() gives the float64 results (NaN-free data for the
    gradients)."""
    rng = np.random.default_rng(seed)
    x = rand(rng, (3, 16, 23, 21), dtype)
    x[1, 3, 4, 5] = np.nan
    xs = rand(rng, (5, 16, 23, 21), dtype)
    w = rand(rng, (24, 16, 3, 3), dtype)
    w1 = rand(rng, (33, 16, 1, 1), dtype)
    wd = rand(rng, (32, 1, 5, 5), dtype)
    wg = rand(rng, (12, 4, 3, 3), dtype)
    b = rand(rng, (24,), dtype)
    xl = rand(rng, (2, 64, 30, 30), dtype)
    wl = rand(rng, (80, 64, 3, 3), dtype)
    xb = rand(rng, (3, 8, 13, 11), dtype)
    wb = rand(rng, (16, 8, 3, 3), dtype)
    wbg = rand(rng, (16, 4, 3, 3), dtype)
    wbd = rand(rng, (16, 1, 3, 3), dtype)

    def conv(xx, ww, **kw):
        return lambda: cc.conv2d(xx, ww, **kw), lambda: R.conv2d(xx, ww, **kw)

    def conv_backward(xx, ww, stride=1, padding=0, dilation=1, groups=1):
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        dy = rand(np.random.default_rng(seed + 1), R.conv2d(xx, ww, **kw).shape, dtype)
        pads = R.conv_padding(padding, ww.shape[2:], dilation, stride)
        return (lambda: cc.conv2d_backward(dy, xx, ww, **kw),
                lambda: S.conv2d_backward(dy, xx, ww, R.pair(stride), pads, R.pair(dilation),
                                          groups))

    gmax = rand(rng, (3, 16, 12, 11), dtype)
    _, imax = R.max_pool2d(x, 3, 2, 1)
    gavg = rand(rng, (3, 16, 12, 11), dtype)
    avg_kw = dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)
    work = [
        ("conv_large", *conv(xl, wl, padding=1)),
        ("conv3x3", lambda: cc.conv2d(xs, w, b, padding=1), lambda: R.conv2d(xs, w, b, padding=1)),
        ("conv3x3_strided", *conv(xs, w, stride=2, padding=((0, 1), (1, 2)), dilation=2)),
        ("conv1x1", *conv(xs, w1)),
        ("depthwise", *conv(xs, wd, padding=2, groups=16)),
        ("grouped", *conv(xs, wg, padding=1, groups=4)),
        ("conv_batch1", lambda: cc.conv2d(xs[:1], w, b, padding=1),
         lambda: R.conv2d(xs[:1], w, b, padding=1)),
        ("max_pool", lambda: cc.max_pool2d(x, 3, 2, 1, return_indices=True),
         lambda: R.max_pool2d(x, 3, 2, 1)),
        ("max_pool_ceil", lambda: cc.max_pool2d(x, 2, ceil_mode=True, return_indices=True),
         lambda: R.max_pool2d(x, 2, ceil_mode=True)),
        ("avg_pool", lambda: cc.avg_pool2d(x, **avg_kw), lambda: R.avg_pool2d(x, **avg_kw)),
        ("avg_pool_nopad", lambda: cc.avg_pool2d(x, 3, 1, 1, count_include_pad=False),
         lambda: R.avg_pool2d(x, 3, 1, 1, count_include_pad=False)),
        ("global_avg", lambda: cc.global_avg_pool2d(x), lambda: R.global_avg_pool2d(x)),
        ("global_max", lambda: cc.global_max_pool2d(x), lambda: R.global_max_pool2d(x)),
        ("conv_backward", *conv_backward(xb, wb, padding=1)),
        ("conv_backward_strided", *conv_backward(xb, wb, stride=2, padding=((0, 2), (1, 0)),
                                                 dilation=2)),
        ("conv_backward_large", *conv_backward(xl, wl, padding=1)),
        ("conv1x1_backward", *conv_backward(xs, w1)),
        ("grouped_backward", *conv_backward(xb, wbg, stride=2, groups=2)),
        ("depthwise_backward", *conv_backward(xb, wbd, padding=1, groups=8)),
        ("conv_backward_batch0", *conv_backward(xb[:0], wb, padding=1)),
        ("max_pool_backward", lambda: cc.max_pool2d_backward(gmax, imax, x.shape),
         lambda: S.max_pool2d_backward(gmax, imax, x.shape)),
        ("avg_pool_backward", lambda: cc.avg_pool2d_backward(gavg, x.shape, **avg_kw),
         lambda: S.avg_pool2d_backward(gavg, x.shape, (3, 3), (2, 2), (1, 1, 1, 1), True,
                                       True, 0)),
    ]
    return work


def as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


def assert_matches_reference(name, got, ref, dtype):
    for g, r in zip(as_tuple(got), as_tuple(ref), strict=True):
        if g.dtype == np.int64:  # max-pool indices
            np.testing.assert_array_equal(g, r, err_msg=name)
        else:
            assert_close(g, r, dtype)


def test_get_set_num_threads(restore_threads):
    n = cc.get_num_threads()
    assert isinstance(n, int) and n >= 1
    for k in (1, 3, 8):
        cc.set_num_threads(k)
        assert cc.get_num_threads() == k
    cc.set_num_threads(None)
    assert cc.get_num_threads() == restore_threads


@pytest.mark.parametrize("dtype", DTYPES)
def test_thread_counts_bit_identical(dtype, restore_threads):
    work = workloads(dtype)
    cc.set_num_threads(1)
    expected = {name: as_tuple(f()) for name, f, _ in work}
    for n in THREAD_COUNTS[1:]:
        cc.set_num_threads(n)
        assert cc.get_num_threads() == n
        for name, f, _ in work:
            for got, want in zip(as_tuple(f()), expected[name]):
                assert_same_bits(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_more_threads_than_work(dtype, restore_threads):
    rng = np.random.default_rng(51)
    x = rand(rng, (1, 1, 2, 3), dtype)
    w = rand(rng, (1, 1, 2, 2), dtype)
    results = []
    for n in THREAD_COUNTS:
        cc.set_num_threads(n)
        results.append((cc.conv2d(x, w, padding=1), cc.max_pool2d(x, 2, ceil_mode=True),
                        cc.avg_pool2d(x, 1), cc.global_avg_pool2d(x)))
    assert_close(results[0][0], R.conv2d(x, w, padding=1), dtype)
    for r in results[1:]:
        for a, b in zip(r, results[0]):
            assert_same_bits(a, b)


@pytest.mark.parametrize("dtype", DTYPES)
def test_concurrent_python_threads(dtype, restore_threads):
    """8 Python threads call every op, forward and backward, at once (each call on 2 OpenMP
    threads); every result equals the same call made alone, which matches the reference."""
    cc.set_num_threads(2)
    work = workloads(dtype, seed=52)
    expected = {}
    for name, f, ref in work:
        expected[name] = as_tuple(f())
        assert_matches_reference(name, expected[name], ref(), dtype)
    errors = []
    barrier = threading.Barrier(8)

    def worker(tid):
        try:
            barrier.wait()
            for rep in range(3):
                for k in range(len(work)):
                    name, f, _ = work[(k + 3 * tid + rep) % len(work)]
                    for got, want in zip(as_tuple(f()), expected[name]):
                        assert_same_bits(got, want)
        except BaseException as exc:  # reported by the main thread
            errors.append((tid, repr(exc)))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors


def test_concurrent_calls_with_different_shapes():
    """Each thread calls with its own shapes and dtype; all results are right."""
    rng = np.random.default_rng(53)
    jobs = []
    for t in range(8):
        dtype = DTYPES[t % 2]
        x = rand(rng, (1 + t % 3, 2 + t, 7 + t, 9 - t % 4), dtype)
        w = rand(rng, (3 + t, 2 + t, 1 + t % 4, 2), dtype)
        jobs.append((x, w, R.conv2d(x, w, padding=1), R.max_pool2d(x, 2, 1, 1)[0]))
    errors = []

    def worker(x, w, ref_conv, ref_max):
        try:
            for _ in range(10):
                assert_close(cc.conv2d(x, w, padding=1), ref_conv, x.dtype)
                np.testing.assert_array_equal(cc.max_pool2d(x, 2, 1, 1), ref_max.astype(x.dtype))
        except BaseException as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    assert not errors, errors


def test_threadpoolctl_limits_are_honoured(restore_threads):
    """With set_num_threads(None) convcore follows OpenMP's setting, so threadpoolctl's
    limit changes get_num_threads() (and the threads each call uses), results stay
    bit-identical, and leaving the block restores the default; an explicit
    set_num_threads wins over threadpoolctl."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not cc.config()["openmp"]:
        pytest.skip("serial build")
    cc.set_num_threads(None)
    default = cc.get_num_threads()
    apis = {i["user_api"] for i in threadpoolctl.threadpool_info()}
    assert "openmp" in apis, "threadpoolctl does not see convcore's OpenMP runtime"
    work = workloads(np.float32, seed=54)
    baseline = {name: as_tuple(f()) for name, f, _ in work}
    for limit in (1, 3, 5):
        with threadpoolctl.threadpool_limits(limits=limit, user_api="openmp"):
            assert cc.get_num_threads() == limit
            for name, f, _ in work:
                for got, want in zip(as_tuple(f()), baseline[name]):
                    assert_same_bits(got, want)
        assert cc.get_num_threads() == default
    cc.set_num_threads(2)
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert cc.get_num_threads() == 2
