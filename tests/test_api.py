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
