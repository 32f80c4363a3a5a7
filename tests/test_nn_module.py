"""Module mechanics: parameters, modes, state_dict round trips, save/load, dtypes,
gradient accumulation, argument checks, Dropout and initialisation."""

import json
import zipfile

import numpy as np
import pytest

from convcore import nn


def _net(dtype=np.float32):
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, dtype=dtype, rng=0), nn.BatchNorm2d(4, dtype=dtype),
        nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25, seed=3),
        nn.Conv2d(4, 6, 3, padding=((1, 0), (0, 1)), groups=2, bias=False, dtype=dtype, rng=1),
        nn.LeakyReLU(0.2), nn.AvgPool2d(2, ceil_mode=True), nn.GlobalAvgPool2d(), nn.Flatten(),
        nn.Linear(6, 5, dtype=dtype, rng=2), nn.Tanh(), nn.Linear(5, 3, dtype=dtype, rng=3),
        nn.Sigmoid())


def test_state_dict_keys_shapes_and_order():
    sd = _net().state_dict()
    assert list(sd) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
        "1.num_batches_tracked", "5.weight", "10.weight", "10.bias", "12.weight", "12.bias"]
    assert sd["0.weight"].shape == (4, 1, 3, 3)
    assert sd["5.weight"].shape == (6, 2, 3, 3)
    assert sd["10.weight"].shape == (5, 6)
    assert sd["1.num_batches_tracked"].shape == () and sd["1.num_batches_tracked"].dtype == np.int64


def test_state_dict_round_trip_gives_identical_outputs():
    rng = np.random.default_rng(0)
    x = rng.random((3, 1, 8, 8)).astype(np.float32)
    a = _net()
    a.train()
    a(x)  # running statistics move
    a.eval()
    b = nn.Sequential(*[type(m).from_config(m.get_config()) for m in a]).eval()
    assert not np.array_equal(a(x), b(x))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a(x), b(x))
    # the state is copied, not shared
    sd = a.state_dict()
    sd["0.weight"][...] = 0
    assert np.any(a[0].weight.data != 0)


def test_save_and_load(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((4, 1, 8, 8)).astype(np.float32)
    model = _net()
    model(x)
    model.eval()
    path = model.save(tmp_path / "model")
    assert path.endswith(".npz")
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    assert not loaded.training
    np.testing.assert_array_equal(loaded(x), model(x))
    for (k, v), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and v.dtype == v2.dtype
        np.testing.assert_array_equal(v, v2)
    # the file is a plain npz: arrays and one JSON string, readable without pickle
    with np.load(path, allow_pickle=False) as f:
        header = json.loads(str(f["__config__"]))
    assert header["model"]["class"] == "Sequential"
    with zipfile.ZipFile(path) as z:
        assert "0.weight.npy" in z.namelist()


def test_save_and_load_float64_and_named_sequential(tmp_path):
    from collections import OrderedDict

    model = nn.Sequential(OrderedDict([
        ("features", nn.Sequential(nn.Conv2d(2, 3, (3, 1), stride=(2, 1), padding="same"
                                             if False else 1, dtype=np.float64), nn.ReLU())),
        ("pool", nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True)),
        ("flat", nn.Flatten()),
    ]))
    assert list(model.state_dict()) == ["features.0.weight", "features.0.bias"]
    x = np.random.default_rng(2).standard_normal((2, 2, 6, 5))
    loaded = nn.load(model.save(tmp_path / "m.npz"))
    assert loaded.dtype == np.float64
    assert list(loaded._modules) == ["features", "pool", "flat"]
    np.testing.assert_array_equal(loaded(x), model(x))


def test_custom_module_save_and_load(tmp_path):
    class Scale(nn.Module):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def backward(self, grad_output, input_grad=True):
            return grad_output * self.factor

        def get_config(self):
            return {"factor": self.factor}

    model = nn.Sequential(nn.Linear(3, 2, rng=0), Scale(2.5))
    loaded = nn.load(model.save(tmp_path / "custom"))
    x = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(loaded(x), model(x))


def test_load_rejects_foreign_files(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.ones(3))
    with pytest.raises(ValueError, match="not a saved"):
        nn.load(tmp_path / "plain.npz")
    path = tmp_path / "unknown.npz"
    header = {"format": "convcore.nn", "version": 1, "model": {"class": "os.system", "config": {}}}
    np.savez(path, __config__=np.array(json.dumps(header)))
    with pytest.raises(ValueError, match="unknown module class"):
        nn.load(path)


def test_load_state_dict_errors_leave_the_model_unchanged():
    model = _net()
    before = model.state_dict()
    sd = model.state_dict()
    sd["10.weight"] = np.zeros((6, 5))
    with pytest.raises(ValueError, match=r"10\.weight"):
        model.load_state_dict(sd)
    sd = model.state_dict()
    del sd["0.bias"]
    sd["0.weight"] = sd["0.weight"] + 1
    with pytest.raises(KeyError, match=r"0\.bias"):
        model.load_state_dict(sd)
    sd = model.state_dict()
    sd["extra"] = np.ones(2)
    with pytest.raises(KeyError, match="extra"):
        model.load_state_dict(sd)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    # non-strict loading reports what it skipped
    missing, unexpected = model.load_state_dict({"0.bias": np.ones(4), "zzz": np.ones(1)}, strict=False)
    assert "0.weight" in missing and unexpected == ["zzz"]
    np.testing.assert_array_equal(model[0].bias.data, np.ones(4))


def test_parameters_modes_and_zero_grad():
    model = _net()
    params = model.parameters()
    assert len(params) == 9
    assert all(isinstance(p, nn.Parameter) for p in params)
    assert model.num_parameters() == sum(p.size for p in params)
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    x = np.random.default_rng(3).random((2, 1, 8, 8))
    out = model(x)
    model.backward(np.ones_like(out))
    assert all(p.grad is not None and p.grad.shape == p.shape for p in params)
    model.zero_grad()
    assert all(p.grad is None for p in params)


def test_shared_parameter_listed_once():
    a = nn.Linear(3, 3, rng=0)
    b = nn.Linear(3, 3, rng=1)
    b.weight = a.weight
    model = nn.Sequential(a, b)
    assert len(model.parameters()) == 3


def test_gradients_accumulate_like_torch():
    rng = np.random.default_rng(4)
    lin = nn.Linear(4, 2, rng=0).astype(np.float64)
    x1, x2 = rng.standard_normal((2, 3, 4))
    g1, g2 = rng.standard_normal((2, 3, 2))
    lin(x1)
    lin.backward(g1)
    lin(x2)
    lin.backward(g2)
    np.testing.assert_allclose(lin.weight.grad, g1.T @ x1 + g2.T @ x2, rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad, g1.sum(0) + g2.sum(0), rtol=1e-12)


def test_astype_and_input_conversion():
    model = _net().astype(np.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64
    out = model(np.ones((1, 1, 8, 8), dtype=np.float32))
    assert out.dtype == np.float64
    out32 = _net()(np.ones((1, 1, 8, 8), dtype=np.uint8))
    assert out32.dtype == np.float32
    with pytest.raises(TypeError, match="dtype"):
        model.astype(np.int32)


def test_backward_before_forward_raises():
    for layer in (nn.Conv2d(1, 1, 1), nn.Linear(1, 1), nn.MaxPool2d(2), nn.AvgPool2d(2),
                  nn.GlobalAvgPool2d(), nn.BatchNorm2d(1), nn.ReLU(), nn.Tanh(), nn.Flatten(),
                  nn.Dropout()):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.ones((1, 1, 1, 1)))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.CrossEntropyLoss().backward()


def test_first_layer_input_gradient_can_be_skipped():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.ReLU(), nn.Flatten(), nn.Linear(2, 2, rng=1))
    out = model(np.ones((1, 1, 3, 3)))
    assert model.backward(np.ones_like(out), input_grad=False) is None
    assert model[0].weight.grad is not None
    out = model(np.ones((1, 1, 3, 3)))
    assert model.backward(np.ones_like(out)).shape == (1, 1, 3, 3)


@pytest.mark.parametrize("make, exc, match", [
    (lambda: nn.Conv2d(0, 1, 3), ValueError, "in_channels"),
    (lambda: nn.Conv2d(1, 1, 0), ValueError, "kernel_size"),
    (lambda: nn.Conv2d(1, 1, 3, stride=0), ValueError, "stride"),
    (lambda: nn.Conv2d(1, 1, 3, padding=-1), ValueError, "padding"),
    (lambda: nn.Conv2d(1, 1, 3, padding="full"), ValueError, "padding"),
    (lambda: nn.Conv2d(1, 1, 3, stride=2, padding="same"), ValueError, "same"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "groups"),
    (lambda: nn.Conv2d(1, 1, 3, dtype=np.int64), TypeError, "dtype"),
    (lambda: nn.Conv2d(1.5, 1, 3), TypeError, "in_channels"),
    (lambda: nn.Conv2d(1, 1, (3, 3, 3)), ValueError, "kernel_size"),
    (lambda: nn.Conv2d(1, 1, 3, bias=1), TypeError, "bias"),
    (lambda: nn.Conv2d(1, 1, 3, rng="seed"), TypeError, "rng"),
    (lambda: nn.Linear(3, 0), ValueError, "out_features"),
    (lambda: nn.Linear(True, 3), TypeError, "in_features"),
    (lambda: nn.MaxPool2d(0), ValueError, "kernel_size"),
    (lambda: nn.MaxPool2d(2, padding="same"), ValueError, "padding"),
    (lambda: nn.MaxPool2d(2, ceil_mode=None), TypeError, "ceil_mode"),
    (lambda: nn.AvgPool2d(2, divisor_override=0), ValueError, "divisor_override"),
    (lambda: nn.AvgPool2d(2, count_include_pad="no"), TypeError, "count_include_pad"),
    (lambda: nn.BatchNorm2d(0), ValueError, "num_features"),
    (lambda: nn.BatchNorm2d(3, eps=0), ValueError, "eps"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, "momentum"),
    (lambda: nn.Dropout(1.2), ValueError, "p"),
    (lambda: nn.Dropout("0.5"), TypeError, "p"),
    (lambda: nn.Dropout(0.5, seed=-1), ValueError, "seed"),
    (lambda: nn.LeakyReLU("a"), TypeError, "negative_slope"),
    (lambda: nn.ReLU(inplace=1), TypeError, "inplace"),
    (lambda: nn.Flatten(1.0), TypeError, "start_dim"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "reduction"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=2), ValueError, "label_smoothing"),
    (lambda: nn.MSELoss("total"), ValueError, "reduction"),
    (lambda: nn.Sequential(nn.ReLU(), "relu"), TypeError, "Module"),
    (lambda: nn.Parameter(np.arange(3)), TypeError, "floating"),
    (lambda: nn.init.manual_seed(-1), ValueError, "seed"),
    (lambda: nn.init.kaiming_uniform_(np.ones((2, 2)), mode="fan_avg"), ValueError, "mode"),
    (lambda: nn.init.calculate_gain("swish"), ValueError, "nonlinearity"),
], ids=range(36))
def test_bad_constructor_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\(N, 3\)"):
        nn.Linear(3, 2)(np.ones((2, 4)))
    with pytest.raises(ValueError, match="num_features|3"):
        nn.BatchNorm2d(3)(np.ones((2, 2, 4, 4)))
    with pytest.raises(ValueError, match="more than one value"):
        nn.BatchNorm2d(3)(np.ones((1, 3, 1, 1)))
    with pytest.raises(ValueError, match="target"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="target"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="prediction"):
        nn.CrossEntropyLoss()(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match="shape"):
        nn.MSELoss()(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(TypeError, match="input"):
        nn.Conv2d(1, 1, 1)(np.array([["a"]]))


def test_dropout_statistics_determinism_and_eval():
    x = np.ones((200, 500), np.float32)
    a = nn.Dropout(0.3, seed=7)
    ya = a(x)
    kept = ya != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(ya[kept], 1 / 0.7, rtol=1e-6)
    np.testing.assert_array_equal(nn.Dropout(0.3, seed=7)(x), ya)  # same seed, same mask
    assert not np.array_equal(a(x), ya)  # the next call draws a new mask
    a.eval()
    assert a(x) is x or np.array_equal(a(x), x)
    np.testing.assert_array_equal(nn.Dropout(1.0, seed=0)(x), 0)
    np.testing.assert_array_equal(nn.Dropout(0.0, seed=0)(x), x)


def test_manual_seed_makes_initialisation_reproducible():
    nn.init.manual_seed(123)
    a = _net()
    b_conv = nn.Conv2d(1, 4, 3)
    nn.init.manual_seed(123)
    _net()
    c_conv = nn.Conv2d(1, 4, 3)
    np.testing.assert_array_equal(b_conv.weight.data, c_conv.weight.data)
    # explicit seeds do not depend on the package generator
    np.testing.assert_array_equal(nn.Conv2d(1, 4, 3, padding=1, rng=0).weight.data, a[0].weight.data)


@pytest.mark.parametrize("fill, nonlinearity, mode, expected_std", [
    (nn.init.kaiming_normal_, "relu", "fan_in", np.sqrt(2 / (16 * 9))),
    (nn.init.kaiming_normal_, "relu", "fan_out", np.sqrt(2 / (32 * 9))),
    (nn.init.kaiming_uniform_, "relu", "fan_in", np.sqrt(2 / (16 * 9))),
])
def test_kaiming(fill, nonlinearity, mode, expected_std):
    w = np.empty((32, 16, 3, 3))
    fill(w, mode=mode, nonlinearity=nonlinearity, rng=0)
    assert abs(w.std() - expected_std) < 0.03 * expected_std
    assert abs(w.mean()) < 0.05 * expected_std


def test_xavier():
    w = np.empty((300, 200))
    nn.init.xavier_uniform_(w, rng=1)
    bound = np.sqrt(6 / 500)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    nn.init.xavier_normal_(w, gain=2.0, rng=2)
    assert abs(w.std() - 2 * np.sqrt(2 / 500)) < 0.02 * 2 * np.sqrt(2 / 500)
    p = nn.Parameter(np.zeros((3, 4)))
    assert nn.init.xavier_uniform_(p, rng=3) is p and np.any(p.data != 0)


def test_repr():
    text = repr(_net())
    assert "(0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=1)" in text
    assert "(10): Linear(in_features=6, out_features=5, bias=True)" in text


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("pool", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)],
                         ids=["k2", "k3s2p1"])
def test_relu_before_max_pool_runs_reordered_with_identical_results(inplace, pool):
    """Sequential runs ReLU after a following MaxPool2d; outputs and gradients must be those
    of the layers applied in their written order (all-negative windows, zeros, positive
    ties and NaN included)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 7, 6))
    x[0, 0, :2, :2] = [[-1.0, -2.0], [-0.5, -3.0]]  # a window with nothing positive
    x[0, 1, :2, :2] = [[0.0, -0.0], [0.0, -1.0]]  # zeros
    x[0, 2, :2, :2] = [[2.0, 2.0], [1.0, 2.0]]  # positive ties
    x[1, 0, 2, 2] = np.nan
    g = rng.standard_normal((2, 3) + nn.MaxPool2d(**pool)(x).shape[2:])

    seq = nn.Sequential(nn.ReLU(inplace=inplace), nn.MaxPool2d(**pool))
    relu, mp = nn.ReLU(), nn.MaxPool2d(**pool)
    want = mp(relu(x.copy()))
    want_gx = relu.backward(mp.backward(g.copy()))
    got = seq(x.copy())
    gx = seq.backward(g.copy())
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(gx, want_gx)
