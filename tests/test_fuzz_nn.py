"""Argument fuzzing of every layer (and loss) constructor in convcore.nn: random, mostly
invalid arguments, drawn from each constructor's signature. Constructing must give a
module or raise ValueError, TypeError or MemoryError; a module that was built is then
called once on a small input, and its result must equal the float64 reference of that
layer computed from the constructor's arguments (reference.py for convolution and
pooling, NumPy for the rest), or, where the reference finds no valid output, the call
must raise the same errors. Never a crash, never a hang (fuzz_support's watchdog).

Integers are small or too large for any memory (>= 2**40 elements): sizes in between
are legal layers whose initialisation would fill gigabytes.
"""

import inspect

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import fuzz_support as F
import reference as R
from helpers import assert_close

nn = pytest.importorskip("convcore.nn")

fuzz = F.fuzz_settings

ALLOWED = (ValueError, TypeError, MemoryError)


def constructors():
    out = []
    for name in sorted(getattr(nn, "__all__", dir(nn))):
        obj = getattr(nn, name, None)
        if not inspect.isclass(obj) or name in ("Module", "Parameter", "Loss"):
            continue
        if issubclass(obj, getattr(nn, "Module", ())) or issubclass(obj, getattr(nn, "Loss", ())):
            out.append(obj)
    return out


CLASSES = constructors()

SAFE_HUGE = [2**40, 2**50, 2**62, 2**63, 2**64, 10**30]
small = st.integers(-2, 6)
weird = st.one_of(
    small,
    st.sampled_from(SAFE_HUGE + [0, -1, -(2**63), -(2**64)]),
    st.sampled_from([np.int64(3), np.uint8(2), np.int64(2**62), np.uint64(2**64 - 1)]),
    st.sampled_from([True, False, None, 0.5, 1.0, -0.5, 1e-5, 0.0, float("nan"), float("inf"),
                     -float("inf"), 1j, "same", "valid", "mean", "sum", "none", "", "x",
                     np.float32, np.float64, np.int32, "float16", object(), [], (), {}]),
    st.tuples(small, small), st.lists(small, max_size=3),
    st.tuples(st.tuples(small, small), st.tuples(small, small)),
)


def plausible(default):
    """Values of the kind the parameter's default has."""
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(0, 4)
    if isinstance(default, float):
        return st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0, 1e-5])
    if isinstance(default, str):
        return st.sampled_from([default, "mean", "sum", "none", "same", "valid"])
    if default is None:
        return st.one_of(st.none(), st.integers(0, 4))
    return st.just(default)


@st.composite
def constructor_calls(draw):
    cls = draw(st.sampled_from(CLASSES))
    sig = inspect.signature(cls.__init__)
    args, kwargs = [], {}
    for p in list(sig.parameters.values())[1:]:
        if p.kind == p.VAR_POSITIONAL:  # Sequential(*modules)
            for _ in range(draw(st.integers(0, 3))):
                args.append(draw(st.one_of(weird, st.builds(nn.ReLU) if hasattr(nn, "ReLU")
                                           else weird)))
            continue
        if p.kind == p.VAR_KEYWORD:
            continue
        required = p.default is p.empty
        if not required and draw(st.integers(0, 2)) == 0:
            continue  # keep the default
        if required:  # sizes: mostly plausible, else anything
            value = draw(st.one_of(st.integers(1, 4), st.integers(1, 4), weird))
        else:
            value = draw(weird if draw(st.booleans()) else plausible(p.default))
        if p.kind == p.KEYWORD_ONLY or (not required and draw(st.booleans())):
            kwargs[p.name] = value
        elif not kwargs:
            args.append(value)
        else:
            kwargs[p.name] = value
    return cls, args, kwargs


def sample_input(module, rng):
    """A small input of the shape the module most likely takes."""
    n = getattr(module, "in_features", None)
    if isinstance(n, int) and 0 < n <= 64:
        return rng.standard_normal((3, n)).astype(np.float32)
    c = 3
    for attr in ("in_channels", "num_features"):
        n = getattr(module, attr, None)
        if isinstance(n, int) and 0 < n <= 64:
            c = n
    return rng.standard_normal((2, c, 7, 6)).astype(np.float32)


def parameter_bytes(module):
    try:
        return sum(p.data.nbytes for p in module.parameters())
    except Exception:  # noqa: BLE001 - not a Module (a loss)
        return 0


def flatten(x, start, end):
    nd = x.ndim
    s, e = start % nd, end % nd
    if not (-nd <= start < nd and -nd <= end < nd) or s > e:
        raise ValueError("dims do not fit")
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def cross_entropy(z, reduction, eps):
    """Logits z (N, C) against class 0 for every row."""
    logp = z - z.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    losses = -(1 - eps) * logp[:, 0] - eps * logp.mean(axis=1)
    return reduce(losses, reduction)


def reduce(losses, reduction):
    return {"none": losses, "sum": losses.sum(), "mean": losses.mean()}[reduction]


def functional_expect(module, a, x):
    """For the layers that wrap one functional op: fuzz_support's verdict on that op with
    the constructor's arguments (its check compares with reference_sparse); else None."""
    name = type(module).__name__
    if name == "Conv2d":
        b = None if module.bias is None else module.bias.data
        return F.expect(F.oracle_conv2d, x.astype(module.dtype), module.weight.data, b,
                        a["stride"], a["padding"], a["dilation"], a["groups"])
    if name == "MaxPool2d":
        return F.expect(F.oracle_max_pool2d, x, a["kernel_size"], a["stride"], a["padding"],
                        a["dilation"], a["ceil_mode"])
    if name == "AvgPool2d":
        return F.expect(F.oracle_avg_pool2d, x, a["kernel_size"], a["stride"], a["padding"],
                        a["ceil_mode"], a["count_include_pad"], a["divisor_override"])
    return None


def reference(module, a, x):
    """The float64 result of the other layers on x from the constructor's arguments a
    (defaults filled in); ValueError where there is no valid output; None where there is
    no reference (the result is then only checked to be an array)."""
    x = x.astype(np.float64)
    name = type(module).__name__
    if name == "Linear":
        y = x @ module.weight.data.astype(np.float64).T
        return y if module.bias is None else y + module.bias.data
    if name == "GlobalAvgPool2d":
        return R.global_avg_pool2d(x)
    if name == "BatchNorm2d":  # training mode, weight 1, bias 0: the batch statistics
        mean = x.mean(axis=(0, 2, 3), keepdims=True)
        var = ((x - mean) ** 2).mean(axis=(0, 2, 3), keepdims=True)
        return (x - mean) / np.sqrt(var + a["eps"])
    if name == "Flatten":
        return flatten(x, a["start_dim"], a["end_dim"])
    if name in ("ReLU", "Sequential"):  # a Sequential that was built holds ReLUs only
        return np.maximum(x, 0) if name == "ReLU" or a["modules"] else x
    if name == "LeakyReLU":
        return np.where(x > 0, x, a["negative_slope"] * x)
    if name == "Tanh":
        return np.tanh(x)
    if name == "Sigmoid":
        return 1 / (1 + np.exp(-x))
    if name == "CrossEntropyLoss":
        return cross_entropy(x.reshape(x.shape[0], -1), a["reduction"], a["label_smoothing"])
    if name == "MSELoss":
        return reduce(x.reshape(x.shape[0], -1) ** 2, a["reduction"])
    return None


def check_dropout(y, x, p):
    """Every element is dropped (0) or kept and scaled by 1 / (1 - p)."""
    x = x.astype(np.float64)
    kept = x / (1 - p) if p < 1 else np.zeros_like(x)
    ok = (y == 0) | np.isclose(y, kept, rtol=1e-5, atol=0)
    assert ok.all(), "dropout gave a value that is neither 0 nor x / (1 - p)"


@pytest.mark.skipif(not CLASSES, reason="convcore.nn has no layer classes")
@fuzz
@given(call=constructor_calls(), seed=st.integers(0, 2**32 - 1))
def test_fuzz_nn_constructors(call, seed):
    cls, args, kwargs = call
    what = F.describe_call(f"nn.{cls.__name__}", args, kwargs)
    with F.watchdog(what):
        try:
            module = cls(*args, **kwargs)
        except ALLOWED as exc:
            event(f"{cls.__name__}: raised {type(exc).__name__}")
            return
    event(f"{cls.__name__}: built")
    if parameter_bytes(module) > F.BYTES_LIMIT or not callable(module):
        return
    bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
    bound.apply_defaults()
    a = dict(bound.arguments)
    x = sample_input(module, np.random.default_rng(seed))
    is_loss = isinstance(module, nn.Loss)
    exp = functional_expect(module, a, x)
    if exp is None:
        try:
            with np.errstate(all="ignore"):
                want = reference(module, a, x)
        except ValueError:
            want = ValueError
    elif exp.kind != "invalid" and exp.work > F.WORK_LIMIT:
        return  # legal but slow (a window of 2**40 taps, say)
    else:
        want = None if exp.kind == "unclear" else ValueError if exp.kind == "invalid" else exp
    with F.watchdog(f"{what}(x {x.shape})"):
        try:
            if is_loss:
                z = x.reshape(x.shape[0], -1)
                target = np.zeros(z.shape if cls.__name__ == "MSELoss" else z.shape[0],
                                  np.int64)
                y = module(z, target)
            else:
                y = module(x)
        except ALLOWED as exc:
            event(f"{cls.__name__}: call raised {type(exc).__name__}")
            assert want is ValueError or want is None, f"{what}(x) raised {exc!r}"
            return
    event(f"{cls.__name__}: called")
    assert want is not ValueError, f"{what}(x) returned; the reference finds no output"
    if exp is not None and exp.kind != "invalid":
        exp.check(y)
    elif cls.__name__ == "Dropout":
        check_dropout(np.asarray(y), x, module.p)
    elif want is not None:
        # the precision the layer computes in: float32 input, unless its dtype is float64
        precision = np.result_type(x.dtype, getattr(module, "dtype", np.float32))
        assert_close(np.asarray(y).astype(precision), want)
    else:
        assert isinstance(y, np.ndarray), type(y)
