"""Builds convcore_downstream._filters against the installed convcore: headers from
convcore.get_include(), .pxd files from sys.path; no library to link."""
import sys

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

import convcore

if sys.platform == "win32":
    omp_compile, omp_link = ["/openmp"], []
elif sys.platform == "darwin":
    omp_compile, omp_link = [], []  # prange then runs serially; convcore threads itself
else:
    omp_compile, omp_link = ["-fopenmp"], ["-fopenmp"]

ext = Extension(
    "convcore_downstream._filters",
    ["src/convcore_downstream/_filters.pyx"],
    include_dirs=[convcore.get_include(), numpy.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_2_0_API_VERSION")],
    extra_compile_args=omp_compile,
    extra_link_args=omp_link,
)
setup(ext_modules=cythonize([ext], compiler_directives={"language_level": "3"}))
