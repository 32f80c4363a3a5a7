# Cython declarations of convcore's C API, for other packages:
#
#     from convcore cimport capi          # or: from convcore.capi cimport *
#     capi.import_convcore()              # once, at module import (needs the GIL)
#     ... with nogil: capi.cc_conv2d_f32(&desc, ...)
#
# The calls go through the table the installed convcore publishes (convcore/capi.h), so the
# extension needs convcore.get_include() on its include path and links against nothing.
from libc.stdint cimport int64_t, uint32_t

cdef extern from "convcore/capi.h" nogil:
    int CONVCORE_API_VERSION

    ctypedef enum cc_status:
        CC_OK
        CC_ERR_NULL_POINTER
        CC_ERR_BAD_RANK
        CC_ERR_BAD_SHAPE
        CC_ERR_BAD_STRIDE
        CC_ERR_BAD_PADDING
        CC_ERR_BAD_DILATION
        CC_ERR_BAD_GROUPS
        CC_ERR_CHANNEL_MISMATCH
        CC_ERR_BAD_KERNEL
        CC_ERR_EMPTY_OUTPUT
        CC_ERR_OVERFLOW
        CC_ERR_NO_MEMORY
        CC_ERR_POOL_PADDING
        CC_ERR_BAD_DIVISOR
        CC_ERR_BAD_THREADS
        CC_ERR_BAD_TARGET
        CC_ERR_BAD_INDEX

    ctypedef struct cc_conv2d_desc:
        int64_t stride_h, stride_w
        int64_t pad_top, pad_bottom, pad_left, pad_right
        int64_t dilation_h, dilation_w
        int64_t groups

    ctypedef struct cc_pool2d_desc:
        int64_t kernel_h, kernel_w
        int64_t stride_h, stride_w
        int64_t pad_top, pad_bottom, pad_left, pad_right
        int64_t dilation_h, dilation_w
        int ceil_mode
        int count_include_pad
        int64_t divisor_override

    int CC_TARGET_COUNT
    int CC_KERNEL_COUNT

    # BEGIN entry points: generated from convcore_api.h by tools/gen_capi.py
    const char *cc_status_string(cc_status status)
    cc_status cc_conv2d_output_size(const cc_conv2d_desc *desc, int64_t in_h, int64_t in_w,
                                    int64_t kernel_h, int64_t kernel_w, int64_t *out_h,
                                    int64_t *out_w)
    cc_status cc_conv2d_check(const cc_conv2d_desc *desc, const int64_t *x_shape,
                              const int64_t *w_shape, int64_t *out_shape)
    cc_status cc_conv2d_f32(const cc_conv2d_desc *desc, const float *x, const int64_t *x_shape,
                            const int64_t *x_strides, const float *w, const int64_t *w_shape,
                            const int64_t *w_strides, const float *bias, int64_t bias_stride,
                            float *y, int n_threads)
    cc_status cc_conv2d_f64(const cc_conv2d_desc *desc, const double *x,
                            const int64_t *x_shape, const int64_t *x_strides, const double *w,
                            const int64_t *w_shape, const int64_t *w_strides,
                            const double *bias, int64_t bias_stride, double *y, int n_threads)
    cc_status cc_conv2d_backward_f32(const cc_conv2d_desc *desc, const float *dy,
                                     const int64_t *dy_shape, const int64_t *dy_strides,
                                     const float *x, const int64_t *x_shape,
                                     const int64_t *x_strides, const float *w,
                                     const int64_t *w_shape, const int64_t *w_strides,
                                     float *dx, float *dw, float *db, int n_threads)
    cc_status cc_conv2d_backward_f64(const cc_conv2d_desc *desc, const double *dy,
                                     const int64_t *dy_shape, const int64_t *dy_strides,
                                     const double *x, const int64_t *x_shape,
                                     const int64_t *x_strides, const double *w,
                                     const int64_t *w_shape, const int64_t *w_strides,
                                     double *dx, double *dw, double *db, int n_threads)
    cc_status cc_pool2d_output_size(const cc_pool2d_desc *desc, int64_t in_h, int64_t in_w,
                                    int64_t *out_h, int64_t *out_w)
    cc_status cc_pool2d_check(const cc_pool2d_desc *desc, const int64_t *x_shape,
                              int64_t *out_shape)
    cc_status cc_max_pool2d_f32(const cc_pool2d_desc *desc, const float *x,
                                const int64_t *x_shape, const int64_t *x_strides, float *y,
                                int64_t *indices, int n_threads)
    cc_status cc_max_pool2d_f64(const cc_pool2d_desc *desc, const double *x,
                                const int64_t *x_shape, const int64_t *x_strides, double *y,
                                int64_t *indices, int n_threads)
    cc_status cc_avg_pool2d_f32(const cc_pool2d_desc *desc, const float *x,
                                const int64_t *x_shape, const int64_t *x_strides, float *y,
                                int n_threads)
    cc_status cc_avg_pool2d_f64(const cc_pool2d_desc *desc, const double *x,
                                const int64_t *x_shape, const int64_t *x_strides, double *y,
                                int n_threads)
    cc_status cc_max_pool2d_backward_f32(const float *dy, const int64_t *dy_shape,
                                         const int64_t *dy_strides, const int64_t *indices,
                                         const int64_t *idx_strides, const int64_t *x_shape,
                                         float *dx, int n_threads)
    cc_status cc_max_pool2d_backward_f64(const double *dy, const int64_t *dy_shape,
                                         const int64_t *dy_strides, const int64_t *indices,
                                         const int64_t *idx_strides, const int64_t *x_shape,
                                         double *dx, int n_threads)
    cc_status cc_avg_pool2d_backward_f32(const cc_pool2d_desc *desc, const float *dy,
                                         const int64_t *dy_shape, const int64_t *dy_strides,
                                         const int64_t *x_shape, float *dx, int n_threads)
    cc_status cc_avg_pool2d_backward_f64(const cc_pool2d_desc *desc, const double *dy,
                                         const int64_t *dy_shape, const int64_t *dy_strides,
                                         const int64_t *x_shape, double *dx, int n_threads)
    cc_status cc_global_avg_pool2d_f32(const float *x, const int64_t *x_shape,
                                       const int64_t *x_strides, float *y, int n_threads)
    cc_status cc_global_avg_pool2d_f64(const double *x, const int64_t *x_shape,
                                       const int64_t *x_strides, double *y, int n_threads)
    cc_status cc_global_max_pool2d_f32(const float *x, const int64_t *x_shape,
                                       const int64_t *x_strides, float *y, int n_threads)
    cc_status cc_global_max_pool2d_f64(const double *x, const int64_t *x_shape,
                                       const int64_t *x_strides, double *y, int n_threads)
    const char *cc_target_name(int target)
    int cc_target_compiled(int target)
    int cc_target_supported(int target)
    int cc_get_target()
    cc_status cc_set_target(int target)
    const char *cc_kernel_name(int kernel)
    const char *cc_cpu_features()
    int cc_openmp_enabled()
    int cc_max_threads()
    const char *cc_compiler()
    const char *cc_kernel_slot_name(int kernel)
    # END entry points


cdef extern from "convcore/capi.h":
    # Fetches the table from the installed convcore; raises ImportError (version mismatch,
    # convcore missing). Call once, with the GIL held, before any other function here.
    int import_convcore() except -1
