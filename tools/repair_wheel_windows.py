"""Repairs a Windows wheel with delvewheel, vendoring MSVC's OpenMP runtime (vcomp140.dll),
then checks the result with check_wheel_contents.py.

    python tools/repair_wheel_windows.py WHEEL DEST_DIR

delvewheel looks for DLLs on PATH. The Visual Studio installation that compiled the wheel
also holds the matching redistributable vcomp140.dll for each architecture
(VC/Redist/MSVC/<version>/<arch>/Microsoft.VC*.OpenMP/); that directory is added to the
search so that the vendored runtime is the one of the toolset used, for the wheel's
architecture (x64 or arm64), whatever the runner has in System32.
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def wheel_arch(wheel: str) -> str:
    name = os.path.basename(wheel)
    if name.endswith("win_amd64.whl"):
        return "x64"
    if name.endswith("win_arm64.whl"):
        return "arm64"
    raise SystemExit(f"not a 64-bit Windows wheel: {name}")


def vs_installations() -> list[str]:
    vswhere = os.path.join(
        os.environ.get("ProgramFiles(x86)", r"C:\Program Files (x86)"),
        "Microsoft Visual Studio", "Installer", "vswhere.exe",
    )
    if not os.path.isfile(vswhere):
        return []
    out = subprocess.run(
        [vswhere, "-all", "-products", "*", "-property", "installationPath"],
        capture_output=True, text=True, check=False,
    ).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def openmp_redist_dir(arch: str) -> str | None:
    """The newest VC/Redist/MSVC/*/<arch>/Microsoft.VC*.OpenMP directory, or None."""
    found = []
    for root in vs_installations():
        pattern = os.path.join(root, "VC", "Redist", "MSVC", "*", arch, "Microsoft.VC*.OpenMP")
        found += [d for d in glob.glob(pattern) if os.path.isfile(os.path.join(d, "vcomp140.dll"))]
    return sorted(found)[-1] if found else None


def main() -> int:
    wheel, dest_dir = sys.argv[1], sys.argv[2]
    arch = wheel_arch(wheel)
    cmd = [sys.executable, "-m", "delvewheel", "repair", "-v", "-w", dest_dir]
    redist = openmp_redist_dir(arch)
    if redist:
        print(f"vcomp140.dll for {arch} from {redist}")
        cmd += ["--add-path", redist]
    else:
        print(f"WARNING: no Visual Studio OpenMP redistributable found for {arch}; "
              "delvewheel searches PATH", file=sys.stderr)
    subprocess.run(cmd + [wheel], check=True)
    return subprocess.call([sys.executable, os.path.join(HERE, "check_wheel_contents.py"), dest_dir])


if __name__ == "__main__":
    sys.exit(main())
