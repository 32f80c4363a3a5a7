# Declarations the wrapper needs beyond the public ones (convcore/capi.pxd).
from libc.stdint cimport int64_t, uint32_t

from convcore.capi cimport *

cdef extern from "convcore/capi.h" nogil:
    ctypedef struct cc_api_table:
        uint32_t api_version
    const cc_api_table *cc_api_get()

cdef extern from "dispatch.h" nogil:
    double cc_fma_peak_gflops(double seconds)
