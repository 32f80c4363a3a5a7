"""convcore.nn against torch.nn: the same weights give the same outputs and the same
gradients, layer by layer and for small networks; torch state_dicts load as they are."""

import numpy as np
import pytest

from convcore import nn

torch = pytest.importorskip("torch")

TOL = {np.float32: dict(rtol=1e-4, atol=1e-5), np.float64: dict(rtol=1e-9, atol=1e-11)}
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}



def _close_to_scale(actual, expected, tol, what):
    """Elementwise rtol, with atol no smaller than rtol times the largest magnitude: after
    several steps through a network, float32 rounding differs by the order of the
    largest values, not of each element (the tolerance rule of TESTING.md)."""
    scale = float(np.max(np.abs(expected))) if np.size(expected) else 0.0
    atol = max(tol["atol"], tol["rtol"] * scale)
    np.testing.assert_allclose(actual, expected, rtol=tol["rtol"], atol=atol, err_msg=what)

def compare(ours, theirs, x, dtype, *, training=True, steps=1):
    """Load theirs' state into ours, run forward and backward on x with the same upstream
    gradient `steps` times, and compare outputs, input gradients, parameter gradients and
    the state after the steps (BatchNorm's running statistics)."""
    theirs = theirs.to(TORCH_DTYPE[dtype])
    ours.astype(dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.train(training)
    theirs.train(training)
    rng = np.random.default_rng(99)
    tol = TOL[dtype]
    for _ in range(steps):
        xd = np.asarray(x, dtype=dtype)
        xt = torch.from_numpy(xd.copy()).requires_grad_(True)
        yt = theirs(xt)
        y = ours(xd.copy())
        _close_to_scale(y, yt.detach().numpy(), tol, "forward")
        assert y.dtype == dtype
        g = rng.standard_normal(y.shape).astype(dtype)
        theirs.zero_grad()
        ours.zero_grad()
        yt.backward(torch.from_numpy(g.copy()))
        gx = ours.backward(g.copy())
        _close_to_scale(gx, xt.grad.numpy(), tol, "input gradient")
        tparams = dict(theirs.named_parameters())
        names = [n for n, _ in ours.named_parameters()]
        assert names == list(tparams)
        for name, p in ours.named_parameters():
            _close_to_scale(p.grad, tparams[name].grad.numpy(), tol, f"gradient of {name}")
    tstate = theirs.state_dict()
    ostate = ours.state_dict()
    assert list(ostate) == list(tstate)
    for k, v in ostate.items():
        np.testing.assert_allclose(v, tstate[k].numpy(), **tol, err_msg=f"state {k}")


DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3),
    dict(kernel_size=3, padding=1, bias=False),
    dict(kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
    dict(kernel_size=3, padding="same", dilation=2),
    dict(kernel_size=3, groups=2, padding="valid"),
], ids=str)
def test_conv2d(kwargs, dtype):
    rng = np.random.default_rng(0)
    ours = nn.Conv2d(4, 6, **kwargs)
    theirs = torch.nn.Conv2d(4, 6, **kwargs)
    compare(ours, theirs, rng.standard_normal((3, 4, 9, 8)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias, dtype):
    rng = np.random.default_rng(1)
    compare(nn.Linear(7, 5, bias=bias), torch.nn.Linear(7, 5, bias=bias),
            rng.standard_normal((6, 7)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(2, 3), dilation=(2, 1)),
], ids=str)
def test_max_pool2d(kwargs, dtype):
    rng = np.random.default_rng(2)
    compare(nn.MaxPool2d(**kwargs), torch.nn.MaxPool2d(**kwargs),
            rng.standard_normal((2, 3, 9, 8)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=3, stride=1, padding=1, divisor_override=4),
], ids=str)
def test_avg_pool2d(kwargs, dtype):
    rng = np.random.default_rng(3)
    compare(nn.AvgPool2d(**kwargs), torch.nn.AvgPool2d(**kwargs),
            rng.standard_normal((2, 3, 9, 8)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_global_avg_pool2d(dtype):
    rng = np.random.default_rng(4)
    compare(nn.GlobalAvgPool2d(), torch.nn.AdaptiveAvgPool2d(1),
            rng.standard_normal((2, 3, 5, 4)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(momentum=None),
    dict(affine=False, momentum=0.3, eps=1e-3),
    dict(track_running_stats=False),
], ids=str)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm2d(kwargs, training, dtype):
    rng = np.random.default_rng(5)
    theirs = torch.nn.BatchNorm2d(3, **kwargs)
    with torch.no_grad():
        if theirs.affine:
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.normal_()
        if theirs.track_running_stats:
            theirs.running_mean.normal_()
            theirs.running_var.uniform_(0.5, 2)
    compare(nn.BatchNorm2d(3, **kwargs), theirs, rng.standard_normal((4, 3, 5, 5)) * 3 + 1,
            dtype, training=training, steps=3)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.ReLU(inplace=True), lambda: torch.nn.ReLU()),
    (lambda: nn.LeakyReLU(0.1), lambda: torch.nn.LeakyReLU(0.1)),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Flatten(), lambda: torch.nn.Flatten()),
    (lambda: nn.Flatten(1, 2), lambda: torch.nn.Flatten(1, 2)),
    (lambda: nn.Dropout(0.3).eval(), lambda: torch.nn.Dropout(0.3).eval()),
], ids=["relu", "relu_inplace", "leaky_relu", "tanh", "sigmoid", "flatten", "flatten12",
        "dropout_eval"])
def test_parameterless_layers(pair, dtype):
    rng = np.random.default_rng(6)
    ours, theirs = pair[0](), pair[1]()
    x = rng.standard_normal((3, 2, 4, 5)) * 4
    x[0, 0, 0, :2] = [0.0, -0.0]  # the kink: both libraries give 0 gradient at 0
    x[1, 1, 1, 1] = np.nan  # NaN propagates the same way, gradients included
    compare(ours, theirs, x, dtype, training=ours.training)


def _lenet(lib):
    return lib.Sequential(
        lib.Conv2d(1, 6, 5, padding=2), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(6, 16, 5), lib.ReLU(), lib.MaxPool2d(2), lib.Flatten(),
        lib.Linear(16 * 5 * 5, 120), lib.ReLU(), lib.Linear(120, 84), lib.ReLU(),
        lib.Linear(84, 10))


def _bn_net(lib):
    return lib.Sequential(
        lib.Conv2d(3, 8, 3, padding=1, bias=False), lib.BatchNorm2d(8), lib.LeakyReLU(0.05),
        lib.AvgPool2d(2), lib.Conv2d(8, 8, 3, padding=1, groups=2), lib.BatchNorm2d(8),
        lib.Tanh(), lib.MaxPool2d(2), lib.Flatten(), lib.Linear(8 * 3 * 3, 6), lib.Sigmoid())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_lenet(dtype, training):
    rng = np.random.default_rng(7)
    compare(_lenet(nn), _lenet(torch.nn), rng.random((5, 1, 28, 28)), dtype, training=training)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batchnorm_network_several_steps(dtype):
    rng = np.random.default_rng(8)
    compare(_bn_net(nn), _bn_net(torch.nn), rng.standard_normal((4, 3, 12, 12)), dtype, steps=3)


def test_torch_state_dict_gives_the_same_predictions():
    torch.manual_seed(0)
    theirs = _bn_net(torch.nn)
    # move the running statistics away from their initial values
    theirs.train()
    with torch.no_grad():
        for _ in range(3):
            theirs(torch.randn(8, 3, 12, 12))
    theirs.eval()
    ours = _bn_net(nn).eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(9).standard_normal((10, 3, 12, 12)).astype(np.float32)
    with torch.no_grad():
        want = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours.predict(x, batch_size=4), want, rtol=1e-4, atol=1e-5)
    # tensors themselves are accepted too
    ours2 = _bn_net(nn).eval()
    ours2.load_state_dict(theirs.state_dict())
    np.testing.assert_allclose(ours2(x), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy(reduction, smoothing):
    rng = np.random.default_rng(10)
    logits = rng.standard_normal((6, 5)) * 10
    logits[0, 0] = 800.0  # exp would overflow without the shift
    target = rng.integers(0, 5, 6)
    ours = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)
    theirs = torch.nn.CrossEntropyLoss(reduction=reduction, label_smoothing=smoothing)
    lt = torch.from_numpy(logits).requires_grad_(True)
    vt = theirs(lt, torch.from_numpy(target))
    v = ours(logits, target)
    np.testing.assert_allclose(v, vt.detach().numpy(), rtol=1e-12)
    up = rng.standard_normal(6) if reduction == "none" else 1.7
    vt.backward(torch.as_tensor(up, dtype=torch.float64))
    np.testing.assert_allclose(ours.backward(up), lt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_cross_entropy_with_probabilities():
    rng = np.random.default_rng(11)
    logits = rng.standard_normal((4, 3))
    p = rng.random((4, 3))
    p /= p.sum(1, keepdims=True)
    lt = torch.from_numpy(logits).requires_grad_(True)
    vt = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(lt, torch.from_numpy(p))
    ours = nn.CrossEntropyLoss(label_smoothing=0.1)
    np.testing.assert_allclose(ours(logits, p), vt.item(), rtol=1e-12)
    vt.backward()
    np.testing.assert_allclose(ours.backward(), lt.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse(reduction):
    rng = np.random.default_rng(12)
    a, b = rng.standard_normal((2, 3, 4))
    at = torch.from_numpy(a).requires_grad_(True)
    vt = torch.nn.MSELoss(reduction=reduction)(at, torch.from_numpy(b))
    ours = nn.MSELoss(reduction)
    np.testing.assert_allclose(ours(a, b), vt.detach().numpy(), rtol=1e-12)
    up = rng.standard_normal(a.shape) if reduction == "none" else 1.0
    vt.backward(torch.as_tensor(up, dtype=torch.float64))
    np.testing.assert_allclose(ours.backward(up), at.grad.numpy(), rtol=1e-12)


def test_default_initialisation_matches_torch_distributions():
    # torch: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for Conv2d and Linear
    conv = nn.Conv2d(8, 64, 3, rng=0)
    bound = 1 / np.sqrt(8 * 9)
    w = conv.weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    tconv = torch.nn.Conv2d(8, 64, 3)
    assert abs(tconv.weight.detach().numpy().std() - w.std()) < 0.05 * bound
    lin = nn.Linear(100, 200, rng=1)
    assert np.abs(lin.bias.data).max() <= 0.1 and lin.bias.data.std() > 0.05
