"""Resolves [tool.cibuildwheel] for one identifier per platform and architecture, as
cibuildwheel itself would, and checks what each wheel build gets: OpenMP required, the
test command, the repair command with its contents check, and on macOS the deployment
target and libomp build for that architecture. Run from the repository root with the
Python that has cibuildwheel (pinned in tools/check_wheels_requirements.txt: this uses
its options module).
"""
from __future__ import annotations

import os
import sys

from cibuildwheel.options import CommandLineArguments, compute_options

EXPECT = {
    # identifier: (platform, extra environment expected)
    "cp311-manylinux_x86_64": ("linux", {}),
    "cp314-musllinux_aarch64": ("linux", {}),
    "cp311-macosx_x86_64": ("macos", {"MACOSX_DEPLOYMENT_TARGET": "10.15", "CONVCORE_MACOS_ARCH": "x86_64"}),
    "cp314-macosx_arm64": ("macos", {"MACOSX_DEPLOYMENT_TARGET": "11.0", "CONVCORE_MACOS_ARCH": "arm64"}),
    "cp311-win_amd64": ("windows", {}),
    "cp314-win_arm64": ("windows", {}),
}


def main() -> int:
    problems = []
    for ident, (platform, extra) in EXPECT.items():
        args = CommandLineArguments.defaults()
        args.platform = platform
        build = compute_options(platform, args, dict(os.environ)).build_options(ident)
        env = build.environment.as_dictionary(prev_environment={})
        want = {"CONVCORE_REQUIRE_OPENMP": "1", **extra}
        for key, value in want.items():
            if env.get(key) != value:
                problems.append(f"{ident}: {key}={env.get(key)!r}, expected {value!r}")
        if "pytest" not in (build.test_command or ""):
            problems.append(f"{ident}: test command {build.test_command!r} does not run pytest")
        if "check_wheel_contents.py" not in (build.repair_command or "") and \
                "repair_wheel_windows.py" not in (build.repair_command or ""):
            problems.append(f"{ident}: repair command {build.repair_command!r} does not check the wheel")
        if platform == "macos" and "build_libomp_macos.sh" not in (build.before_all or ""):
            problems.append(f"{ident}: before-all {build.before_all!r} does not build libomp")
        print(f"{ident}: env {' '.join(f'{k}={v}' for k, v in sorted(env.items()))}; "
              f"repair: {build.repair_command.split()[0] if build.repair_command else None}")
    for p in problems:
        print("ERROR", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
