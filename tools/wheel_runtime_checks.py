"""Run-time checks of an installed convcore wheel, each in fresh subprocesses:

    python tools/wheel_runtime_checks.py threadpool   # threadpoolctl sees and limits convcore's OpenMP
    python tools/wheel_runtime_checks.py torch        # convcore and torch in one process, both orders
    python tools/wheel_runtime_checks.py fork         # the README's advice: spawn / forkserver workers
    python tools/wheel_runtime_checks.py import-time  # `import convcore` beyond NumPy's own import
    python tools/wheel_runtime_checks.py base-cpu     # on a CPU without AVX: base kernels, right answers

Run it with the Python of the environment the wheel is installed in, from outside the
source tree. Each prints what it measured and exits non-zero on failure.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap

TIMEOUT = 300
IMPORT_BUDGET_MS = 50.0


def run_child(code: str, env: dict | None = None) -> str:
    """Runs code in a fresh interpreter; returns its stdout, raises on failure or hang."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=TIMEOUT, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"child failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def check_threadpool() -> None:
    out = run_child("""
        import os
        import convcore
        from threadpoolctl import threadpool_info, threadpool_limits

        pkg = os.path.dirname(os.path.dirname(os.path.abspath(convcore.__file__)))
        omp = [i for i in threadpool_info() if i["user_api"] == "openmp"]
        ours = [i for i in omp if os.path.abspath(i["filepath"]).startswith(pkg)
                and "convcore" in i["filepath"]]
        assert ours, f"no OpenMP runtime inside the convcore wheel among {omp}"
        lib = ours[0]
        print(f"threadpoolctl sees {lib['prefix']} at {lib['filepath']}, {lib['num_threads']} threads")
        assert convcore.config()["openmp"], "convcore was built without OpenMP"
        before = convcore.get_num_threads()
        assert lib["num_threads"] == before, (lib["num_threads"], before)
        for limit in (1, 3):
            with threadpool_limits(limits=limit, user_api="openmp"):
                got = convcore.get_num_threads()
                assert got == limit, f"under threadpool_limits({limit}) convcore uses {got}"
                import numpy as np
                x = np.ones((2, 3, 8, 8)); w = np.ones((4, 3, 3, 3))
                assert convcore.conv2d(x, w).shape == (2, 4, 6, 6)
            print(f"threadpool_limits({limit}): convcore.get_num_threads() == {got}")
        after = convcore.get_num_threads()
        assert after == before, f"not restored: {after} != {before}"
        print(f"restored to {after} threads after the context")
    """)
    print(out, end="")


TORCH_CHILD = """
    import numpy as np
    ORDER
    x = np.random.default_rng(0).standard_normal((4, 8, 32, 32))
    w = np.random.default_rng(1).standard_normal((16, 8, 3, 3))
    convcore.set_num_threads(2)
    torch.set_num_threads(2)
    for _ in range(3):
        ours = convcore.conv2d(x, w, padding=1)
        theirs = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
    from threadpoolctl import threadpool_info
    omp = sorted(i["filepath"].rsplit("/", 2)[-2] + "/" + i["filepath"].rsplit("/", 1)[-1]
                 for i in threadpool_info() if i["user_api"] == "openmp")
    print("ok", torch.__version__, "OpenMP runtimes in the process:", omp)
"""


def check_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError:
        raise SystemExit("torch is not installed in this environment")
    for order in ("import torch\nimport convcore", "import convcore\nimport torch"):
        code = textwrap.dedent(TORCH_CHILD).replace("ORDER", order)
        out = run_child(code)
        print(f"{order.replace(chr(10), '; ')}: {out.strip()}")


FORK_WORKER = """
import multiprocessing as mp
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import convcore


def work(seed):
    convcore.set_num_threads(2)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 8, 24, 24))
    w = rng.standard_normal((8, 8, 3, 3))
    return os.getpid(), convcore.get_num_threads(), convcore.conv2d(x, w, padding=1)


def main():
    # The parent uses OpenMP threads first: this is what makes a plain fork() unsafe.
    convcore.set_num_threads(2)
    expected = {s: work(s)[2] for s in range(4)}
    for method in ("spawn", "forkserver"):
        if method not in mp.get_all_start_methods():
            print(f"{method}: not available on this platform")
            continue
        ctx = mp.get_context(method)
        with ctx.Pool(2) as pool:
            results = pool.map_async(work, range(4)).get(timeout=120)
        with ProcessPoolExecutor(2, mp_context=ctx) as ex:
            results += list(ex.map(work, range(4), timeout=120))
        for i, (pid, threads, y) in enumerate(results):
            assert pid != os.getpid()
            assert threads == 2
            np.testing.assert_array_equal(y, expected[i % 4])
        print(f"{method}: {len(results)} tasks in worker processes after threaded work in the "
              f"parent, results identical to the parent's")


if __name__ == "__main__":
    main()
"""


def check_fork() -> None:
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "fork_advice.py")
        with open(script, "w") as f:
            f.write(FORK_WORKER)
        proc = subprocess.run([sys.executable, script], capture_output=True, text=True,
                              timeout=TIMEOUT, cwd=tmp)
    if proc.returncode != 0:
        raise SystemExit(f"fork advice check failed:\n{proc.stdout}\n{proc.stderr}")
    print(proc.stdout, end="")


def check_import_time(repeats: int = 9) -> None:
    code = """
        import time
        t0 = time.perf_counter(); import numpy
        t1 = time.perf_counter(); import convcore
        t2 = time.perf_counter()
        print(1e3 * (t1 - t0), 1e3 * (t2 - t1))
    """
    numpy_ms, extra_ms = [], []
    run_child(code)  # warm the file cache
    for _ in range(repeats):
        a, b = map(float, run_child(code).split())
        numpy_ms.append(a)
        extra_ms.append(b)
    med = statistics.median(extra_ms)
    print(f"import numpy: median {statistics.median(numpy_ms):.1f} ms; import convcore beyond "
          f"NumPy: median {med:.1f} ms, max {max(extra_ms):.1f} ms over {repeats} fresh "
          f"processes (budget {IMPORT_BUDGET_MS:.0f} ms)")
    if med >= IMPORT_BUDGET_MS:
        raise SystemExit(f"import convcore takes {med:.1f} ms beyond NumPy (budget {IMPORT_BUDGET_MS} ms)")


def check_base_cpu() -> None:
    """Meant to run under an emulated CPU without AVX (qemu -cpu Nehalem): the dispatcher
    must pick the base kernels, and they must compute the right answer."""
    import numpy as np

    import convcore
    import convcore._core as core

    cfg = convcore.config()
    features = cfg["cpu_features"]
    feature_text = features if isinstance(features, str) else ",".join(features)
    assert "avx" not in feature_text, f"this CPU has AVX ({feature_text}): not a base-CPU test"
    assert core.get_target() == "base", core.get_target()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 11, 13))
    w = rng.standard_normal((5, 3, 3, 3))
    y = convcore.conv2d(x, w, padding=1)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))
    ref = np.einsum("nchwij,ocij->nohw", win, w)
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    p = convcore.max_pool2d(x.astype(np.float32), 2)
    assert p.shape == (2, 3, 5, 6)
    print(f"CPU features {feature_text}: target {core.get_target()} "
          f"(compiled: {core.compiled_targets()}), conv2d matches the NumPy reference")


CHECKS = {
    "threadpool": check_threadpool,
    "torch": check_torch,
    "fork": check_fork,
    "import-time": check_import_time,
    "base-cpu": check_base_cpu,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        raise SystemExit(f"usage: {sys.argv[0]} {{{','.join(CHECKS)}}}")
    CHECKS[sys.argv[1]]()
