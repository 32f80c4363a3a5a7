"""The downstream example against convcore's own Python API."""
import subprocess
import sys
import threading

import numpy as np
import pytest

import convcore
from convcore_downstream import conv_then_pool


def expected(images, weight, padding=1, pool=2):
    conv = convcore.conv2d(images, weight, padding=padding)
    return conv, convcore.max_pool2d(conv, pool)


@pytest.mark.parametrize("n", [0, 1, 5])
def test_matches_convcore(n):
    rng = np.random.default_rng(n)
    images = rng.standard_normal((n, 3, 17, 16)).astype(np.float32)
    weight = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    conv, pooled = conv_then_pool(images, weight)
    want_conv, want_pooled = expected(images, weight)
    np.testing.assert_array_equal(conv, want_conv)
    np.testing.assert_array_equal(pooled, want_pooled)


def test_four_python_threads():
    rng = np.random.default_rng(1)
    jobs = [
        (rng.standard_normal((6, 4, 20, 20)).astype(np.float32),
         rng.standard_normal((5, 4, 3, 3)).astype(np.float32))
        for _ in range(4)
    ]
    want = [expected(x, w) for x, w in jobs]
    got = [None] * 4
    errors = []

    def work(i):
        try:
            for _ in range(20):
                got[i] = conv_then_pool(*jobs[i])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for (c, p), (wc, wp) in zip(got, want):
        np.testing.assert_array_equal(c, wc)
        np.testing.assert_array_equal(p, wp)


def test_bad_arguments_raise():
    images = np.zeros((1, 3, 2, 2), np.float32)
    weight = np.zeros((4, 2, 3, 3), np.float32)  # wrong in_channels
    with pytest.raises(ValueError, match="in_channels|channels"):
        conv_then_pool(images, weight)


def test_api_version_mismatch_is_a_clear_import_error():
    code = (
        "import convcore._core as core\n"
        "core._C_API = core._test_capsule(core.API_VERSION + 1)\n"
        "try:\n"
        "    import convcore_downstream\n"
        "except ImportError as exc:\n"
        "    print('IMPORT ERROR:', exc)\n"
        "else:\n"
        "    print('imported')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "IMPORT ERROR" in out.stdout and "version mismatch" in out.stdout, out.stdout
