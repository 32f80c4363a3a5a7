#!/usr/bin/env bash
# Builds LLVM's OpenMP runtime (libomp) from its release source for one macOS architecture
# and deployment target, for the wheel build to link and delocate to vendor.
#   env: CONVCORE_MACOS_ARCH (x86_64|arm64, default: this machine's),
#        MACOSX_DEPLOYMENT_TARGET (required), CONVCORE_LIBOMP_PREFIX (install prefix)
# Run by cibuildwheel as before-all on macOS (see [tool.cibuildwheel.macos]).
#
# Why not the runner's Homebrew libomp: a bottle is built for the runner's own macOS, so a
# wheel that vendors it would claim an older deployment target than its runtime supports.
set -euo pipefail

LLVM_VERSION=19.1.7
# sha256 of the release tarballs (the same values Homebrew's libomp formula pins)
OPENMP_SHA256=bd7e6901ab086fd268750363017935fd4a717c153dad3c2aab86cb0140d9e3fe
CMAKE_SHA256=11c5a28f90053b0c43d0dec3d0ad579347fc277199c005206b963c19aae514e3
BASE_URL=https://github.com/llvm/llvm-project/releases/download/llvmorg-$LLVM_VERSION

arch=${CONVCORE_MACOS_ARCH:-$(uname -m)}
target=${MACOSX_DEPLOYMENT_TARGET:?MACOSX_DEPLOYMENT_TARGET must be set}
prefix=${CONVCORE_LIBOMP_PREFIX:-/tmp/convcore-libomp}
project=$(cd "$(dirname "$0")/.." && pwd)

if [ "$(uname -s)" != Darwin ]; then
  echo "build_libomp_macos.sh: this builds a macOS library; run it on macOS" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() { # name sha256
  local file=$1-$LLVM_VERSION.src.tar.xz
  curl --fail --location --silent --show-error --retry 3 -o "$work/$file" "$BASE_URL/$file"
  echo "$2  $work/$file" | shasum -a 256 --check
  mkdir -p "$work/$1"
  tar -xf "$work/$file" -C "$work/$1" --strip-components=1
}
fetch openmp "$OPENMP_SHA256"
fetch cmake "$CMAKE_SHA256"   # LLVM's shared CMake modules, expected at ../cmake

cmake -S "$work/openmp" -B "$work/build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_INSTALL_NAME_DIR="$prefix/lib" \
  -DCMAKE_OSX_ARCHITECTURES="$arch" \
  -DCMAKE_OSX_DEPLOYMENT_TARGET="$target" \
  -DLIBOMP_INSTALL_ALIASES=OFF \
  -DLIBOMP_ENABLE_SHARED=ON \
  -DLIBOMP_OMPD_SUPPORT=OFF \
  -DLIBOMP_OMPT_SUPPORT=OFF \
  -DOPENMP_ENABLE_LIBOMPTARGET=OFF \
  -DOPENMP_ENABLE_OMPT_TOOLS=OFF
cmake --build "$work/build" --parallel
cmake --install "$work/build"

# Check what was built: the right architecture, the right minimum macOS, and a program
# linked against it runs with more than one thread.
lib="$prefix/lib/libomp.dylib"
lipo -archs "$lib" | grep -qx "$arch" || { echo "libomp.dylib is not $arch: $(lipo -archs "$lib")" >&2; exit 1; }
minos=$(otool -l "$lib" | awk '/LC_BUILD_VERSION/{f=1} f&&/minos/{print $2; exit}')
[ -z "$minos" ] && minos=$(otool -l "$lib" | awk '/LC_VERSION_MIN_MACOSX/{f=1} f&&/version/{print $2; exit}')
echo "libomp.dylib: arch $arch, minos $minos (target $target), id $(otool -D "$lib" | tail -1)"
[ "$minos" = "$target" ] || { echo "libomp.dylib minos $minos != $target" >&2; exit 1; }
cat > "$work/probe.c" <<'EOF'
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel num_threads(2) reduction(+:n)
    n += 1;
    printf("libomp probe: %d threads\n", n);
    return n == 2 ? 0 : 1;
}
EOF
cc -arch "$arch" -mmacosx-version-min="$target" -Xpreprocessor -fopenmp -I"$prefix/include" \
  "$work/probe.c" -L"$prefix/lib" -lomp -Wl,-rpath,"$prefix/lib" -o "$work/probe"
"$work/probe"

# The wheel ships the licence of the exact source built (dist-info/licenses/LICENSES/).
cp "$work/openmp/LICENSE.TXT" "$project/LICENSES/LLVM-OpenMP.txt"
echo "libomp $LLVM_VERSION installed in $prefix"
