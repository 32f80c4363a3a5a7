"""convcore benchmark harness: convcore against torch and onnxruntime on real layer shapes.

Run it as ``python -m convcore bench [options]`` (or ``python benchmarks/bench.py``, a
wrapper). ``--help`` lists the options; benchmarks/README.md explains how to read the
table. The shape list is shapes.txt in this package.

Modules: shapes (the shape list, its parser, the inputs), peers (the libraries timed),
timing (timed blocks, statistics, the FMA peak, the machine), report (the table, the
geometric means, the JSON document) and cli (the options and the run).

How it measures
  * Every library runs in this one process on the same float32 NCHW arrays, prepared
    before timing (torch tensors share the NumPy memory, ONNX models are built and their
    sessions created before the clock starts).
  * Per thread count, per shape, the libraries are interleaved: ``rounds`` rounds of
    convcore -> torch -> onnxruntime (order reversed every other round), each block with
    its own warm-up, so slow drift (turbo, thermal, a noisy neighbour) hits all of them
    alike. Between blocks we sleep briefly so the previous library's spinning OpenMP /
    thread-pool workers go idle instead of stealing cores from the next one.
  * A block times single calls with time.perf_counter_ns until it has both its share of
    --min-time and its share of --repeat runs; the GC is off while timing.
  * Reported per library: median and best time; the ratio column is
    convcore median / peer median (< 1: convcore is faster). Geometric means of those
    ratios are printed per peer and thread count.
  * Conv rate is GFLOP/s of direct convolution, 2*N*K*OH*OW*(C/groups)*kh*kw flop,
    whatever algorithm a library really uses (Winograd can exceed 100 % of peak).
    %peak divides by convcore._core.fma_peak_gflops() * threads.
    Pooling rate is GB/s of compulsory traffic (input read once + output written once).
  * Once per shape, convcore's output is compared with torch's (max |a - b| / max |b|),
    so a fast but wrong kernel shows. Without convcore, onnxruntime is checked instead.
"""

from .cli import main
from .shapes import SHAPES_FILE, Case, load_shapes, parse_shapes

__all__ = ["main", "Case", "SHAPES_FILE", "load_shapes", "parse_shapes"]
