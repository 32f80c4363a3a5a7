# Declarations the wrapper needs beyond the public ones (convcore/capi.pxd).
from libc.stdint cimport int64_t, uint32_t

from convcore.capi cimport *

cdef extern from "convcore/capi.h" nogil:
    ctypedef struct cc_api_table:
        uint32_t api_version
    const cc_api_table *cc_api_get()

cdef extern from "dispatch.h" nogil:
    double cc_fma_peak_gflops(double seconds)
    int cc_gemm_tail_rows()

cdef extern from "winograd.h" nogil:
    ctypedef struct cc_wino_cache:
        int64_t *state
        float *w
        float *u
        int64_t w_elems, u_elems
    int64_t cc_winograd_filter_elems(const int64_t ws[4])
    int cc_winograd_tile(const cc_conv2d_desc *d, const int64_t xs[4], const int64_t ws[4],
                         const int64_t ys[4])
    cc_status cc_conv2d_cached_f32(const cc_conv2d_desc *desc, const float *x,
                                   const int64_t x_shape[4], const int64_t x_strides[4],
                                   const float *w, const int64_t w_shape[4],
                                   const int64_t w_strides[4], const float *bias,
                                   int64_t bias_stride, float *y, int n_threads,
                                   cc_wino_cache *cache)
