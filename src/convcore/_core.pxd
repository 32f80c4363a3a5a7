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
    void cc_set_winograd(int enabled)
    int cc_get_winograd()
    int64_t cc_winograd_filter_elems(const int64_t *ws)
    int cc_winograd_tile(const cc_conv2d_desc *d, const int64_t *xs, const int64_t *ws,
                         const int64_t *ys)

# The drivers after the check (checked.h): the wrapper checks each call once.
cdef extern from "checked.h" nogil:
    cc_status cc_conv2d_checked_f32(const cc_conv2d_desc *desc, const float *x,
                                    const int64_t *x_shape, const int64_t *x_strides,
                                    const float *w, const int64_t *w_shape,
                                    const int64_t *w_strides, const float *bias,
                                    int64_t bias_stride, float *y, const int64_t *ys,
                                    int n_threads, cc_wino_cache *cache)
    cc_status cc_conv2d_checked_f64(const cc_conv2d_desc *desc, const double *x,
                                    const int64_t *x_shape, const int64_t *x_strides,
                                    const double *w, const int64_t *w_shape,
                                    const int64_t *w_strides, const double *bias,
                                    int64_t bias_stride, double *y, const int64_t *ys,
                                    int n_threads, cc_wino_cache *cache)
    cc_status cc_max_pool2d_checked_f32(const cc_pool2d_desc *desc, const float *x,
                                        const int64_t *x_shape, const int64_t *x_strides,
                                        const int64_t *ys, float *y, int64_t *indices,
                                        int n_threads)
    cc_status cc_max_pool2d_checked_f64(const cc_pool2d_desc *desc, const double *x,
                                        const int64_t *x_shape, const int64_t *x_strides,
                                        const int64_t *ys, double *y, int64_t *indices,
                                        int n_threads)
    cc_status cc_avg_pool2d_checked_f32(const cc_pool2d_desc *desc, const float *x,
                                        const int64_t *x_shape, const int64_t *x_strides,
                                        const int64_t *ys, float *y, int n_threads)
    cc_status cc_avg_pool2d_checked_f64(const cc_pool2d_desc *desc, const double *x,
                                        const int64_t *x_shape, const int64_t *x_strides,
                                        const int64_t *ys, double *y, int n_threads)
    cc_status cc_conv2d_backward_checked_f32(const cc_conv2d_desc *desc, const float *dy,
                                             const int64_t *dy_shape, const int64_t *dy_strides,
                                             const float *x, const int64_t *x_shape,
                                             const int64_t *x_strides, const float *w,
                                             const int64_t *w_shape, const int64_t *w_strides,
                                             const int64_t *ys, float *dx, float *dw,
                                             float *db, int n_threads)
    cc_status cc_conv2d_backward_checked_f64(const cc_conv2d_desc *desc, const double *dy,
                                             const int64_t *dy_shape, const int64_t *dy_strides,
                                             const double *x, const int64_t *x_shape,
                                             const int64_t *x_strides, const double *w,
                                             const int64_t *w_shape, const int64_t *w_strides,
                                             const int64_t *ys, double *dx, double *dw,
                                             double *db, int n_threads)
    cc_status cc_avg_pool2d_backward_checked_f32(const cc_pool2d_desc *desc, const float *dy,
                                                 const int64_t *dy_shape,
                                                 const int64_t *dy_strides,
                                                 const int64_t *x_shape, const int64_t *ys,
                                                 float *dx, int n_threads)
    cc_status cc_avg_pool2d_backward_checked_f64(const cc_pool2d_desc *desc, const double *dy,
                                                 const int64_t *dy_shape,
                                                 const int64_t *dy_strides,
                                                 const int64_t *x_shape, const int64_t *ys,
                                                 double *dx, int n_threads)
