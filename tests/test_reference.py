"""The NumPy reference checks itself: hand-computed values, and torch as a second opinion."""

import warnings

import numpy as np
import pytest

import reference as R


def test_conv_hand_computed():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    y = R.conv2d(x, w, bias=[0.5])
    # x[i, j] - x[i+1, j+1] = -5 everywhere, plus bias
    np.testing.assert_array_equal(y, np.full((1, 1, 3, 3), -4.5))
    # zero padding on the top/left only
    y = R.conv2d(x, np.ones((1, 1, 2, 2)), padding=((1, 0), (1, 0)))
    assert y.shape == (1, 1, 4, 4)
    assert y[0, 0, 0, 0] == 0.0 and y[0, 0, 1, 1] == 0 + 1 + 4 + 5


def test_conv_groups_hand_computed():
    x = np.stack([np.ones((3, 3)), 2 * np.ones((3, 3))])[None]  # (1, 2, 3, 3)
    w = np.ones((4, 1, 1, 1)) * np.array([1.0, 10.0, 100.0, 1000.0]).reshape(4, 1, 1, 1)
    y = R.conv2d(x, w, groups=2)
    np.testing.assert_array_equal(y[0, :, 0, 0], [1.0, 10.0, 200.0, 2000.0])


def test_same_padding_extra_at_end():
    assert R.conv_padding("same", 2, 1) == (0, 1, 0, 1)
    assert R.conv_padding("same", (4, 3), (1, 2)) == (1, 2, 2, 2)
    assert R.conv_padding("valid", 5, 3) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "size,k,s,p,ceil,expected",
    [
        (2, 1, 2, 0, True, 1),
        (6, 1, 2, 0, True, 3),
        (7, 1, 2, 0, True, 4),
        (5, 3, 3, 1, True, 2),
        (5, 3, 3, 1, False, 2),
        (7, 2, 3, 0, True, 3),
        (4, 5, 3, 0, True, 1),  # ceil of a negative extent still gives one window
        (4, 5, 3, 0, False, 0),
    ],
)
def test_pool_output_size(size, k, s, p, ceil, expected):
    assert R.pool_output_size(size, k, s, p, p, 1, ceil) == expected


def test_avg_pool_edge_divisors():
    x = np.arange(49.0).reshape(1, 1, 7, 7)
    y = R.avg_pool2d(x, 2, stride=3, ceil_mode=True)
    np.testing.assert_array_equal(
        y[0, 0], [[4, 7, 9.5], [25, 28, 30.5], [42.5, 45.5, 48]]
    )


def test_max_pool_nan_ties_and_padding():
    x = np.array([[[[1.0, 3.0, 3.0, np.nan, 2.0, np.nan]]]])
    y, i = R.max_pool2d(x, (1, 3))
    assert y[0, 0, 0, 0] == 3.0 and i[0, 0, 0, 0] == 1  # tie: first
    assert np.isnan(y[0, 0, 0, 1]) and i[0, 0, 0, 1] == 5  # torch's rule: last NaN
    y, i = R.max_pool2d(np.full((1, 1, 2, 2), -np.inf), 2, stride=1, padding=1)
    assert np.all(y == -np.inf)
    np.testing.assert_array_equal(i[0, 0], [[0, 0, 1], [0, 0, 1], [2, 2, 3]])


def test_torch_agrees_with_reference():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(1234)
    for _ in range(150):
        g = int(rng.integers(1, 4))
        cg, og = (int(v) for v in rng.integers(1, 4, 2))
        n = int(rng.integers(0, 3))
        kh, kw, sh, sw, dh, dw = (int(v) for v in rng.integers(1, 4, 6))
        h, w = (int(v) for v in rng.integers(1, 10, 2))
        t, b, l, r = (int(v) for v in rng.integers(0, 3, 4))
        x = rng.standard_normal((n, g * cg, h, w))
        wt = rng.standard_normal((g * og, cg, kh, kw))
        bias = rng.standard_normal(g * og)
        try:
            ref = R.conv2d(x, wt, bias, (sh, sw), ((t, b), (l, r)), (dh, dw), g)
        except ValueError:
            ref = None
        xt = F.pad(torch.from_numpy(x), (l, r, t, b))
        try:
            got = F.conv2d(xt, torch.from_numpy(wt), torch.from_numpy(bias), (sh, sw), 0,
                           (dh, dw), g).numpy()
        except RuntimeError:
            got = None
        assert (ref is None) == (got is None)
        if ref is not None:
            np.testing.assert_allclose(ref, got, rtol=0, atol=1e-10)

        ph, pw = int(rng.integers(0, kh // 2 + 1)), int(rng.integers(0, kw // 2 + 1))
        ceil = bool(rng.integers(0, 2))
        x = np.round(rng.standard_normal((2, 2, h, w)) * 2)  # ties
        x[rng.random(x.shape) < 0.05] = np.nan
        try:
            ry, ri = R.max_pool2d(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil)
        except ValueError:
            ry = None
        try:
            ty, ti = F.max_pool2d(torch.from_numpy(x), (kh, kw), (sh, sw), (ph, pw), (dh, dw),
                                  ceil, return_indices=True)
        except RuntimeError:
            ty = None
        assert (ry is None) == (ty is None)
        if ry is not None:
            np.testing.assert_array_equal(ry, ty.numpy())
            known = ri >= 0
            np.testing.assert_array_equal(ri[known], ti.numpy()[known])

        cip = bool(rng.integers(0, 2))
        div = [None, None, 3, -2][int(rng.integers(0, 4))]
        x = rng.standard_normal((2, 2, h, w))
        try:
            ra = R.avg_pool2d(x, (kh, kw), (sh, sw), (ph, pw), ceil, cip, div)
        except ValueError:
            ra = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ta = F.avg_pool2d(torch.from_numpy(x), (kh, kw), (sh, sw), (ph, pw), ceil, cip,
                                  div).numpy()
        except RuntimeError:
            ta = None
        assert (ra is None) == (ta is None)
        if ra is not None:
            np.testing.assert_allclose(ra, ta, rtol=0, atol=1e-12)
