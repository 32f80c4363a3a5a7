"""The one argument layer (convcore._args): the same rule for every kind of argument in the
functional API, the layers, the optimizers and the data sets; forms for spatial rank 1-3;
the descriptors the core takes; layers keeping their arguments normalised."""
import pickle

import numpy as np
import pytest

import convcore as cc
from convcore import _args as A
from convcore import _core, nn, optim


# ---------------------------------------------------------------------- ints, bools

@pytest.mark.parametrize("value, exc", [
    (True, TypeError), (np.bool_(False), TypeError), (1.0, TypeError), ("1", TypeError),
    (None, TypeError), (2**62 + 1, ValueError), (-(2**62) - 1, ValueError),
])
def test_int_rule(value, exc):
    with pytest.raises(exc, match="stride"):
        A.int_arg("stride", value)


def test_int_rule_accepts_numpy_ints_up_to_the_limit():
    assert A.int_arg("n", np.int16(3)) == 3 and type(A.int_arg("n", np.int64(3))) is int
    assert A.int_arg("n", 2**62) == 2**62
    with pytest.raises(ValueError, match=">= 1"):
        A.int_arg("n", 0, minimum=1)
    with pytest.raises(ValueError, match="<= 4"):
        A.int_arg("n", 5, maximum=4)


def test_seeds_may_be_any_non_negative_int():
    assert A.seed_arg("seed", 2**80) == 2**80
    assert A.seed_arg("seed", None) is None
    g = np.random.default_rng(0)
    assert A.seed_arg("seed", g) is g
    before = nn.init.get_rng()
    try:
        assert isinstance(nn.init.manual_seed(2**70), np.random.Generator)  # as default_rng
    finally:
        nn.init._generator = before  # the package generator as the other tests left it
    with pytest.raises(ValueError, match="seed"):
        A.seed_arg("seed", -1)
    with pytest.raises(TypeError, match="seed"):
        A.seed_arg("seed", True)


@pytest.mark.parametrize("call", [
    lambda x: cc.max_pool2d(x, 2, ceil_mode=1),
    lambda x: cc.max_pool2d(x, 2, return_indices=0),
    lambda x: cc.avg_pool2d(x, 2, count_include_pad=1),
    lambda x: cc.conv2d_backward(x, x, np.ones((1, 1, 1, 1)), input_grad=1),
    lambda x: nn.MaxPool2d(2, ceil_mode=1),
    lambda x: nn.Conv2d(1, 1, 1, bias=0),
    lambda x: optim.SGD([nn.Parameter(np.ones(2))], lr=0.1, nesterov=0),
], ids=["max_pool ceil_mode", "return_indices", "count_include_pad", "input_grad",
        "MaxPool2d ceil_mode", "Conv2d bias", "SGD nesterov"])
def test_a_bool_is_a_bool_everywhere(call):
    """An int 0/1 is refused by the functional API as by the layers and optimizers: one rule."""
    with pytest.raises(TypeError, match="must be a bool"):
        call(np.ones((1, 1, 4, 4)))


def test_the_same_int_rule_in_the_layers():
    with pytest.raises(ValueError, match="out of range"):
        nn.Conv2d(1, 1, 3, stride=2**63)
    with pytest.raises(ValueError, match="out of range"):
        cc.conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=2**63)


# --------------------------------------------------------------------- spatial forms

@pytest.mark.parametrize("rank, value, expect", [
    (1, 3, (3,)), (1, (3,), (3,)), (1, [2], (2,)),
    (2, 3, (3, 3)), (2, (1, 2), (1, 2)), (2, [1, 2], (1, 2)),
    (3, 2, (2, 2, 2)), (3, (1, 2, 3), (1, 2, 3)),
])
def test_tuples_for_every_rank(rank, value, expect):
    assert A.tuple_arg("stride", value, rank, 1) == expect


@pytest.mark.parametrize("rank, value", [(1, (1, 2)), (2, (1, 2, 3)), (3, (1, 2)), (2, ())])
def test_tuples_of_the_wrong_length(rank, value):
    with pytest.raises(ValueError, match="stride must be an int or"):
        A.tuple_arg("stride", value, rank, 1)


@pytest.mark.parametrize("rank, value, expect", [
    (1, 2, ((2, 2),)), (1, (1, 3), ((1, 3),)), (1, ((1, 3),), ((1, 3),)), (1, (4,), ((4, 4),)),
    (2, 1, ((1, 1), (1, 1))), (2, (1, 2), ((1, 1), (2, 2))),
    (2, ((0, 2), (1, 0)), ((0, 2), (1, 0))), (2, ((0, 2), 3), ((0, 2), (3, 3))),
    (3, 1, ((1, 1),) * 3), (3, (1, 2, 3), ((1, 1), (2, 2), (3, 3))),
    (3, ((1, 0), 2, (0, 3)), ((1, 0), (2, 2), (0, 3))),
])
def test_padding_forms_for_every_rank(rank, value, expect):
    assert A.padding_arg(value, rank) == expect


@pytest.mark.parametrize("rank, value, exc", [
    (2, (1, 2, 3), ValueError), (2, ((1, 2, 3), 0), ValueError), (2, -1, ValueError),
    (2, ((0, -1), 0), ValueError), (3, (1, 2), ValueError), (1, (1, 2, 3), ValueError),
    (2, 1.5, TypeError), (2, "full", ValueError), (2, "SAME", ValueError),
])
def test_bad_padding(rank, value, exc):
    with pytest.raises(exc, match="padding"):
        A.padding_arg(value, rank)


def test_strings_are_for_convolutions_only():
    assert A.padding_arg("same", 2) == "same" and A.padding_arg("valid", 3) == "valid"
    with pytest.raises(ValueError, match="numbers for pooling"):
        A.padding_arg("same", 2, strings=False)


def test_same_padding_puts_the_odd_row_at_the_end():
    assert A.same_padding((4, 3), (1, 2)) == ((1, 2), (2, 2))
    assert A.same_padding((2,), (1,)) == ((0, 1),)
    assert A.resolve_padding("valid", (3, 3, 3), (1, 1, 1), (1, 1, 1)) == ((0, 0),) * 3
    with pytest.raises(ValueError, match="same"):
        A.resolve_padding("same", (3, 3), (2, 1), (1, 1))


def test_compact_padding_is_the_shortest_form():
    assert A.compact_padding(((1, 1), (1, 1))) == 1
    assert A.compact_padding(((1, 1), (2, 2))) == (1, 2)
    assert A.compact_padding(((0, 1), (2, 2))) == ((0, 1), (2, 2))
    assert A.compact_padding("same") == "same"
    for form in (1, (1, 2), ((0, 1), (2, 2))):  # a normalised form normalises to itself
        assert A.compact_padding(A.padding_arg(form, 2)) == form


def test_groups_and_pool_rules():
    assert A.groups_arg(2, 4, 6) == 2
    with pytest.raises(ValueError, match="groups"):
        A.groups_arg(4, 6, 8)
    with pytest.raises(ValueError, match="groups must be >= 1"):
        A.groups_arg(0, 4, 4)
    assert A.divisor_arg(None) is None and A.divisor_arg(-3) == -3
    with pytest.raises(ValueError, match="divisor_override"):
        A.divisor_arg(0)
    with pytest.raises(ValueError, match="half the kernel"):
        A.pool_padding_arg(2, (3, 3))


# ------------------------------------------------------------------------ descriptors

def test_descriptors_name_their_fields():
    d = A.conv_desc(2, "valid", (1, 2), 1, (3, 3))
    assert (d.stride, d.padding, d.dilation, d.groups) == ((2, 2), ((0, 0), (0, 0)), (1, 2), 1)
    assert d == A.conv_desc((2, 2), 0, (1, 2), 1, (3, 3)) and hash(d) == hash(pickle.loads(pickle.dumps(d)))
    assert "stride=(2, 2)" in repr(d)
    p = A.pool_desc(3, None, 1, 1, True, False, 5)
    assert (p.kernel_size, p.stride, p.padding, p.ceil_mode, p.count_include_pad,
            p.divisor_override) == ((3, 3), (3, 3), ((1, 1), (1, 1)), True, False, 5)
    assert pickle.loads(pickle.dumps(p)) == p
    assert isinstance(d, _core.ConvDesc) and isinstance(p, _core.PoolDesc)


def test_a_descriptor_gives_the_functional_result():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 7, 6)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 2)).astype(np.float32)
    d = A.conv_desc((2, 1), ((1, 0), (0, 2)), 1, 1, (3, 2))
    y = _core.conv2d(x, w, None, d, None, 1)
    np.testing.assert_array_equal(y, cc.conv2d(x, w, padding=((1, 0), (0, 2)), stride=(2, 1)))


def test_conv2d_out_shape_is_the_cores():
    x = np.ones((1, 1, 5, 5), np.float32)
    w = np.ones((1, 1, 3, 3), np.float32)
    with pytest.raises(ValueError, match=r"out must have shape \(1, 1, 3, 3\)"):
        cc.conv2d(x, w, out=np.empty((1, 1, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"out must have shape \(1, 3, 3\)"):
        cc.conv2d(x[0], w, out=np.empty((1, 3, 4), np.float32))
    with pytest.raises(ValueError, match="out must be 3-D"):
        cc.conv2d(x[0], w, out=np.empty((1, 1, 3, 3), np.float32))


# ----------------------------------------------------------------- layers' arguments

def test_layers_keep_their_arguments_normalised():
    c = nn.Conv2d(2, 4, [3, 1], stride=np.int64(2), padding=(1, 1), dilation=1)
    assert (c.kernel_size, c.stride, c.padding, c.dilation) == ((3, 1), (2, 2), 1, (1, 1))
    assert nn.Conv2d(1, 1, 3, padding=((1, 1), (0, 2))).padding == ((1, 1), (0, 2))
    assert nn.Conv2d(1, 1, 3, padding=[2, 1]).padding == (2, 1)
    assert nn.Conv2d(1, 1, 3, padding="same").padding == "same"
    m = nn.MaxPool2d([3, 2], padding=(1, 0))
    assert (m.kernel_size, m.stride, m.padding) == ((3, 2), (3, 2), (1, 0))
    a = nn.AvgPool2d(2, 1, divisor_override=np.int32(3))
    assert (a.stride, a.divisor_override) == ((1, 1), 3) and type(a.divisor_override) is int


def test_pool_layers_check_the_padding_when_built():
    with pytest.raises(ValueError, match="half the kernel"):
        nn.MaxPool2d(3, padding=2)


def test_saved_configs_with_the_old_forms_still_load():
    for cls, cfg in [(nn.Conv2d, {"in_channels": 1, "out_channels": 2, "kernel_size": [3, 3],
                                  "stride": [1, 1], "padding": [[1, 0], [0, 1]],
                                  "dilation": [1, 1], "groups": 1, "bias": True,
                                  "dtype": "float32"}),
                     (nn.MaxPool2d, {"kernel_size": [2, 2], "stride": [2, 2], "padding": 0,
                                     "dilation": [1, 1], "ceil_mode": False})]:
        layer = cls.from_config(cfg)
        again = cls.from_config(layer.get_config())
        assert again.get_config() == layer.get_config()
    cfg = nn.Conv2d(1, 2, 3, padding=((1, 0), (0, 1))).get_config()
    assert cfg["padding"] == [[1, 0], [0, 1]]
    assert nn.Conv2d.from_config(cfg).padding == ((1, 0), (0, 1))


# ------------------------------------------------------------------ planning properties

def test_planning_properties_are_declared_not_inherited():
    assert nn.ReLU.commutes_with_max_pool and nn.MaxPool2d.is_max_pool
    assert not nn.LeakyReLU.commutes_with_max_pool and not nn.AvgPool2d.is_max_pool

    class Logged(nn.ReLU):
        seen = []

        def forward(self, x):
            self.seen.append(np.shape(x))
            return super().forward(x)

    class Pool(nn.MaxPool2d):
        pass

    assert not Logged.commutes_with_max_pool and not Pool.is_max_pool
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    nn.Sequential(Logged(), nn.MaxPool2d(2))(x)
    assert Logged.seen == [(1, 2, 4, 4)]  # the subclass runs where it is written

    class Swappable(Logged):
        commutes_with_max_pool = True  # declared again: it may run after the pooling

    Logged.seen.clear()
    nn.Sequential(Swappable(), nn.MaxPool2d(2))(x)
    assert Logged.seen == [(1, 2, 2, 2)]
    Logged.seen.clear()
    nn.Sequential(Swappable(), Pool(2))(x)
    assert Logged.seen == [(1, 2, 4, 4)]  # Pool did not declare is_max_pool
