#!/usr/bin/env bash
# Memory-safety job: builds convcore with AddressSanitizer + UndefinedBehaviorSanitizer and
# runs, under them, the C core's test driver, the pytest suite (slow tests included, but
# for one training-accuracy test) and the argument fuzzer's slow profile. Any sanitizer
# report fails the job. docs/testing.md says what runs and why.
#
#   tools/sanitize.sh [WORK_DIR]
#     env: PYTHON   interpreter whose environment has numpy, pytest, hypothesis,
#                   threadpoolctl, Cython and setuptools (default: python3)
#          CC       a GCC or clang that knows -fsanitize (default: gcc)
#          FUZZ_SEED  seed of the fuzz pass (default 0: the same examples on every run)
#          SANITIZE_PYTEST_ARGS  extra pytest arguments for the suite pass (e.g. -x, -k ...)
#
# The extension is built from a copy of the sources (the checkout's build/ is neither used
# nor touched) and installed into WORK_DIR/site, which PYTHONPATH puts in front of the
# environment's own packages: the environment is left as it was.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
CC=${CC:-gcc}
work=${1:-$(mktemp -d)}
mkdir -p "$work"
work=$(cd "$work" && pwd)
logs="$work/reports"
rm -rf "$logs" "$work/site" "$work/src"
mkdir -p "$logs" "$work/src"

# TESTING.md's flags. -fno-wrapv undoes Python's -fwrapv so that signed overflow is
# reported; -UNDEBUG keeps assertions.
san_flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-wrapv -UNDEBUG -O1"
san_link="-fsanitize=address,undefined"
libasan=$($CC -print-file-name=libasan.so)
[ -f "$libasan" ] || { echo "sanitize: $CC has no libasan.so ($libasan)" >&2; exit 2; }

# Reports of every process (pytest, the subprocesses tests start, forked children) go to
# files under $logs as well as stopping that process, so none can be swallowed.
# allocator_may_return_null: a request no memory can hold (the tests make some on purpose)
# returns NULL, which NumPy and the core turn into MemoryError, as without ASan; ASan
# still logs a "failed to allocate" warning for each, the one line check_reports allows.
asan_opts="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1:log_path=$logs/asan"
ubsan_opts="halt_on_error=1:print_stacktrace=1:log_path=$logs/ubsan"
benign='^==[0-9]+==WARNING: AddressSanitizer failed to allocate 0x[0-9a-f]+ bytes$'

check_reports() { # stage
  local bad=0 f
  for f in "$logs"/*; do
    [ -e "$f" ] || continue
    if grep -Evq "$benign" "$f"; then
      echo "sanitize: sanitizer report after $1: $f" >&2
      cat "$f" >&2
      bad=1
    fi
  done
  [ "$bad" = 0 ] || exit 1
}

start=$SECONDS
stage() { echo; echo "=== sanitize [$((SECONDS - start)) s]: $*"; }

stage "C core test driver"
CC=$CC CFLAGS="$san_flags" LDFLAGS="$san_link" \
  ASAN_OPTIONS="$asan_opts" UBSAN_OPTIONS="$ubsan_opts" \
  bash "$repo/csrc/tests/build.sh" "$work/ctest"
check_reports "the C test driver"

stage "building the extension"
tar -C "$repo" --exclude=./.git --exclude=./build --exclude='./src/*.egg-info' \
  --exclude='*.so' --exclude=./src/convcore/_core.c -cf - . | tar -C "$work/src" -xf -
# CONVCORE_REQUIRE_OPENMP: a serial build would leave the threaded paths unchecked
CC=$CC CFLAGS="$san_flags" LDFLAGS="$san_link" CONVCORE_REQUIRE_OPENMP=1 \
  "$PYTHON" -m pip install --quiet --no-build-isolation --no-deps --target "$work/site" \
  "$work/src"

export PYTHONPATH="$work/site${PYTHONPATH:+:$PYTHONPATH}"
export LD_PRELOAD="$libasan"
export ASAN_OPTIONS="$asan_opts"
export UBSAN_OPTIONS="$ubsan_opts"
export PYTHONFAULTHANDLER=1
cd "$work"  # not the repository: tests import the sanitized build, never ./src
"$PYTHON" - "$work/site" <<'EOF'
import os, sys
import convcore
where = os.path.dirname(convcore.__file__)
assert where.startswith(sys.argv[1]), f"convcore imported from {where}, not the sanitized build"
cfg = convcore.config()
assert cfg["openmp"], "the sanitized build is serial"
print("sanitized convcore:", where, cfg["compiler"], "OpenMP:", cfg["openmp"])
EOF
check_reports "import"

stage "pytest: the suite, slow tests included"
# -s: a report printed by the process under test is not swallowed by capture.
# Left out: the accuracy comparison of a CNN with a linear model (several minutes of
# training under ASan; the same kernels run in test_cnn_learns_glyphs) and the fuzzer,
# which the next stage runs with more examples.
"$PYTHON" -m pytest -s -q -p no:cacheprovider -m "slow or not slow" \
  --deselect tests/test_nn_training.py::test_cnn_clearly_beats_a_linear_model_on_glyphs \
  --ignore "$repo/tests/test_fuzz.py" --ignore "$repo/tests/test_fuzz_nn.py" \
  ${SANITIZE_PYTEST_ARGS:-} "$repo/tests"
check_reports "the test suite"

stage "pytest: the argument fuzzer, slow profile"
HYPOTHESIS_PROFILE=slow "$PYTHON" -m pytest -s -q -p no:cacheprovider \
  --hypothesis-seed="${FUZZ_SEED:-0}" --hypothesis-show-statistics \
  "$repo/tests/test_fuzz.py" "$repo/tests/test_fuzz_nn.py"
check_reports "the fuzzer"

stage "done: no sanitizer reports"
