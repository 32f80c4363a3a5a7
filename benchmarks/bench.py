"""Runs the benchmark harness that ships in the package (convcore/bench/); the same as
``python -m convcore bench``."""
import sys

from convcore import bench

if __name__ == "__main__":
    sys.exit(bench.main(sys.argv[1:]))
