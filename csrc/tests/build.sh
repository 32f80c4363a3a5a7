#!/usr/bin/env bash
# Builds and runs the C core's test driver without Python.
#   csrc/tests/build.sh [OUT_DIR]      env: CC, CFLAGS, LDFLAGS, OPENMP (1/0),
#                                           X86_TARGETS (1: also build avx2/avx512; default: by `$CC -dumpmachine`),
#                                           RUN (1: run it after building; default 1), RUNNER (e.g. qemu-aarch64 -L ...)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$here/../build/ctest}
mkdir -p "$out"
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}
LDFLAGS=${LDFLAGS:-}
OPENMP=${OPENMP:-1}
machine=$($CC -dumpmachine 2>/dev/null || echo unknown)
case "$machine" in x86_64*|amd64*) x86=1 ;; *) x86=0 ;; esac
X86_TARGETS=${X86_TARGETS:-$x86}
omp=""
[ "$OPENMP" = 1 ] && omp="-fopenmp"
inc="-I$here/include -I$here"
defs=""
objs=()
build() { # src extra-flags...
  local src=$1; shift
  local obj="$out/$(basename "${src%.c}").o"
  $CC -std=c11 $CFLAGS $omp $inc $defs "$@" -c "$src" -o "$obj"
  objs+=("$obj")
}
build "$here/kernels/target_base.c"
if [ "$X86_TARGETS" = 1 ]; then
  build "$here/kernels/target_avx2.c" -mavx2 -mfma -ffp-contract=fast
  build "$here/kernels/target_avx512.c" -mavx2 -mfma -ffp-contract=fast -mavx512f -mavx512bw -mavx512dq -mavx512vl
  defs="-DCC_HAVE_AVX2=1 -DCC_HAVE_AVX512=1"
fi
for f in status shape cpu dispatch pack conv2d winograd pool2d conv2d_backward pool2d_backward fork; do
  build "$here/$f.c"
done
build "$here/tests/ref/ref.c"
build "$here/tests/ref/ref_kernels.c"
for f in test_kernels test_kernels_util test_kernels_gemm test_kernels_plane test_kernels_wgrad test_kernels_winograd; do
  build "$here/tests/$f.c"
done
build "$here/tests/test_main.c"
exe="$out/convcore_ctest"
case "$machine" in *mingw*|*windows*) exe="$exe.exe" ;; esac
$CC $omp "${objs[@]}" $LDFLAGS -lm -o "$exe"
echo "built $exe ($machine)"
if [ "${RUN:-1}" = 1 ]; then
  ${RUNNER:-} "$exe"
fi
