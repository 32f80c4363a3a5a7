"""The call signatures of docs/api.md."""

import inspect

import numpy as np
import pytest

import convcore as cc

SIGNATURES = {
    "conv2d": ["x", "weight", "bias", "stride", "padding", "dilation", "groups", "out"],
    "max_pool2d": ["x", "kernel_size", "stride", "padding", "dilation", "ceil_mode",
                   "return_indices"],
    "avg_pool2d": ["x", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                   "divisor_override"],
    "global_avg_pool2d": ["x"],
    "global_max_pool2d": ["x"],
}
DEFAULTS = {
    "conv2d": dict(bias=None, stride=1, padding=0, dilation=1, groups=1, out=None),
    "max_pool2d": dict(stride=None, padding=0, dilation=1, ceil_mode=False,
                       return_indices=False),
    "avg_pool2d": dict(stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                       divisor_override=None),
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature(name):
    params = inspect.signature(getattr(cc, name)).parameters
    assert list(params) == SIGNATURES[name]
    for arg, default in DEFAULTS.get(name, {}).items():
        assert params[arg].default == default, (name, arg)
    if name == "conv2d":
        assert params["out"].kind is inspect.Parameter.KEYWORD_ONLY


def test_first_argument_is_named_x():
    x = np.ones((1, 1, 4, 4))
    assert cc.conv2d(x=x, weight=np.ones((1, 1, 1, 1))).shape == (1, 1, 4, 4)
    assert cc.max_pool2d(x=x, kernel_size=2).shape == (1, 1, 2, 2)
    assert cc.avg_pool2d(x=x, kernel_size=2).shape == (1, 1, 2, 2)
    assert cc.global_avg_pool2d(x=x).shape == (1, 1, 1, 1)
    assert cc.global_max_pool2d(x=x).shape == (1, 1, 1, 1)


def test_public_names():
    for name in list(SIGNATURES) + ["get_num_threads", "set_num_threads", "show_config",
                                    "config", "__version__"]:
        assert hasattr(cc, name), name


def test_conv2d_plain_call_fast_path():
    """Plain calls (exact ndarrays, int parameters) skip the general argument parsing; they
    must give the general path's bits, and everything else must be left to it."""
    from convcore import _core

    rng = np.random.default_rng(2)
    for dtype in (np.float32, np.float64):
        x = rng.standard_normal((2, 4, 9, 8)).astype(dtype)
        w = rng.standard_normal((6, 2, 3, 2)).astype(dtype)
        b = rng.standard_normal(6).astype(dtype)
        for kwargs in (dict(), dict(stride=2, padding=1), dict(stride=(1, 2), padding=(2, 0),
                                                               dilation=(2, 1), groups=2)):
            kw = dict(dict(stride=1, padding=0, dilation=1, groups=1), **kwargs)
            wk = w if kw["groups"] == 2 else np.concatenate([w, w], axis=1)
            fast = _core.conv2d_fast(x, wk, b, kw["stride"], kw["padding"], kw["dilation"],
                                     kw["groups"], 1)
            assert fast is not None
            general = cc.conv2d(x, wk, b, **kwargs, out=np.empty_like(fast))
            assert fast.dtype == dtype and np.array_equal(fast, general)
            np.testing.assert_array_equal(cc.conv2d(x, wk, b, **kwargs), general)
    x = np.ones((1, 2, 5, 5), np.float32)
    w = np.ones((3, 2, 3, 3), np.float32)
    deferred = [
        (x[0], w, None, 1, 0, 1, 1),                          # 3-D input
        (x.astype(">f4"), w.astype(">f4"), None, 1, 0, 1, 1),  # byte-swapped
        (x.astype(np.float16), w, None, 1, 0, 1, 1),          # converted dtype
        (x, w.astype(np.float64), None, 1, 0, 1, 1),          # mixed dtypes
        (x, w, np.ones(4, np.float32), 1, 0, 1, 1),           # bias of the wrong length
        (x, w, None, np.int64(1), 0, 1, 1),                   # NumPy integer scalar
        (x, w, None, True, 0, 1, 1),                          # bool
        (x, w, None, 0, 0, 1, 1),                             # stride 0
        (x, w, None, 1, "same", 1, 1),                        # string padding
        (x, w, None, 1, ((1, 0), (0, 1)), 1, 1),              # asymmetric padding
        (x, w, None, 1, 0, 1, 2),                             # groups mismatch
        (x.tolist(), w, None, 1, 0, 1, 1),                    # not an array
    ]
    for args in deferred:
        assert _core.conv2d_fast(*args, 1) is None, args
    with pytest.raises(TypeError, match="stride"):
        cc.conv2d(x, w, stride=True)
    with pytest.raises(ValueError, match="bias"):
        cc.conv2d(x, w, np.ones(4, np.float32))
