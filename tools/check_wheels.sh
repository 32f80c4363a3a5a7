#!/usr/bin/env bash
# Checks the wheels as far as one Linux x86-64 machine allows (run by .ci/run):
#   0 tools        installs what the checks need, skipping what is present (apt, a cached venv)
#   1 build        sdist, then a wheel from it with each CPython 3.11/3.12/3.13 here
#   2 repair       auditwheel repair; libgomp vendored, licences shipped, each wheel < 1 MB
#   3 test         each wheel in a fresh venv outside the source tree: full suite (3.11),
#                  a quick subset (3.12, 3.13)
#   4 matrix       cibuildwheel --print-build-identifiers for linux, macos, windows
#   5 workflows    check-jsonschema (GitHub workflow schema) and zizmor --offline
#   6 c-core       csrc/tests driver: aarch64 (cross gcc + qemu), clang + libomp,
#                  mingw-w64 (compile and link), no-AVX CPU (qemu -cpu Nehalem); and the
#                  wheel itself on the no-AVX CPU
#   7 simd         ymm/zmm (and any VEX) instructions only in the avx2/avx512 kernels
#   8 threadpool   threadpoolctl sees convcore's OpenMP and threadpool_limits changes it
#   9 torch        convcore and torch in one process (when torch can be installed here)
#  10 fork         the README's fork advice: spawn / forkserver workers after threaded work
# Every step runs; each failure is reported with its log, and the script exits non-zero.
# CPython comes from pyenv (~/.pyenv/versions/3.1x.*) or python3.1x on PATH.
# Env: CONVCORE_CHECK_TORCH=0 (do not install torch), CONVCORE_CHECK_KEEP=1 (keep the work dir).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/convcore-check-wheels
work=$(mktemp -d "${TMPDIR:-/tmp}/convcore-check-wheels.XXXXXX")
logs=$work/logs
mkdir -p "$logs" "$cache"
cleanup() { [ "${CONVCORE_CHECK_KEEP:-0}" = 1 ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT
exec 3>&1 # step bodies write their log to a file; `say` reaches the terminal through fd 3
say() { echo "    $*" | tee -a "$logs/$current.log" >&3; }

# Builds and tests are reniced: they share the machine with other work.
nice_run() { nice -n 19 "$@"; }

APT_PACKAGES=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-mingw-w64-x86-64
              clang libomp-dev binutils)
TOOLS_REQUIREMENTS="$repo/tools/check_wheels_requirements.txt"
EXPECTED_PY=(3.11 3.12 3.13)
QUICK_TESTS=(test_api.py test_config.py test_targets.py test_threads.py test_layouts.py)

passed=0; failed=0; skipped=0; results=()
start_all=$(date +%s)
step() { # name description function
  current=$1
  local desc=$2 fn=$3 t0 rc
  t0=$(date +%s)
  echo "== [$current] $desc" >&3
  ( set -euo pipefail; "$fn" ) >"$logs/$current.log" 2>&1
  rc=$?
  local dt=$(( $(date +%s) - t0 ))
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); results+=("PASS  $current (${dt}s)")
    echo "   PASS ($dt s)" >&3
  elif [ $rc -eq 77 ]; then
    skipped=$((skipped + 1)); results+=("SKIP  $current (${dt}s)")
    echo "   SKIPPED ($dt s): $(tail -1 "$logs/$current.log")" >&3
  else
    failed=$((failed + 1)); results+=("FAIL  $current (${dt}s)")
    {
      echo "   FAILED (exit $rc, $dt s); last lines of its log:"
      tail -n 40 "$logs/$current.log" | sed 's/^/   | /'
    } >&3
  fi
}

# ---------------------------------------------------------------------------- 0 tools
find_python() { # 3.11 -> newest pyenv interpreter of that minor version
  local v=$1 found=""
  for p in "$HOME"/.pyenv/versions/"$v".*/bin/python; do
    [ -x "$p" ] || continue
    case "$p" in *t/bin/python) continue ;; esac # no free-threaded builds
    found=$p
  done
  [ -n "$found" ] || found=$(command -v "python$v" || true)
  echo "$found"
}

pythons=()
tools_py=""
step_tools() {
  # Debian packages: cross compilers, emulators, clang + libomp, objdump
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -c "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    command -v apt-get >/dev/null || { say "ERROR: apt-get not found: cannot install ${missing[*]}"; return 1; }
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    say "Debian packages present: ${APT_PACKAGES[*]}"
  fi
  # Python tools, pinned, in a cached venv keyed by the requirements file
  local key venv
  key=$(sha256sum "$TOOLS_REQUIREMENTS" | cut -c1-12)
  venv=$cache/tools-$key
  if [ ! -x "$venv/bin/cibuildwheel" ] || [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    "$tools_py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$TOOLS_REQUIREMENTS"
    touch "$venv/.complete"
    say "tools venv created: $venv"
  else
    say "tools venv present: $venv"
  fi
  for t in cibuildwheel auditwheel check-jsonschema zizmor patchelf pyproject-build; do
    [ -x "$venv/bin/$t" ] || { say "ERROR: $t missing from $venv"; return 1; }
  done
  for t in qemu-aarch64 qemu-x86_64 aarch64-linux-gnu-gcc x86_64-w64-mingw32-gcc-posix clang objdump; do
    command -v "$t" >/dev/null || { say "ERROR: $t not found after installing"; return 1; }
  done
  echo "$venv" > "$work/tools_venv"
}

tools_bin() { echo "$(cat "$work/tools_venv")/bin"; }

# ---------------------------------------------------------------------------- 1 build
build_one() { # version python -> wheel in $work/dist-$version
  local v=$1 py=$2 venv=$cache/build-$v
  if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    "$py" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "build==1.6.1"
    touch "$venv/.complete"
  fi
  CONVCORE_REQUIRE_OPENMP=1 nice_run "$venv/bin/python" -m build --wheel \
    --outdir "$work/dist-$v" "$work"/sdist/convcore-*.tar.gz
}

step_build() {
  [ ${#pythons[@]} -eq ${#EXPECTED_PY[@]} ] || { say "ERROR: expected CPython ${EXPECTED_PY[*]}, found: ${pythons[*]:-none}"; return 1; }
  nice_run "$(tools_bin)/pyproject-build" --sdist --outdir "$work/sdist" "$repo"
  say "sdist: $(cd "$work/sdist" && ls -s --block-size=K convcore-*.tar.gz)"
  # the sdist carries everything a build needs (the Cython source among it)
  tar -tzf "$work"/sdist/convcore-*.tar.gz | grep -c 'src/convcore/_core.pyx$'
  local pids=() i=0
  for py in "${pythons[@]}"; do
    local v=${EXPECTED_PY[$i]}
    build_one "$v" "$py" >"$logs/build-$v.log" 2>&1 &
    pids+=($!); i=$((i + 1))
  done
  local rc=0 k=0
  for pid in "${pids[@]}"; do
    local v=${EXPECTED_PY[$k]}
    if wait "$pid"; then
      say "cp${v/./} wheel built from the sdist: $(cd "$work/dist-$v" && ls *.whl)"
    else
      say "ERROR: building with Python $v failed:"; tail -n 30 "$logs/build-$v.log"; rc=1
    fi
    k=$((k + 1))
  done
  return $rc
}

# ---------------------------------------------------------------------------- 2 repair
step_repair() {
  local bin; bin=$(tools_bin)
  mkdir -p "$work/wheelhouse"
  for v in "${EXPECTED_PY[@]}"; do
    PATH="$bin:$PATH" "$bin/auditwheel" repair -w "$work/wheelhouse" "$work/dist-$v"/*.whl
  done
  for w in "$work"/wheelhouse/*.whl; do
    "$bin/python" "$repo/tools/check_wheel_contents.py" "$w" | while read -r line; do say "$line"; done
    "$bin/python" "$repo/tools/check_wheel_contents.py" "$w" >/dev/null
  done
  # the repaired extension loads the vendored copy, not a system libgomp
  local so
  so=$(unzip -Z1 "$work"/wheelhouse/*cp311*.whl | grep '_core.*\.so$')
  (cd "$work" && rm -rf peek && mkdir peek && cd peek && unzip -q "$work"/wheelhouse/*cp311*.whl)
  "$bin/patchelf" --print-needed "$work/peek/$so" | grep -c '^libgomp-[0-9a-f]*\.so' \
    || { say "ERROR: the extension does not depend on the vendored libgomp"; return 1; }
  say "extension NEEDED: $("$bin/patchelf" --print-needed "$work/peek/$so" | tr '\n' ' ')"
}

# ---------------------------------------------------------------------------- 3 test
make_venv() { # version -> fresh venv outside the tree with the wheel and its test extra
  local v=$1 py wheel
  py=${pythons[$(index_of "$v")]}
  wheel=$(ls "$work"/wheelhouse/*cp${v/./}-*.whl)
  rm -rf "$work/venv-$v"
  "$py" -m venv "$work/venv-$v"
  "$work/venv-$v/bin/python" -m pip install --quiet "$wheel[test]"
}
index_of() { local i=0; for v in "${EXPECTED_PY[@]}"; do [ "$v" = "$1" ] && echo $i && return; i=$((i + 1)); done; }

run_suite() { # version pytest-args...
  local v=$1; shift
  local py=$work/venv-$v/bin/python out
  # import from the venv, never from the source tree
  out=$(cd "$work" && "$py" -c "import convcore, sys; print(convcore.__file__)")
  case "$out" in "$work/venv-$v/"*) ;; *) say "ERROR: convcore imported from $out"; return 1 ;; esac
  (cd "$work" && nice_run "$py" -m pytest -p no:cacheprovider -q "$@") >"$logs/pytest-$v.log" 2>&1
  local rc=$?
  say "Python $v: $(tail -n 1 "$logs/pytest-$v.log")"
  [ $rc -eq 0 ] || { tail -n 30 "$logs/pytest-$v.log"; return 1; }
}

step_test() {
  for v in "${EXPECTED_PY[@]}"; do make_venv "$v"; done
  if [ "${CONVCORE_CHECK_TORCH:-1}" != 0 ]; then
    # the CPU build only (its local version label), so that no multi-GB CUDA build is fetched;
    # with torch present the full suite also runs its torch comparisons
    if "$work/venv-3.11/bin/python" -m pip install --quiet --only-binary :all: "torch==2.13.0+cpu"; then
      say "torch $("$work/venv-3.11/bin/python" -c 'import torch; print(torch.__version__)') installed beside the cp311 wheel"
    else
      say "WARNING: torch (CPU build) could not be installed: the torch checks will not run"
    fi
  fi
  local rc=0
  run_suite 3.11 "$repo/tests" || rc=1
  local quick=()
  for t in "${QUICK_TESTS[@]}"; do quick+=("$repo/tests/$t"); done
  run_suite 3.12 "${quick[@]}" || rc=1
  run_suite 3.13 "${quick[@]}" || rc=1
  return $rc
}

# ---------------------------------------------------------------------------- 4 matrix
expected_ids() { # platform
  local out=()
  case $1 in
    linux) for libc in manylinux musllinux; do for a in x86_64 aarch64; do
             for v in 311 312 313 314; do out+=("cp$v-${libc}_$a"); done; done; done ;;
    macos) for a in x86_64 arm64; do for v in 311 312 313 314; do out+=("cp$v-macosx_$a"); done; done ;;
    windows) for a in amd64 arm64; do for v in 311 312 313 314; do out+=("cp$v-win_$a"); done; done ;;
  esac
  printf '%s\n' "${out[@]}" | sort
}

step_matrix() {
  local bin; bin=$(tools_bin)
  local rc=0 total=0
  for spec in "linux x86_64,aarch64" "macos x86_64,arm64" "windows AMD64,ARM64"; do
    set -- $spec
    local got
    got=$(cd "$repo" && "$bin/cibuildwheel" --print-build-identifiers --platform "$1" --archs "$2" | sort)
    if [ "$got" = "$(expected_ids "$1")" ]; then
      say "$1 ($2): $(echo "$got" | wc -l) wheels as intended: $(echo "$got" | tr '\n' ' ')"
      total=$((total + $(echo "$got" | wc -l)))
    else
      say "ERROR: $1 identifiers differ from the intended matrix:"
      diff <(expected_ids "$1") <(echo "$got") | sed 's/^/      /' >&3
      rc=1
    fi
  done
  # `build` names cp311-cp314 only, which already leaves cp314t out; the skip is what keeps
  # free-threaded builds out when the selection widens: check both halves of that
  local widened unskipped
  widened=$(cd "$repo" && CIBW_BUILD="cp31*" "$bin/cibuildwheel" --print-build-identifiers --platform linux --archs x86_64 | grep -c 't-' || true)
  unskipped=$(cd "$repo" && CIBW_BUILD="cp31*" CIBW_SKIP="pp*" "$bin/cibuildwheel" --print-build-identifiers --platform linux --archs x86_64 | grep -c 't-' || true)
  [ "$widened" -eq 0 ] || { say "ERROR: the skip does not exclude free-threaded builds ($widened)"; rc=1; }
  [ "$unskipped" -gt 0 ] || { say "ERROR: no free-threaded identifiers even without the skip: the check proves nothing"; rc=1; }
  # what each build gets, resolved per identifier as cibuildwheel resolves it
  (cd "$repo" && "$bin/python" tools/check_cibw_options.py) >"$work/cibw-options" 2>&1 \
    || { say "ERROR: per-identifier options:"; cat "$work/cibw-options" >&3; rc=1; }
  while read -r line; do say "$line"; done <"$work/cibw-options"
  say "total $total wheels; free-threaded: 0 with build widened to cp31*, $unskipped (cp3xxt) without the skip"
  return $rc
}

# ---------------------------------------------------------------------------- 5 workflows
step_workflows() {
  local bin; bin=$(tools_bin)
  (cd "$repo" && "$bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml)
  (cd "$repo" && "$bin/check-jsonschema" --builtin-schema vendor.dependabot .github/dependabot.yml)
  say "check-jsonschema: $(cd "$repo" && ls .github/workflows/*.yml | tr '\n' ' ')valid against the GitHub workflow schema"
  (cd "$repo" && "$bin/zizmor" --offline --persona pedantic --strict-collection --collect=all .)
  say "zizmor --offline (pedantic): $(cd "$repo" && "$bin/zizmor" --offline --persona pedantic --collect=all . 2>/dev/null | tail -n 1)"
  # every action is pinned by a full commit SHA
  local unpinned
  unpinned=$(grep -hE '^\s*(-\s+)?uses:' "$repo"/.github/workflows/*.yml | grep -vE 'uses:\s+[^@]+@[0-9a-f]{40}\s+#\s+v[0-9]' || true)
  [ -z "$unpinned" ] || { say "ERROR: actions not pinned by SHA: $unpinned"; return 1; }
  say "every action pinned by commit SHA with its release in a comment"
}

# ---------------------------------------------------------------------------- 6 c-core
ctest() { # label env-assignments... : builds (and unless RUN=0 runs) the driver
  local label=$1; shift
  local out=$work/ctest-$label.out
  nice_run env "$@" RUN="${RUN:-1}" bash "$repo/csrc/tests/build.sh" "$work/ctest-$label" >"$out" 2>&1
  local rc=$?
  cat "$out"
  [ $rc -eq 0 ] || { say "ERROR [$label]: build.sh exited $rc"; return 1; }
  if [ "${RUN:-1}" = 1 ]; then
    grep -qE '^[0-9]+ passed, 0 failed$' "$out" || { say "ERROR [$label]: the driver did not pass"; return 1; }
    say "$label: $(grep '^target in use' "$out") | $(grep -E '^[0-9]+ passed' "$out")"
  fi
}

step_ccore() {
  local rc=0
  # aarch64: Debian's cross gcc, run under qemu-user with the arm64 sysroot
  ctest aarch64 CC=aarch64-linux-gnu-gcc "RUNNER=qemu-aarch64 -L /usr/aarch64-linux-gnu" || rc=1
  file "$work/ctest-aarch64/convcore_ctest" | grep -c 'ARM aarch64' || { say "ERROR: not an aarch64 binary"; rc=1; }
  # clang with LLVM's libomp
  ctest clang CC=clang || rc=1
  ldd "$work/ctest-clang/convcore_ctest" | grep -c 'libomp' || { say "ERROR: the clang build does not use libomp"; rc=1; }
  # Windows x86-64 with mingw-w64 (GCC + libgomp), against the UCRT as MSVC builds are:
  # compile and link only (no Windows to run it on)
  local specs=$work/ucrt.specs
  x86_64-w64-mingw32-gcc-posix -dumpspecs | sed -e 's/-lmsvcrt/-lucrt/g' \
    -e '/^\*cpp:$/{n;s/$/ -D_UCRT/}' > "$specs"
  RUN=0 ctest mingw CC="x86_64-w64-mingw32-gcc-posix -specs=$specs" || rc=1
  local exe=$work/ctest-mingw/convcore_ctest.exe
  if file "$exe" | grep -c 'PE32+ executable.*x86-64' \
      && x86_64-w64-mingw32-objdump -p "$exe" | grep -c 'DLL Name: libgomp-1.dll'; then
    say "mingw: $(file -b "$exe" | cut -d, -f1-2), imports $(x86_64-w64-mingw32-objdump -p "$exe" | awk '/DLL Name/{print $3}' | tr '\n' ' ')"
  else
    say "ERROR: mingw build is not a PE32+ x86-64 executable linked to libgomp-1.dll"; rc=1
  fi
  # a CPU without AVX: the base kernels must be chosen, and pass
  ctest nehalem CC=gcc "RUNNER=qemu-x86_64 -cpu Nehalem" || rc=1
  grep -q '^target in use: base,' "$work/ctest-nehalem.out" || { say "ERROR: base kernels not chosen on Nehalem"; rc=1; }
  # and the cp311 wheel itself on that CPU (subprocess-free tests: qemu-user does not
  # follow a child process, which would run on the host CPU)
  local py=$work/venv-3.11/bin/python
  if [ -x "$py" ]; then
    (cd "$work" && nice_run qemu-x86_64 -cpu Nehalem "$py" "$repo/tools/wheel_runtime_checks.py" base-cpu) \
      | while read -r line; do say "wheel on Nehalem: $line"; done
    (cd "$work" && nice_run qemu-x86_64 -cpu Nehalem "$py" "$repo/tools/wheel_runtime_checks.py" base-cpu >/dev/null) || rc=1
    (cd "$work" && nice_run qemu-x86_64 -cpu Nehalem "$py" -m pytest -p no:cacheprovider -q \
      "$repo/tests/test_conv2d.py" "$repo/tests/test_pool2d.py") >"$logs/pytest-nehalem.log" 2>&1 || rc=1
    say "wheel on Nehalem, test_conv2d + test_pool2d: $(tail -n 1 "$logs/pytest-nehalem.log")"
  else
    say "ERROR: no cp311 test venv (step 3) to run the wheel on Nehalem"; rc=1
  fi
  return $rc
}

# ---------------------------------------------------------------------------- 7 simd
step_simd() {
  local rc=0
  for w in "$work"/wheelhouse/*.whl; do
    local d=$work/simd/$(basename "$w" .whl)
    mkdir -p "$d" && (cd "$d" && unzip -q -o "$w")
    for so in "$d"/convcore/_core*.so "$d"/convcore.libs/*.so*; do
      local report=$d/report-$(basename "$so")
      if "$(tools_bin)/python" "$repo/tools/check_simd_isolation.py" "$so" >"$report" 2>&1; then
        say "$(basename "$w" | cut -d- -f3) $(basename "$so"): $(tail -n 1 "$report")"
      else
        say "ERROR $(basename "$so"):"; cat "$report" >&3; rc=1
      fi
    done
  done
  grep -h '^avx' "$work"/simd/*cp311*/report-_core* | while read -r line; do say "cp311 $line"; done
  # negative control: AVX2 code in a function without an avx2 name must be caught
  cat > "$work/bad.c" <<'EOF'
#include <immintrin.h>
void scale_all(float *x, long n) { for (long i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(2.0f))); }
EOF
  for i in $(seq 12); do echo "void filler$i(void) {}"; done > "$work/fill.c"
  gcc -O2 -mavx2 -shared -fPIC "$work/bad.c" "$work/fill.c" -o "$work/bad.so"
  if "$(tools_bin)/python" "$repo/tools/check_simd_isolation.py" "$work/bad.so" >/dev/null 2>&1; then
    say "ERROR: the checker missed AVX2 code in a base-named function"; rc=1
  else
    say "negative control: AVX2 code in a base-named function is reported"
  fi
  return $rc
}

# ---------------------------------------------------------------------------- 8-10
in_venvs() { # check-name versions...
  local name=$1; shift
  local rc=0
  for v in "$@"; do
    local py=$work/venv-$v/bin/python
    [ -x "$py" ] || { say "ERROR: no test venv for $v"; rc=1; continue; }
    if (cd "$work" && nice_run "$py" "$repo/tools/wheel_runtime_checks.py" "$name") >"$logs/$name-$v.log" 2>&1; then
      while read -r line; do say "[$v] $line"; done <"$logs/$name-$v.log"
    else
      say "ERROR [$v]:"; cat "$logs/$name-$v.log" >&3; rc=1
    fi
  done
  return $rc
}

step_threadpool() { in_venvs threadpool "${EXPECTED_PY[@]}"; }

step_torch() {
  local py=$work/venv-3.11/bin/python
  if ! (cd "$work" && "$py" -c "import torch") 2>/dev/null; then
    echo "torch is not installed (CONVCORE_CHECK_TORCH=0, or no CPU build of torch available): not checked"
    return 77
  fi
  in_venvs torch 3.11
}

step_fork() {
  in_venvs fork "${EXPECTED_PY[@]}"
  in_venvs import-time 3.11
  grep -q '^### Threads and fork' "$repo/README.md" || { say "ERROR: README has no fork paragraph"; return 1; }
}

# ---------------------------------------------------------------------------- main
for v in "${EXPECTED_PY[@]}"; do
  p=$(find_python "$v")
  [ -n "$p" ] && pythons+=("$p")
done
tools_py=${pythons[0]:-$(command -v python3)}
echo "check_wheels: work dir $work; CPython: ${pythons[*]:-none}"

step tools "install the checking tools (skip what is present)" step_tools
step build "sdist, and a wheel from it with each CPython ${EXPECTED_PY[*]}" step_build
step repair "auditwheel repair: libgomp vendored, licences, size < 1 MB" step_repair
step test "each wheel in a fresh venv: full suite (3.11), quick subset (3.12, 3.13)" step_test
step matrix "cibuildwheel --print-build-identifiers: the intended matrix" step_matrix
step workflows "workflows: GitHub schema (check-jsonschema), zizmor --offline" step_workflows
step c-core "C test driver: aarch64/qemu, clang+libomp, mingw-w64, no-AVX CPU" step_ccore
step simd "ymm/zmm only in the avx2/avx512 kernels (objdump)" step_simd
step threadpool "threadpoolctl sees and limits convcore's OpenMP" step_threadpool
step torch "convcore and torch in one process" step_torch
step fork "fork advice (spawn, forkserver) and import time" step_fork

echo "== summary ($(( $(date +%s) - start_all )) s)"
printf '   %s\n' "${results[@]}"
echo "check_wheels: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
