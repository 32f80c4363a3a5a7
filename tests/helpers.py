"""Shared helpers for the convcore test suite: tolerances, data, SIMD targets."""

import numpy as np

ALL_TARGETS = ("base", "avx2", "avx512")

# Tolerances of TESTING.md, relative to the largest magnitude of the float64 reference.
RTOL = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}


def assert_close(actual, expected, dtype=None):
    """Compare a convcore result with a float64 reference.

    float32: max abs error <= 1e-4 * max(1, max|ref|); float64: 1e-10 * max(1, max|ref|).
    NaN and +-inf must sit at the same positions (and infinities have the same sign)."""
    assert isinstance(actual, np.ndarray), type(actual)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if dtype is not None:
        assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    a = actual.astype(np.float64)
    nan_a, nan_e = np.isnan(a), np.isnan(expected)
    assert np.array_equal(nan_a, nan_e), "NaN positions differ"
    inf_e = np.isinf(expected)
    assert np.array_equal(np.isinf(a), inf_e), "inf positions differ"
    assert np.array_equal(a[inf_e], expected[inf_e]), "inf signs differ"
    finite = ~(nan_e | inf_e)
    if not finite.any():
        return
    scale = max(1.0, float(np.max(np.abs(expected[finite]))))
    err = float(np.max(np.abs(a[finite] - expected[finite])))
    tol = RTOL[actual.dtype] * scale
    assert err <= tol, f"max abs error {err:.3g} > {tol:.3g} (scale {scale:.3g})"


def assert_exact(actual, expected, dtype=None):
    """Bit-exact comparison (after rounding the reference to the result's dtype)."""
    assert isinstance(actual, np.ndarray), type(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if dtype is not None:
        assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    exp = expected.astype(actual.dtype)
    assert np.array_equal(np.isnan(actual), np.isnan(exp)), "NaN positions differ"
    mask = ~np.isnan(exp)
    bad = np.flatnonzero(actual[mask] != exp[mask])
    assert bad.size == 0, (
        f"{bad.size} elements differ, first: got {actual[mask][bad[0]]!r} "
        f"want {exp[mask][bad[0]]!r}"
    )


def assert_same_bits(a, b):
    """Two results of convcore are bitwise identical (NaN payloads included)."""
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    av = np.ascontiguousarray(a).view(np.uint8)
    bv = np.ascontiguousarray(b).view(np.uint8)
    assert np.array_equal(av, bv), "results differ bitwise"


def assert_maxpool_indices(indices, ref_indices, plane_size):
    """Indices equal the reference's; where the reference has -1 (window without any input
    element) any index inside the plane is accepted."""
    assert indices.dtype == np.int64, indices.dtype
    assert indices.shape == ref_indices.shape, (indices.shape, ref_indices.shape)
    assert np.all(indices >= 0) and np.all(indices < plane_size), "index outside its plane"
    known = ref_indices >= 0
    assert np.array_equal(indices[known], ref_indices[known]), "indices differ"


def rand(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def small_ints(rng, shape, dtype=np.float64, low=-3, high=3):
    """Small-integer data: every sum the kernels form is exact in float32 and float64."""
    return rng.integers(low, high + 1, size=shape).astype(dtype)


def targets():
    """SIMD targets compiled into this build AND supported by this CPU/OS."""
    import convcore._core as core

    compiled = set(core.compiled_targets())
    supported = set(core.supported_targets())
    return [t for t in ALL_TARGETS if t in compiled and t in supported]


def unchanged_copies(*arrays):
    """Deep copies of the array arguments, to check later that a call left them alone."""
    return [None if a is None else np.array(a, copy=True) for a in arrays]


def assert_unchanged(arrays, copies):
    for a, c in zip(arrays, copies):
        if a is None:
            continue
        assert np.array_equal(np.asarray(a), c, equal_nan=True), "an input was modified"
