"""Optimizers: update formulas against hand-computed values and against torch.optim over
several steps; parameter groups; argument checks."""

import math

import numpy as np
import pytest

from convcore import nn, optim


def _param(values):
    return nn.Parameter(np.array(values, dtype=np.float64))


# ------------------------------------------------------------------ hand-computed steps

def test_sgd_plain_step():
    p = _param([1.0, -2.0])
    opt = optim.SGD([p], lr=0.1)
    p.grad = np.array([0.5, 1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [0.95, -2.1], rtol=1e-15)


def test_sgd_momentum_weight_decay_dampening():
    p = _param([1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1)
    p.grad = np.array([2.0])
    opt.step()  # g = 2 + 0.1 * 1 = 2.1; buffer = 2.1 (no dampening on the first step)
    assert p.data[0] == pytest.approx(1 - 0.21, rel=1e-14)
    p.grad = np.array([1.0])
    opt.step()  # g = 1 + 0.079 = 1.079; buffer = 0.9 * 2.1 + 0.5 * 1.079
    buf = 0.9 * 2.1 + 0.5 * (1 + 0.1 * 0.79)
    assert p.data[0] == pytest.approx(0.79 - 0.1 * buf, rel=1e-14)


def test_sgd_nesterov():
    p = _param([0.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.5, nesterov=True)
    p.grad = np.array([1.0])
    opt.step()  # buffer 1; step g + 0.5 * buffer = 1.5
    assert p.data[0] == pytest.approx(-1.5)
    p.grad = np.array([1.0])
    opt.step()  # buffer 0.5 + 1 = 1.5; step 1 + 0.75
    assert p.data[0] == pytest.approx(-3.25)


def test_adam_first_steps():
    p = _param([1.0])
    opt = optim.Adam([p], lr=0.01, betas=(0.9, 0.99), eps=1e-8)
    p.grad = np.array([0.5])
    opt.step()
    # after bias correction, m_hat = g and v_hat = g^2: the first step is lr * sign(g)
    assert p.data[0] == pytest.approx(1 - 0.01 * 0.5 / (0.5 + 1e-8), rel=1e-12)
    p.grad = np.array([-1.0])
    opt.step()
    m = 0.9 * 0.05 + 0.1 * -1.0
    v = 0.99 * 0.0025 + 0.01 * 1.0
    m_hat, v_hat = m / (1 - 0.9 ** 2), v / (1 - 0.99 ** 2)
    want = (1 - 0.01 * 0.5 / (0.5 + 1e-8)) - 0.01 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert p.data[0] == pytest.approx(want, rel=1e-12)


def test_adamw_decouples_weight_decay():
    p = _param([2.0])
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = np.array([0.0])
    opt.step()  # zero gradient: only the decay p * (1 - lr * wd) acts
    assert p.data[0] == pytest.approx(2.0 * (1 - 0.05), rel=1e-12)


def test_maximize_goes_uphill():
    p = _param([0.0])
    opt = optim.SGD([p], lr=0.5, maximize=True)
    p.grad = np.array([2.0])
    opt.step()
    assert p.data[0] == pytest.approx(1.0)


def test_parameters_without_grad_are_skipped_and_zero_grad():
    a, b = _param([1.0]), _param([1.0])
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = np.array([1.0])
    opt.step()
    assert b.data[0] == 1.0 and b not in opt.state
    assert a.data[0] < 1.0
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_param_groups_override_defaults():
    a, b = _param([1.0]), _param([1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    a.grad = np.array([1.0])
    b.grad = np.array([1.0])
    opt.step()
    assert a.data[0] == pytest.approx(0.9)
    assert b.data[0] == pytest.approx(0.0)
    assert opt.param_groups[1]["lr"] == 1.0 and opt.param_groups[0]["lr"] == 0.1


def test_float32_parameters_stay_float32():
    p = nn.Parameter(np.ones(3, np.float32))
    for opt in (optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1),
                optim.Adam([p], weight_decay=0.1, amsgrad=True)):
        p.grad = np.ones(3, np.float32)
        opt.step()
        assert p.data.dtype == np.float32


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.SGD(p, lr=-1), "lr"),
    (lambda p: optim.SGD(p, momentum=-0.1), "momentum"),
    (lambda p: optim.SGD(p, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (lambda p: optim.SGD(p, weight_decay=-1), "weight_decay"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), r"betas\[0\]"),
    (lambda p: optim.Adam(p, betas=(0.9, -0.1)), r"betas\[1\]"),
    (lambda p: optim.Adam(p, eps=-1e-8), "eps"),
    (lambda p: optim.Adam([], lr=0.1), "params"),
    (lambda p: optim.SGD([{"params": p, "foo": 1}]), "foo"),
    (lambda p: optim.SGD(p + p), "params"),
], ids=range(11))
def test_bad_values(make, match):
    with pytest.raises(ValueError, match=match):
        make([_param([1.0])])


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.SGD(p, lr="0.1"), "lr"),
    (lambda p: optim.SGD(p, nesterov=1), "nesterov"),
    (lambda p: optim.Adam(p, betas=0.9), "betas"),
    (lambda p: optim.Adam(p, amsgrad="yes"), "amsgrad"),
    (lambda p: optim.SGD(p[0]), "params"),
    (lambda p: optim.SGD([np.ones(2)]), "params"),
    (lambda p: optim.SGD(5), "params"),
], ids=range(7))
def test_bad_types(make, match):
    with pytest.raises(TypeError, match=match):
        make([_param([1.0])])


# ---------------------------------------------------------------------- torch.optim

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.02)),
    ("SGD", dict(lr=0.05, momentum=0.5, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.05)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CONFIGS)])
def test_matches_torch(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = [(3, 2, 2, 2), (3,), (4, 5)]
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [nn.Parameter(a) for a in init]
    theirs = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in init]
    opt = getattr(optim, name)(ours, **kwargs)
    topt = getattr(torch.optim, name)(theirs, **kwargs)
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=2e-6, atol=1e-7)
    for step in range(6):
        grads = [rng.standard_normal(s).astype(dtype) for s in shapes]
        for p, tp, g in zip(ours, theirs, grads):
            p.grad = g.copy()
            tp.grad = torch.from_numpy(g.copy())
        if step == 3:  # a parameter without a gradient this step is left alone by both
            ours[1].grad = None
            theirs[1].grad = None
        opt.step()
        topt.step()
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), **tol, err_msg=f"step {step}")


def test_one_training_step_matches_torch():
    """A whole step (forward, loss, backward, SGD with momentum) of a small CNN."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    torch.manual_seed(1)
    tnet = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 3, 5)).double()
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(4 * 3 * 3, 5)).astype(np.float64)
    net.load_state_dict(tnet.state_dict())
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
    loss, tloss = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(3):
        x = rng.standard_normal((8, 1, 8, 8))
        y = rng.integers(0, 5, 8)
        opt.zero_grad()
        value = loss(net(x), y)
        net.backward(loss.backward(), input_grad=False)
        opt.step()
        topt.zero_grad()
        tvalue = tloss(tnet(torch.from_numpy(x)), torch.from_numpy(y))
        tvalue.backward()
        topt.step()
        assert value == pytest.approx(tvalue.item(), rel=1e-10)
    for k, v in net.state_dict().items():
        np.testing.assert_allclose(v, tnet.state_dict()[k].numpy(), rtol=1e-10, atol=1e-12)
