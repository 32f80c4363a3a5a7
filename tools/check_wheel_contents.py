"""Checks built convcore wheels: repaired platform tag, the OpenMP runtime vendored for
that platform, the licence texts shipped with it, and the size limit.

    python tools/check_wheel_contents.py [--max-bytes N] WHEEL_OR_DIR...

Standard library only: it runs in the cibuildwheel repair step on every platform
(manylinux/musllinux containers, macOS, Windows) as well as in tools/check_wheels.sh.
Exits non-zero, naming the problem, if any wheel fails.
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import zipfile

MAX_BYTES = 1_000_000  # every wheel stays under 1 MB

# platform -> (what the runtime is, glob of the vendored file, licence file in LICENSES/)
RUNTIMES = {
    "linux": ("GNU libgomp (auditwheel)", "convcore.libs/libgomp*.so*", "GCC-libgomp.txt"),
    "macos": ("LLVM libomp (delocate)", "convcore/.dylibs/libomp*.dylib", "LLVM-OpenMP.txt"),
    "windows": ("MSVC vcomp140 (delvewheel)", "convcore.libs/vcomp140*.dll", "MSVC-vcomp140.txt"),
}


def platform_of(name: str) -> str:
    tag = name[:-4].rsplit("-", 1)[-1]
    if "manylinux" in tag or "musllinux" in tag:
        return "linux"
    if tag.startswith("linux_"):
        raise ValueError(f"{name}: plain linux tag, the wheel was not repaired by auditwheel")
    if tag.startswith("macosx_"):
        return "macos"
    if tag.startswith("win"):
        return "windows"
    raise ValueError(f"{name}: unknown platform tag {tag!r}")


def check(path: str, max_bytes: int) -> list[str]:
    name = os.path.basename(path)
    problems = []
    try:
        plat = platform_of(name)
    except ValueError as exc:
        return [str(exc)]
    what, lib_glob, licence = RUNTIMES[plat]
    size = os.path.getsize(path)
    with zipfile.ZipFile(path) as zf:
        files = zf.namelist()
    ext = [f for f in files if fnmatch.fnmatch(f, "convcore/_core.*") and f.endswith((".so", ".pyd"))]
    if len(ext) != 1:
        problems.append(f"expected one convcore/_core extension module, found {ext}")
    libs = [f for f in files if fnmatch.fnmatch(f, lib_glob)]
    if not libs:
        problems.append(f"OpenMP runtime not vendored: no {lib_glob} ({what})")
    dist_info = [f for f in files if ".dist-info/licenses/" in f]
    for needed in ("LICENSE", f"LICENSES/{licence}"):
        if not any(f.endswith(".dist-info/licenses/" + needed) for f in dist_info):
            problems.append(f"licence file missing from the wheel: {needed}")
    if size >= max_bytes:
        problems.append(f"{size} bytes, over the {max_bytes}-byte limit")
    status = "FAIL" if problems else "ok"
    print(f"{status:4} {name}: {size / 1e6:.3f} MB, {what}: {', '.join(libs) or 'MISSING'}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-bytes", type=int, default=MAX_BYTES)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    wheels = []
    for p in args.paths:
        if os.path.isdir(p):
            wheels += sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith(".whl"))
        else:
            wheels.append(p)
    if not wheels:
        print(f"no wheels found in {args.paths}", file=sys.stderr)
        return 1
    failed = 0
    for w in wheels:
        for problem in check(w, args.max_bytes):
            print(f"  {os.path.basename(w)}: {problem}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
