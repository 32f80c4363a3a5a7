"""Bad input: ValueError/TypeError naming the argument, never a crash or a wrong answer."""

import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import convcore as cc
import reference as R
from helpers import assert_close

# the first argument is `x` in docs/api.md (torch calls it `input`); messages may use
# either name. test_first_argument_is_named_x pins the name itself.
X = r"\bx\b|\binput\b"


def x4(shape=(1, 3, 6, 6), dtype=np.float64):
    return np.ones(shape, dtype)


def huge(shape, dtype=np.float32):
    """A read-only array of any (representable) shape, backed by one element."""
    return as_strided(np.zeros(1, dtype), shape=shape, strides=(0,) * len(shape), writeable=False)


# ------------------------------------------------------------------ conv2d: arrays

@pytest.mark.parametrize("shape", [(), (6,), (6, 6), (1, 1, 3, 6, 6)])
def test_conv_x_ndim(shape):
    with pytest.raises(ValueError, match=X):
        cc.conv2d(np.ones(shape), np.ones((2, 3, 3, 3)))


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3), (2, 3, 3, 3, 1)])
def test_conv_weight_ndim(shape):
    with pytest.raises(ValueError, match="weight"):
        cc.conv2d(x4(), np.ones(shape))


@pytest.mark.parametrize("shape", [(), (3,), (1, 2), (2, 1)])
def test_conv_bias_shape(shape):
    with pytest.raises(ValueError, match="bias"):
        cc.conv2d(x4(), np.ones((2, 3, 3, 3)), np.ones(shape))


def test_conv_channel_mismatch():
    with pytest.raises(ValueError, match=r"weight|" + X):
        cc.conv2d(x4(), np.ones((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"weight|" + X):
        cc.conv2d(x4((1, 4, 6, 6)), np.ones((4, 1, 3, 3)), groups=2)
    with pytest.raises(ValueError, match=r"weight|" + X):
        cc.conv2d(x4((3, 6, 6)), np.ones((2, 4, 3, 3)))


def test_conv_groups_not_dividing():
    # C_in = 6 is not divisible by groups = 4
    with pytest.raises(ValueError, match="groups"):
        cc.conv2d(x4((1, 6, 5, 5)), np.ones((4, 1, 3, 3)), groups=4)
    # C_out = 6 is not divisible by groups = 4 (weight.shape[1] * groups == C_in holds)
    with pytest.raises(ValueError, match="groups"):
        cc.conv2d(x4((1, 4, 5, 5)), np.ones((6, 1, 3, 3)), groups=4)


def test_conv_zero_kernel():
    with pytest.raises(ValueError, match="weight"):
        cc.conv2d(x4(), np.ones((2, 3, 0, 3)))
    with pytest.raises(ValueError, match="weight"):
        cc.conv2d(x4(), np.ones((2, 3, 3, 0)))


@pytest.mark.parametrize("x_shape,w_shape,kw", [
    ((1, 3, 3, 3), (2, 3, 5, 5), {}),
    ((1, 3, 3, 8), (2, 3, 4, 1), {}),
    ((1, 3, 5, 5), (2, 3, 3, 3), dict(dilation=3)),
    ((1, 3, 0, 5), (2, 3, 1, 1), {}),
    ((1, 3, 5, 0), (2, 3, 1, 1), {}),
    ((2, 3, 2, 2), (2, 3, 5, 5), dict(padding=((1, 1), (2, 1)))),
])
def test_conv_empty_output(x_shape, w_shape, kw):
    with pytest.raises(ValueError):
        cc.conv2d(np.ones(x_shape), np.ones(w_shape), **kw)


# ------------------------------------------------------------------ conv2d: scalars

CONV_BAD_VALUES = [
    ("stride", 0, ValueError), ("stride", -1, ValueError), ("stride", (1, 0), ValueError),
    ("stride", (-2, 1), ValueError), ("stride", 1.5, TypeError), ("stride", 1.0, TypeError),
    ("stride", True, TypeError), ("stride", "1", TypeError), ("stride", None, TypeError),
    ("stride", (1, 2, 3), (ValueError, TypeError)), ("stride", (1, 2.0), TypeError),
    ("dilation", 0, ValueError), ("dilation", -2, ValueError), ("dilation", (1, 0), ValueError),
    ("dilation", 2.0, TypeError), ("dilation", False, TypeError),
    ("padding", -1, ValueError), ("padding", (0, -1), ValueError),
    ("padding", ((0, 0), (-1, 0)), ValueError), ("padding", ((0, -3), (0, 0)), ValueError),
    ("padding", "full", ValueError), ("padding", "SAME", ValueError), ("padding", "", ValueError),
    ("padding", 1.0, TypeError), ("padding", True, TypeError), ("padding", (1, 1.5), TypeError),
    ("padding", ((1, 2, 3), (0, 0)), (ValueError, TypeError)),
    ("padding", (1, 2, 3), (ValueError, TypeError)),
    ("groups", 0, ValueError), ("groups", -1, ValueError), ("groups", 1.0, TypeError),
    ("groups", True, TypeError), ("groups", "1", TypeError),
]


@pytest.mark.parametrize("name,value,exc", CONV_BAD_VALUES)
def test_conv_bad_scalar_argument(name, value, exc):
    x, w = x4(), np.ones((2, 3, 3, 3))
    x0 = x.copy()
    with pytest.raises(exc, match=name):
        cc.conv2d(x, w, **{name: value})
    np.testing.assert_array_equal(x, x0)


def test_conv_same_needs_stride_one():
    for stride in (2, (1, 2), (2, 1)):
        with pytest.raises(ValueError, match="padding|stride"):
            cc.conv2d(x4(), np.ones((2, 3, 3, 3)), stride=stride, padding="same")


def test_numpy_integers_are_ints():
    rng = np.random.default_rng(40)
    x, w = rng.standard_normal((1, 4, 7, 7)), rng.standard_normal((4, 2, 3, 3))
    y = cc.conv2d(x, w, stride=np.int64(2), padding=np.int32(1), dilation=(np.int8(1), 1),
                  groups=np.int64(2))
    assert_close(y, R.conv2d(x, w, stride=2, padding=1, groups=2), np.float64)
    y = cc.max_pool2d(x, np.int64(3), np.int32(2), np.int16(1))
    np.testing.assert_array_equal(y, R.max_pool2d(x, 3, 2, 1)[0])


# ------------------------------------------------------------------ huge values / overflow

@pytest.mark.parametrize("name,value", [
    ("padding", 2**62), ("padding", 2**61), ("padding", ((2**62, 2**62), (0, 0))),
    ("padding", (0, 2**62)), ("dilation", 2**62), ("dilation", 2**61), ("dilation", (1, 2**62)),
    ("groups", 2**62), ("stride", 2**63), ("stride", 2**64), ("dilation", 2**63),
    ("padding", 2**63), ("groups", 2**63), ("padding", -(2**63)), ("stride", -(2**64)),
])
def test_conv_huge_values(name, value):
    """Values beyond int64 must be rejected by name; values that only make the output size
    or element count overflow must be rejected too (ValueError or MemoryError)."""
    beyond_int64 = isinstance(value, int) and not -(2**63) <= value < 2**63
    with pytest.raises((ValueError, MemoryError),
                       match=name if beyond_int64 or name == "groups" else None):
        cc.conv2d(x4(dtype=np.float32), np.ones((2, 3, 3, 3), np.float32), **{name: value})


def test_conv_element_count_overflows_int64():
    # input of 2**60 elements (a stride-0 view), 8 output channels -> 2**63 output elements
    x = huge((2**20, 1, 2**20, 2**20))
    w = np.ones((8, 1, 1, 1), np.float32)
    with pytest.raises((ValueError, MemoryError)):
        cc.conv2d(x, w)
    w = huge((2**10, 1, 1, 1))
    with pytest.raises((ValueError, MemoryError)):
        cc.conv2d(x, w)
    # a weight of 2**60 elements is fine by itself; the output count overflows
    with pytest.raises((ValueError, MemoryError)):
        cc.conv2d(huge((2**33, 2, 2, 2)), huge((2**31, 2, 1, 1)))
    # padding that makes the output overflow on a tiny input
    with pytest.raises((ValueError, MemoryError)):
        cc.conv2d(np.ones((1, 1, 1, 1), np.float32), np.ones((1, 1, 1, 1), np.float32),
                  padding=2**31)


def test_pool_huge_values():
    x = x4((1, 2, 4, 4))
    for kw in [dict(kernel_size=2**62), dict(kernel_size=(1, 2**62)),
               dict(kernel_size=2, padding=2**62), dict(kernel_size=3, dilation=2**62),
               dict(kernel_size=2**63), dict(kernel_size=2, stride=2**63)]:
        with pytest.raises((ValueError, MemoryError)):
            cc.max_pool2d(x, **kw)
        if "dilation" not in kw:
            with pytest.raises((ValueError, MemoryError)):
                cc.avg_pool2d(x, **kw)
    with pytest.raises(ValueError, match="divisor_override"):
        cc.avg_pool2d(x, 2, divisor_override=2**63)
    with pytest.raises(ValueError, match="divisor_override"):
        cc.avg_pool2d(x, 2, divisor_override=-(2**64))


@pytest.mark.parametrize("exponent", [20, 31, 32, 40, 62])
def test_avg_pool_huge_window(exponent):
    """A 2**e window with 2**(e-1) padding on 4x4 has one legal output window; its divisor
    k*k overflows int64 from e = 32. The result must be right, or the call refused with
    ValueError, never a wrong number (-inf, NaN, a wrapped divisor)."""
    rng = np.random.default_rng(41)
    x = rng.standard_normal((1, 2, 4, 4))
    k = 2**exponent
    for cip, want in [(True, x.sum(axis=(2, 3)) / float(k) / float(k)),
                      (False, x.mean(axis=(2, 3)))]:
        try:
            y = cc.avg_pool2d(x, k, padding=k // 2, count_include_pad=cip)
        except (ValueError, MemoryError):
            continue
        assert y.shape == (1, 2, 1, 1)
        np.testing.assert_allclose(y[:, :, 0, 0], want, rtol=1e-9, atol=0)


def test_max_pool_huge_window_finishes():
    """A 2**62 window with 2**61 padding on 4x4 has one legal output: the plane's max. It must
    be right or refused with ValueError. Run in a subprocess with a timeout: a kernel that
    walks every tap of the window would never finish."""
    code = textwrap.dedent("""
        import numpy as np, convcore as cc
        x = np.random.default_rng(41).standard_normal((1, 2, 4, 4))
        try:
            y = cc.max_pool2d(x, 2**62, padding=2**61)
        except (ValueError, MemoryError) as e:
            print("raised", type(e).__name__)
        else:
            assert y.shape == (1, 2, 1, 1), y.shape
            assert np.array_equal(y[:, :, 0, 0], x.max(axis=(2, 3))), y
            print("ok")
    """)
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        pytest.fail("max_pool2d(x (1,2,4,4), kernel_size=2**62, padding=2**61) did not finish "
                    "in 60 s")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in ("ok", "raised ValueError", "raised MemoryError")


def test_pool_stride_larger_than_input():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(cc.max_pool2d(x, 2, stride=2**40), [[[[5.0]]]])
    np.testing.assert_array_equal(cc.avg_pool2d(x, 2, stride=2**40), [[[[2.5]]]])


# ------------------------------------------------------------------ pooling

@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("shape", [(), (4,), (4, 4), (1, 1, 1, 4, 4)])
def test_pool_x_ndim(op, shape):
    with pytest.raises(ValueError, match=X):
        getattr(cc, op)(np.ones(shape), 2)


@pytest.mark.parametrize("op", ["global_avg_pool2d", "global_max_pool2d"])
@pytest.mark.parametrize("shape", [(), (4,), (4, 4), (1, 1, 1, 4, 4), (1, 2, 0, 3), (1, 2, 3, 0)])
def test_global_pool_bad_x(op, shape):
    with pytest.raises(ValueError, match=X):
        getattr(cc, op)(np.ones(shape))


POOL_BAD_VALUES = [
    ("kernel_size", 0, ValueError), ("kernel_size", -1, ValueError),
    ("kernel_size", (2, 0), ValueError), ("kernel_size", 2.0, TypeError),
    ("kernel_size", True, TypeError), ("kernel_size", None, TypeError),
    ("kernel_size", "2", TypeError), ("kernel_size", (2, 2, 2), (ValueError, TypeError)),
    ("stride", 0, ValueError), ("stride", -1, ValueError), ("stride", (1, 0), ValueError),
    ("stride", 1.5, TypeError), ("stride", True, TypeError),
    ("padding", -1, ValueError), ("padding", (0, -1), ValueError),
    ("padding", 2, ValueError),  # > kernel // 2 for kernel 3
    ("padding", (0, 2), ValueError), ("padding", ((0, 2), (0, 0)), ValueError),
    ("padding", ((0, 0), (2, 1)), ValueError), ("padding", 1.0, TypeError),
    ("padding", True, TypeError), ("padding", "same", (ValueError, TypeError)),
]


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("name,value,exc", POOL_BAD_VALUES)
def test_pool_bad_scalar_argument(op, name, value, exc):
    kw = {"kernel_size": 3}
    kw[name] = value
    with pytest.raises(exc, match=name):
        getattr(cc, op)(x4((1, 2, 7, 7)), **kw)


@pytest.mark.parametrize("value,exc", [(0, ValueError), (-1, ValueError), (1.0, TypeError),
                                       (True, TypeError)])
def test_max_pool_bad_dilation(value, exc):
    with pytest.raises(exc, match="dilation"):
        cc.max_pool2d(x4((1, 2, 7, 7)), 3, dilation=value)


def test_pool_padding_rule_uses_each_axis():
    x = x4((1, 1, 8, 8))
    # kernel (2, 4): padding up to (1, 2) is fine, (2, 1) is not
    assert cc.max_pool2d(x, (2, 4), padding=(1, 2)).shape == (1, 1, 5, 3)
    with pytest.raises(ValueError, match="padding"):
        cc.max_pool2d(x, (2, 4), padding=(2, 1))
    with pytest.raises(ValueError, match="padding"):
        cc.avg_pool2d(x, (4, 2), padding=(1, 2))


@pytest.mark.parametrize("value,exc", [(0, ValueError), (1.5, TypeError), (2.0, TypeError),
                                       (True, TypeError), ("2", TypeError)])
def test_bad_divisor_override(value, exc):
    with pytest.raises(exc, match="divisor_override"):
        cc.avg_pool2d(x4(), 2, divisor_override=value)


@pytest.mark.parametrize("op", ["max_pool2d", "avg_pool2d"])
def test_pool_empty_output(op):
    with pytest.raises(ValueError):
        getattr(cc, op)(x4((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError):
        getattr(cc, op)(x4((1, 1, 5, 2)), (1, 3))
    with pytest.raises(ValueError):
        getattr(cc, op)(x4((1, 1, 0, 4)), 1)


# ------------------------------------------------------------------ threads setting

@pytest.mark.parametrize("value,exc", [(0, ValueError), (-1, ValueError), (-(2**70), ValueError),
                                       ("2", TypeError), (2.0, TypeError), (True, TypeError)])
def test_set_num_threads_bad(value, exc, restore_threads):
    before = cc.get_num_threads()
    with pytest.raises(exc):
        cc.set_num_threads(value)
    assert cc.get_num_threads() == before


def test_validation_survives_python_O(tmp_path):
    """Validation must not rely on `assert` (python -O strips those)."""
    code = textwrap.dedent("""
        import numpy as np, convcore as cc
        x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2))
        for f in [lambda: cc.conv2d(x, w, stride=0), lambda: cc.conv2d(x, w, padding=-1),
                  lambda: cc.conv2d(x, w, dilation=0), lambda: cc.conv2d(x, w, groups=0),
                  lambda: cc.conv2d(x, np.ones((1, 2, 2, 2))),
                  lambda: cc.max_pool2d(x, 0), lambda: cc.max_pool2d(x, 2, padding=2),
                  lambda: cc.avg_pool2d(x, 2, divisor_override=0),
                  lambda: cc.set_num_threads(0)]:
            try:
                f()
            except ValueError:
                continue
            raise SystemExit("no ValueError under -O")
        print("ok")
    """)
    proc = subprocess.run([sys.executable, "-O", "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "ok"
