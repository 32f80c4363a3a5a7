"""Build of convcore: the C core (csrc/, pure C11), its SIMD kernel targets compiled each
with its own flags, and the Cython extension convcore._core that links them. OpenMP is
probed with a real compile-and-link test for the compiler in use."""
import os
import platform
import shlex
import shutil
import sys
import tempfile
import textwrap

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
CORE_SOURCES = [
    "csrc/status.c",
    "csrc/shape.c",
    "csrc/cpu.c",
    "csrc/dispatch.c",
    "csrc/pack.c",
    "csrc/conv2d.c",
    "csrc/winograd.c",
    "csrc/pool2d.c",
    "csrc/conv2d_backward.c",
    "csrc/pool2d_backward.c",
    "csrc/capi.c",
    "csrc/fork.c",
]
INCLUDE_DIRS = ["csrc/include", "csrc"]

OPENMP_TEST = textwrap.dedent(
    """
    #include <omp.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        return (n >= 1 && omp_get_max_threads() >= 1) ? 0 : 1;
    }
    """
)


def is_x86_64():
    machine = os.environ.get("CONVCORE_TARGET_ARCH") or platform.machine()
    return machine.lower() in ("x86_64", "amd64", "x64")


def simd_targets(compiler_type):
    """(name, source, extra flags) of each kernel target built for this platform."""
    targets = [("base", "csrc/kernels/target_base.c", [])]
    if not is_x86_64():
        return targets
    if compiler_type == "msvc":
        targets.append(("avx2", "csrc/kernels/target_avx2.c", ["/arch:AVX2"]))
        targets.append(("avx512", "csrc/kernels/target_avx512.c", ["/arch:AVX512"]))
    else:
        avx2 = ["-mavx2", "-mfma", "-ffp-contract=fast"]
        avx512 = avx2 + ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl"]
        targets.append(("avx2", "csrc/kernels/target_avx2.c", avx2))
        targets.append(("avx512", "csrc/kernels/target_avx512.c", avx512))
    return targets


class BuildExt(build_ext):
    def openmp_candidates(self):
        ctype = self.compiler.compiler_type
        if ctype == "msvc":
            return [(["/openmp"], [])]
        if sys.platform == "darwin":
            # Apple clang: OpenMP through the preprocessor plus a separately built libomp.
            # CONVCORE_LIBOMP_PREFIX names that libomp's install prefix (the wheel build
            # sets it, see tools/build_libomp_macos.sh; locally e.g. `brew --prefix libomp`).
            # The flags go to the probe and to the extension alike, so what the probe
            # proved is what the extension links.
            prefix = os.environ.get("CONVCORE_LIBOMP_PREFIX", "")
            inc, lib = ([], [])
            if prefix:
                inc = [f"-I{os.path.join(prefix, 'include')}"]
                lib_dir = os.path.join(prefix, "lib")
                lib = [f"-L{lib_dir}", f"-Wl,-rpath,{lib_dir}"]
            return [
                (["-Xpreprocessor", "-fopenmp"] + inc, lib + ["-lomp"]),
                (["-fopenmp"] + inc, ["-fopenmp"] + lib),
            ]
        return [(["-fopenmp"], ["-fopenmp"])]

    def probe_openmp(self):
        """The first (compile flags, link flags) pair that compiles and links a real
        OpenMP program with this compiler, or None."""
        tmp = tempfile.mkdtemp(prefix="convcore-omp-")
        try:
            src = os.path.join(tmp, "omp_probe.c")
            with open(src, "w") as f:
                f.write(OPENMP_TEST)
            # distutils adds the environment's CFLAGS and LDFLAGS to the compile and
            # shared-link commands but not to the executable link: add them here, or flags
            # such as -fsanitize=address compile the probe but fail its link, and the
            # build would silently be serial.
            env_link = []
            if self.compiler.compiler_type != "msvc":
                env_link = shlex.split(os.environ.get("CFLAGS", "")) + shlex.split(
                    os.environ.get("LDFLAGS", ""))
            for cflags, ldflags in self.openmp_candidates():
                try:
                    objs = self.compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                    self.compiler.link_executable(
                        objs, "omp_probe", output_dir=tmp, extra_postargs=ldflags + env_link
                    )
                    return cflags, ldflags
                except Exception:  # noqa: BLE001 - any failure means "not this flag set"
                    continue
            return None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def build_extensions(self):
        ctype = self.compiler.compiler_type
        omp = self.probe_openmp()
        if omp is None:
            if os.environ.get("CONVCORE_REQUIRE_OPENMP", "") not in ("", "0"):
                raise RuntimeError(
                    "CONVCORE_REQUIRE_OPENMP is set but no working OpenMP was found for "
                    f"compiler type {ctype!r}"
                )
            banner = "!" * 78
            msg = (
                f"\n{banner}\nconvcore: OpenMP NOT FOUND for this compiler; building a SERIAL "
                f"library (every call runs on one thread).\n{banner}\n"
            )
            sys.stderr.write(msg)
            print(msg)
            omp_c, omp_l = [], []
        else:
            omp_c, omp_l = omp
        if ctype == "msvc":
            base = ["/std:c11", "/O2"]
        else:
            # -g0: no debug sections (they tripled the wheel); build with CFLAGS=-g to debug
            base = ["-std=c11", "-O3", "-fvisibility=hidden", "-Wall", "-g0"]
            # An optimisation level in the environment's CFLAGS (a sanitizer or debug
            # build) wins over ours, which would otherwise come after it.
            if any(f.startswith("-O") for f in os.environ.get("CFLAGS", "").split()):
                base.remove("-O3")
        macros = []
        objects = []
        include_dirs = [os.path.join(HERE, d) for d in INCLUDE_DIRS]
        for name, src, flags in simd_targets(ctype):
            if name != "base":
                macros.append((f"CC_HAVE_{name.upper()}", "1"))
            objects += self.compiler.compile(
                [src],
                output_dir=self.build_temp,
                include_dirs=include_dirs,
                extra_postargs=base + omp_c + flags,
            )
        objects += self.compiler.compile(
            CORE_SOURCES,
            output_dir=self.build_temp,
            include_dirs=include_dirs,
            macros=macros,
            extra_postargs=base + omp_c,
        )
        for ext in self.extensions:
            ext.extra_objects = objects + list(ext.extra_objects or [])
            ext.extra_compile_args = list(ext.extra_compile_args or []) + omp_c + (
                [] if ctype == "msvc" else ["-g0"])
            ext.extra_link_args = list(ext.extra_link_args or []) + omp_l
            ext.include_dirs = include_dirs + [numpy.get_include()] + list(ext.include_dirs)
        # The objects above are rebuilt on every run, but build_ext only relinks when the
        # extension's own sources changed: force the link so kernels are never stale.
        self.force = True
        super().build_extensions()


PUBLIC_HEADERS = ["csrc/include/convcore/convcore.h", "csrc/include/convcore/convcore_api.h",
                  "csrc/include/convcore/capi.h"]


class BuildPy(build_py):
    """Also installs the public C headers as convcore/include/convcore/*.h, the directory
    convcore.get_include() returns to packages that build against convcore."""

    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "convcore", "include", "convcore")
        self.mkpath(dest)
        for header in PUBLIC_HEADERS:
            self.copy_file(os.path.join(HERE, header), dest)


extensions = [
    Extension(
        "convcore._core",
        sources=["src/convcore/_core.pyx"],
        define_macros=[
            ("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION"),
            # the wrapper links the core: real prototypes, not the client table macros
            ("CONVCORE_CAPI_IMPLEMENTATION", "1"),
        ],
    )
]

setup(
    ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}),
    cmdclass={"build_ext": BuildExt, "build_py": BuildPy},
)
