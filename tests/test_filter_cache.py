"""nn.Conv2d in eval mode keeps its Winograd-transformed filters between calls
(_FilterCache, cc_wino_cache in csrc/winograd.h). The cache must never be stale: every
call compares the weights bit for bit with the copy the filters were made from.

Reference: the functional conv2d on the same weights, which transforms them afresh (the
same operations, so the results must be bitwise equal), and the float64 reference for
the values."""

import copy
import pickle
import threading

import numpy as np
import pytest

import convcore as cc
import reference as R
from convcore import nn
from helpers import assert_close, assert_same_bits


def _layer(c_in=32, c_out=48, bias=True, seed=0):
    layer = nn.Conv2d(c_in, c_out, 3, padding=1, bias=bias, rng=seed)
    layer.eval()
    return layer


def _fresh(layer, x):
    """What the layer must return: the functional call on its current weights."""
    b = None if layer.bias is None else layer.bias.data
    return cc.conv2d(x, layer.weight.data, b, padding=layer.padding)


def _x(rng, n=2, c=32, hw=12):
    return rng.standard_normal((n, c, hw, hw)).astype(np.float32)


def test_eval_layer_matches_functional_and_reference(simd_target):
    rng = np.random.default_rng(0)
    layer, x = _layer(), _x(rng)
    for _ in range(3):  # the first call fills the cache, the next ones reuse it
        y = layer(x)
        assert_same_bits(y, _fresh(layer, x))
    assert layer._filters is not None
    ref = R.conv2d(x.astype(np.float64), layer.weight.data.astype(np.float64),
                   layer.bias.data.astype(np.float64), padding=1)
    assert_close(y, ref, np.float32)


@pytest.mark.parametrize("change", ["one_element", "nan", "negative_zero", "new_array",
                                    "strided_view", "optimizer_step"])
def test_changed_weights_are_never_served_stale(simd_target, change):
    rng = np.random.default_rng(1)
    layer, x = _layer(), _x(rng)
    layer(x)
    w = layer.weight.data
    if change == "one_element":
        w[7, 3, 2, 1] += 0.25
    elif change == "nan":
        w[0, 0, 0, 0] = np.nan
    elif change == "negative_zero":
        w[5, 5, 1, 1] = 0.0
        layer(x)
        w[5, 5, 1, 1] = -0.0
    elif change == "new_array":
        layer.weight.data = rng.standard_normal(w.shape).astype(np.float32)
    elif change == "strided_view":
        big = np.zeros((w.shape[0] * 2,) + w.shape[1:], np.float32)
        big[::2] = rng.standard_normal(w.shape)
        layer.weight.data = big[::2]
    elif change == "optimizer_step":
        layer.weight.grad = np.ones_like(w)
        cc.optim.SGD(layer.parameters(), lr=0.5).step()
    y = layer(x)
    assert_same_bits(y, _fresh(layer, x))
    y2 = layer(x)  # and once more from the refreshed cache
    assert_same_bits(y2, _fresh(layer, x))


def test_training_mode_does_not_use_the_cache():
    rng = np.random.default_rng(2)
    layer, x = _layer(), _x(rng)
    layer.train()
    layer(x)
    assert "_filters" not in layer.__dict__
    layer.eval()
    layer(x)
    assert layer._filters is not None


def test_layers_the_transform_never_takes_keep_no_cache():
    rng = np.random.default_rng(3)
    small = nn.Conv2d(8, 8, 3, padding=1, rng=0).eval()   # too few channels
    wide = nn.Conv2d(32, 32, 5, padding=2, rng=0).eval()  # not 3x3
    double = nn.Conv2d(32, 32, 3, padding=1, dtype=np.float64, rng=0).eval()
    for layer, c in ((small, 8), (wide, 32), (double, 32)):
        x = rng.standard_normal((1, c, 10, 10)).astype(layer.dtype)
        assert_same_bits(layer(x), _fresh(layer, x))
        assert layer.__dict__.get("_filters") is None


def test_switching_off_winograd_or_the_target_after_caching():
    import convcore._core as core
    from helpers import targets

    rng = np.random.default_rng(4)
    layer, x = _layer(), _x(rng)
    layer(x)
    try:
        cc.set_winograd(False)
        assert_same_bits(layer(x), _fresh(layer, x))
    finally:
        cc.set_winograd(True)
    previous = core.get_target()
    try:
        for name in targets() + [previous]:
            core.set_target(name)
            assert_same_bits(layer(x), _fresh(layer, x))
            assert_same_bits(layer(x), _fresh(layer, x))
    finally:
        core.set_target(previous)


def test_concurrent_calls_on_one_layer():
    """Python threads calling the same eval layer at once (the core runs without the GIL):
    one call holds the cache, the others transform their own filters; all correct."""
    rng = np.random.default_rng(5)
    layer = _layer(c_in=64, c_out=64)
    xs = [_x(rng, n=1, c=64, hw=20) for _ in range(6)]
    want = [_fresh(layer, x) for x in xs]
    errors = []

    def work(i):
        try:
            for _ in range(20):
                assert_same_bits(layer(xs[i]), want[i])
        except AssertionError as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[0]
    assert not any(t.is_alive() for t in threads)


def test_copies_of_a_layer_with_a_cache():
    rng = np.random.default_rng(6)
    layer, x = _layer(), _x(rng)
    layer(x)
    for other in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        assert_same_bits(other(x), layer(x))
        other.weight.data[1, 1, 1, 1] += 1.0
        assert_same_bits(other(x), _fresh(other, x))
        assert_same_bits(layer(x), _fresh(layer, x))
