"""convcore against the float64 reference on every shape of the benchmark's shape list
(convcore/bench/shapes.txt, read with the harness's own parser), under every SIMD target.

The inputs are the benchmark's own (convcore.bench.shapes.make_inputs: fixed seed per
shape name, weights scaled so that outputs are O(1)).

Size: the default run cuts every shape to batch 1 and keeps everything else as listed
(channels, plane size, kernel, stride, padding, groups), so each layer keeps its
character and takes the same algorithm as in the benchmark: convcore chooses its path per
image (Winograd F(4x4) / F(2x2), depthwise, the GEMM paths), never per batch, and
test_conv_path_of_batch_1_is_the_listed_one checks that for Winograd. The float64
reference then costs at most about 0.1 s a shape, so no plane or channel count needs
cropping. The shapes listed with a batch above 1 also run as listed, marked slow.

Bounds (TESTING.md): float32 within 1e-4 of the largest reference magnitude; where the
convolution takes Winograd, relative L2 error <= 2e-5 instead; max pooling returns input
values, so it is compared exactly."""

import dataclasses
import functools

import numpy as np
import pytest

import convcore
import convcore._core as core
from convcore.bench import SHAPES_FILE, load_shapes
from convcore.bench.shapes import make_inputs

from helpers import assert_close, assert_exact
from reference import avg_pool2d as ref_avg_pool2d
from reference import conv2d as ref_conv2d
from reference import max_pool2d as ref_max_pool2d

WINOGRAD_L2_BOUND = 2e-5

CASES, SOURCE = load_shapes(None)


def batch_1(case):
    """The default run's variant of a listed shape: batch 1, all else as listed."""
    return dataclasses.replace(case, n=1)


def variants():
    params = [pytest.param(batch_1(c), id=f"{c.name}-b1") for c in CASES]
    params += [pytest.param(c, id=f"{c.name}-as-listed", marks=pytest.mark.slow)
               for c in CASES if c.n > 1]
    return params


def shape_lines_per_section(text):
    """Shape lines per section of the shape-list file, counted without the parser."""
    counts, section = {}, None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
            counts.setdefault(section, 0)
        else:
            counts[section] = counts.get(section, 0) + 1
    return counts


def winograd_tile(case):
    """Winograd output tile a float32 conv of this shape takes under the active target and
    the set_winograd switch (0: none)."""
    if case.kind != "conv" or case.stride != 1 or case.groups != 1:
        return 0
    return core.winograd_tile((case.n, case.c, case.h, case.w),
                              (case.k, case.c, case.kernel, case.kernel), (case.pad,) * 4)


@functools.lru_cache(maxsize=None)
def inputs_and_reference(case):
    """The benchmark's inputs of the shape and the float64 reference result (computed once
    for all SIMD targets)."""
    a = make_inputs(case)
    if case.kind == "conv":
        want = ref_conv2d(a["x"], a["w"], a["b"], stride=case.stride, padding=case.pad,
                          groups=case.groups)
    elif case.op == "max":
        want = ref_max_pool2d(a["x"], case.kernel, stride=case.stride, padding=case.pad)[0]
    else:
        want = ref_avg_pool2d(a["x"], case.kernel, stride=case.stride, padding=case.pad,
                              count_include_pad=True)
    return a, want


def rel_l2(got, want):
    return float(np.linalg.norm(got.astype(np.float64) - want) / np.linalg.norm(want))


def test_the_parser_reads_every_shape():
    assert SOURCE == str(SHAPES_FILE)
    counts = shape_lines_per_section(SHAPES_FILE.read_text())
    assert counts.get("conv", 0) > 0 and counts.get("pool", 0) > 0, counts
    parsed = {"conv": sum(c.kind == "conv" for c in CASES),
              "pool": sum(c.kind == "pool" for c in CASES)}
    assert parsed == {"conv": counts["conv"], "pool": counts["pool"]}, (parsed, counts)
    assert len(CASES) == sum(counts.values())
    assert len({c.name for c in CASES}) == len(CASES), "shape names repeat"


@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "conv"], ids=lambda c: c.name)
def test_conv_path_of_batch_1_is_the_listed_one(simd_target, case):
    """The default run's batch-1 variant takes the listed shape's Winograd variant (or
    none), so cutting the batch does not change what is tested."""
    assert winograd_tile(batch_1(case)) == winograd_tile(case)


@pytest.mark.parametrize("case", variants())
def test_shape_against_reference(simd_target, case):
    a, want = inputs_and_reference(case)
    x = a["x"]
    if case.kind == "conv":
        got = convcore.conv2d(x, a["w"], a["b"], stride=case.stride, padding=case.pad,
                              groups=case.groups)
    elif case.op == "max":
        got = convcore.max_pool2d(x, case.kernel, stride=case.stride, padding=case.pad)
    else:
        got = convcore.avg_pool2d(x, case.kernel, stride=case.stride, padding=case.pad,
                                  count_include_pad=True)
    assert got.shape == case.out_shape(), (got.shape, case.describe())
    if case.op == "max":
        assert_exact(got, want, dtype=np.float32)
    elif winograd_tile(case):
        err = rel_l2(got, want)
        assert err <= WINOGRAD_L2_BOUND, (
            f"{case.describe()}: Winograd F({winograd_tile(case)}x{winograd_tile(case)}) "
            f"relative L2 error {err:.2e}")
    else:
        assert_close(got, want, dtype=np.float32)
