"""Every nn layer's backward pass against float64 central finite differences
(eps 1e-6, rtol 1e-3, atol 1e-5): input gradients and parameter gradients."""

import numpy as np
import pytest

from convcore import nn

EPS = 1e-6
RTOL = 1e-3
ATOL = 1e-5


def _numeric_grad(f, arr):
    """Central differences of the scalar f() with respect to every element of arr
    (perturbed in place and restored)."""
    grad = np.zeros(arr.shape, dtype=np.float64)
    for i in np.ndindex(arr.shape):
        old = arr[i]
        arr[i] = old + EPS
        plus = f()
        arr[i] = old - EPS
        minus = f()
        arr[i] = old
        grad[i] = (plus - minus) / (2 * EPS)
    return grad


def check_module(module, x, *, before_forward=None, check_input=True):
    """Compare module.backward with finite differences of sum(module(x) * g)."""
    module.astype(np.float64)
    x = np.asarray(x, dtype=np.float64)
    rng = np.random.default_rng(123)

    def run():
        if before_forward is not None:
            before_forward(module)
        # a copy in x's memory layout: in-place layers may overwrite their input
        return module.forward(x.copy(order="K"))

    y = run()
    g = rng.standard_normal(np.shape(y))

    def loss():
        return float(np.sum(run() * g))

    module.zero_grad()
    run()
    gx = module.backward(g.copy())
    analytic = {name: p.grad.copy() for name, p in module.named_parameters()}
    assert set(analytic) == {name for name, _ in module.named_parameters()}
    if check_input:
        assert gx.shape == x.shape
        np.testing.assert_allclose(gx, _numeric_grad(loss, x), rtol=RTOL, atol=ATOL,
                                   err_msg="input gradient")
    for name, p in module.named_parameters():
        np.testing.assert_allclose(analytic[name], _numeric_grad(loss, p.data), rtol=RTOL,
                                   atol=ATOL, err_msg=f"gradient of {name}")
    return gx


def away_from_zero(rng, shape, margin=0.05):
    """Normal samples with |x| >= margin, so kinks (ReLU at 0) are never straddled."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * margin + x, x)


def distinct(rng, shape):
    """Values pairwise at least 1e-3 apart (max pooling: no near-ties within 2 * EPS)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 1e-2 + rng.uniform(0, 1e-3, n)).reshape(shape) - n * 5e-3


CONV_CASES = [
    dict(in_channels=2, out_channels=3, kernel_size=3),
    dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, bias=False),
    dict(in_channels=2, out_channels=2, kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
    dict(in_channels=1, out_channels=2, kernel_size=2, dilation=2, padding=((1, 0), (0, 2))),
    dict(in_channels=4, out_channels=2, kernel_size=3, groups=2, padding="same"),
    dict(in_channels=3, out_channels=3, kernel_size=3, groups=3, stride=2),
    dict(in_channels=3, out_channels=4, kernel_size=1),
    dict(in_channels=2, out_channels=2, kernel_size=4, padding="same", dilation=(1, 2)),
]


@pytest.mark.parametrize("cfg", CONV_CASES, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()))
def test_conv2d(cfg):
    rng = np.random.default_rng(0)
    m = nn.Conv2d(**cfg, rng=1)
    x = rng.standard_normal((2, cfg["in_channels"], 6, 5))
    check_module(m, x)


def test_conv2d_unbatched_input():
    rng = np.random.default_rng(1)
    check_module(nn.Conv2d(2, 2, 3, padding=1, rng=2), rng.standard_normal((2, 4, 4)))


@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    rng = np.random.default_rng(2)
    check_module(nn.Linear(5, 4, bias=bias, rng=3), rng.standard_normal((3, 5)))


def test_linear_transposed_input():
    # a non-contiguous (transposed) input goes through the strided view unchanged
    rng = np.random.default_rng(3)
    m = nn.Linear(4, 3, rng=4)
    x = rng.standard_normal((4, 6)).T
    assert not x.flags.c_contiguous
    check_module(m, x)


POOL_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), ceil_mode=True),
    dict(kernel_size=2, dilation=2, padding=1),
]


@pytest.mark.parametrize("cfg", POOL_CASES, ids=str)
def test_max_pool2d(cfg):
    rng = np.random.default_rng(4)
    check_module(nn.MaxPool2d(**cfg), distinct(rng, (2, 2, 6, 7)))


@pytest.mark.parametrize("cfg", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
    dict(kernel_size=(2, 3), stride=1, divisor_override=5),
], ids=str)
def test_avg_pool2d(cfg):
    rng = np.random.default_rng(5)
    check_module(nn.AvgPool2d(**cfg), rng.standard_normal((2, 2, 6, 7)))


def test_global_avg_pool2d():
    rng = np.random.default_rng(6)
    check_module(nn.GlobalAvgPool2d(), rng.standard_normal((2, 3, 4, 5)))


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm2d(affine, training):
    rng = np.random.default_rng(7)
    m = nn.BatchNorm2d(3, affine=affine)
    if affine:
        m.weight.data[:] = rng.uniform(0.5, 1.5, 3)
        m.bias.data[:] = rng.standard_normal(3)
    m.running_mean[:] = rng.standard_normal(3)
    m.running_var[:] = rng.uniform(0.5, 2, 3)
    m.train(training)
    check_module(m, rng.standard_normal((3, 3, 2, 3)) * 2 + 1)


def test_batch_norm2d_without_running_stats_in_eval_mode():
    rng = np.random.default_rng(8)
    m = nn.BatchNorm2d(2, track_running_stats=False).eval()
    check_module(m, rng.standard_normal((2, 2, 3, 3)))


@pytest.mark.parametrize("make", [
    lambda: nn.ReLU(), lambda: nn.ReLU(inplace=True), lambda: nn.LeakyReLU(0.2),
    lambda: nn.Tanh(), lambda: nn.Sigmoid(),
], ids=["relu", "relu_inplace", "leaky_relu", "tanh", "sigmoid"])
def test_activations(make):
    rng = np.random.default_rng(9)
    check_module(make(), away_from_zero(rng, (2, 3, 4)) * 2)


def test_flatten():
    rng = np.random.default_rng(10)
    check_module(nn.Flatten(), rng.standard_normal((2, 3, 2, 2)))
    check_module(nn.Flatten(0, 1), rng.standard_normal((2, 3, 2)))


def test_dropout_training_mode():
    rng = np.random.default_rng(11)

    def same_mask(m):
        m._rng = np.random.default_rng(5)

    m = nn.Dropout(0.4, seed=5)
    gx = check_module(m, rng.standard_normal((4, 6)), before_forward=same_mask)
    assert np.any(gx == 0), "some elements should be dropped"


def test_dropout_eval_mode():
    rng = np.random.default_rng(12)
    check_module(nn.Dropout(0.5, seed=1).eval(), rng.standard_normal((3, 4)))


def test_small_network():
    rng = np.random.default_rng(13)
    model = nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1, rng=1), nn.BatchNorm2d(3), nn.LeakyReLU(0.1),
        nn.MaxPool2d(2), nn.Conv2d(3, 4, 3, rng=2), nn.Tanh(), nn.AvgPool2d(2, stride=1),
        nn.Flatten(), nn.Linear(4, 5, rng=3), nn.Sigmoid(), nn.Linear(5, 3, rng=4),
    )
    check_module(model, distinct(rng, (2, 1, 8, 8)) * 10)


def test_network_with_global_pool_and_relu():
    rng = np.random.default_rng(14)
    model = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, rng=5), nn.ReLU(),
                          nn.GlobalAvgPool2d(), nn.Flatten(), nn.Linear(4, 2, rng=6))
    check_module(model, rng.standard_normal((3, 2, 4, 4)))


# ------------------------------------------------------------------------- losses

def _check_loss(loss, pred, target, upstream=1.0):
    pred = np.array(pred, dtype=np.float64)

    def f():
        value = loss(pred, target)
        return float(np.sum(np.asarray(value) * upstream))

    loss(pred, target)
    analytic = loss.backward(upstream)
    np.testing.assert_allclose(analytic, _numeric_grad(f, pred), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_indices(reduction, smoothing):
    rng = np.random.default_rng(15)
    loss = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)
    _check_loss(loss, rng.standard_normal((4, 5)) * 3, rng.integers(0, 5, 4))


def test_cross_entropy_probabilities_and_none_reduction():
    rng = np.random.default_rng(16)
    p = rng.random((3, 4))
    p /= p.sum(axis=1, keepdims=True)
    _check_loss(nn.CrossEntropyLoss(), rng.standard_normal((3, 4)), p)
    upstream = rng.standard_normal(3)
    _check_loss(nn.CrossEntropyLoss(reduction="none"), rng.standard_normal((3, 4)),
                rng.integers(0, 4, 3), upstream)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_mse(reduction):
    rng = np.random.default_rng(17)
    _check_loss(nn.MSELoss(reduction), rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))
