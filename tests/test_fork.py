"""fork safety (TESTING.md case 17): after a threaded call, a child made by fork runs every
kernel, serially, to the same bits; spawn and forkserver children run threaded as usual.

GCC's libgomp hangs in a forked child whose parent had started OpenMP's thread pool; each
child here is joined with a timeout, so a hang is a failure and not a stuck test run."""

import multiprocessing
import sys
import warnings

import numpy as np
import pytest

import convcore as cc
from helpers import assert_same_bits

TIMEOUT = 180  # seconds per child; generous for sanitizer builds on a loaded machine

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no fork on Windows")


def every_op(seed=70):
    """Results of every op, forward and backward, on data fixed by seed (name -> arrays)."""
    rng = np.random.default_rng(seed)
    out = {}
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((3, 8, 17, 15)).astype(dtype)
        x[1, 2, 3, 4] = np.nan
        w = rng.standard_normal((12, 8, 3, 3)).astype(dtype)
        wd = rng.standard_normal((16, 1, 3, 3)).astype(dtype)
        b = rng.standard_normal(12).astype(dtype)
        t = np.dtype(dtype).name
        y = cc.conv2d(x, w, b, padding=1)
        out[f"conv {t}"] = (y,)
        out[f"conv1x1 {t}"] = (cc.conv2d(x, w[:, :, :1, :1], stride=2),)
        out[f"depthwise {t}"] = (cc.conv2d(x, wd, padding=2, dilation=2, groups=8),)
        out[f"conv_backward {t}"] = cc.conv2d_backward(np.cos(y), x, w, padding=1)
        out[f"depthwise_backward {t}"] = cc.conv2d_backward(
            np.ones((3, 16, 17, 15), dtype), x, wd, padding=1, groups=8)
        p, idx = cc.max_pool2d(x, 3, 2, 1, return_indices=True)
        out[f"max_pool {t}"] = (p, idx)
        out[f"max_pool_backward {t}"] = (cc.max_pool2d_backward(np.sin(p), idx, x.shape),)
        a = cc.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
        out[f"avg_pool {t}"] = (a,)
        out[f"avg_pool_backward {t}"] = (cc.avg_pool2d_backward(
            np.sin(a), x.shape, 3, 2, 1, ceil_mode=True, count_include_pad=False),)
        out[f"global {t}"] = (cc.global_avg_pool2d(x), cc.global_max_pool2d(x))
    return out


def child_main(queue, threads):
    """Runs in the child: every op (with the thread setting given, None = OpenMP's default)
    and the thread count convcore reports; sends them back."""
    try:
        cc.set_num_threads(threads)
        results = every_op()
        queue.put(("ok", cc.get_num_threads(), results))
    except BaseException as exc:  # reported by the parent
        queue.put(("error", repr(exc), None))


def run_child(method, threads):
    ctx = multiprocessing.get_context(method)
    queue = ctx.Queue()
    with warnings.catch_warnings():
        # Python >= 3.12 warns that forking a multi-threaded process may deadlock: that
        # is the situation under test
        warnings.simplefilter("ignore", DeprecationWarning)
        proc = ctx.Process(target=child_main, args=(queue, threads))
        proc.start()
    try:
        status, info, results = queue.get(timeout=TIMEOUT)
    except Exception:  # queue.Empty: the child hung or died
        status, info, results = "no answer", None, None
    proc.join(timeout=30 if status == "ok" else 1)
    if proc.is_alive():
        proc.kill()
        proc.join()
    assert status == "ok", (
        f"{method} child: {status} {info or ''} (exit code {proc.exitcode}); a child that "
        f"does not answer within {TIMEOUT} s is hanging in the OpenMP runtime")
    assert proc.exitcode == 0, proc.exitcode
    return info, results


def assert_same_results(got, want):
    assert got.keys() == want.keys()
    for name in want:
        assert len(got[name]) == len(want[name]), name
        for a, b in zip(got[name], want[name]):
            assert_same_bits(a, b)


@pytest.fixture
def threaded_parent(restore_threads):
    """The parent has run every op on 4 threads (OpenMP's pool exists) before forking."""
    if not cc.config()["openmp"]:
        pytest.skip("serial build: no OpenMP thread pool to inherit")
    cc.set_num_threads(4)
    return every_op()


@pytest.mark.parametrize("threads", [4, None])
def test_fork_child_runs_every_kernel_serially(threaded_parent, threads):
    """Parent threaded, then fork: the child (asking for 4 threads, or for OpenMP's
    default) runs every op, forward and backward, to the parent's bits, on one thread."""
    n, results = run_child("fork", threads)
    assert_same_results(results, threaded_parent)
    if threads is None:
        assert n == 1, f"a forked child runs serially; it reports {n} threads"


def test_fork_grandchild(threaded_parent):
    """A child forked from a forked child is serial too (the flag is inherited)."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()

    def middle(q):
        try:
            q.put(run_child("fork", None))
        except BaseException as exc:
            q.put(("error", repr(exc)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        proc = ctx.Process(target=middle, args=(queue,))
        proc.start()
    try:
        answer = queue.get(timeout=2 * TIMEOUT)
    except Exception:
        answer = ("no answer", None)
    proc.join(timeout=30 if answer[0] == 1 else 1)
    if proc.is_alive():
        proc.kill()
        proc.join()
    assert answer[0] == 1, repr(answer)[:1000]
    assert_same_results(answer[1], threaded_parent)


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_spawn_and_forkserver_children_run_threaded(threaded_parent, method):
    """The documented robust choices: a fresh interpreter, OpenMP threads as usual."""
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    n, results = run_child(method, 3)
    assert n == 3
    assert_same_results(results, threaded_parent)


def test_parent_keeps_its_threads_after_fork(threaded_parent):
    """Only the child is switched to serial: the parent still runs threaded, same bits."""
    run_child("fork", 4)
    assert cc.get_num_threads() == 4
    assert_same_results(every_op(), threaded_parent)
    cc.set_num_threads(None)
    assert cc.get_num_threads() == cc._core.max_threads() >= 1
