/* convcore_api.h - THE list of convcore's C entry points, each with its documentation, in
 * the order of the API table (capi.h), which is part of the ABI: new entry points go at the
 * end. One line per function:
 *     CC_API(return type, name, (parameters), (argument names))
 * The includer defines CC_API and includes this file; it is expanded into
 *   - the prototypes of convcore.h,
 *   - the members of cc_api_table and the client functions of capi.h,
 *   - the table itself in csrc/capi.c;
 * and src/convcore/capi.pxd's declarations are generated from it by tools/gen_capi.py
 * (tests/test_capi_list.py checks that they match). Types, status codes and conventions
 * are in convcore.h. No include guard: it is meant to be expanded more than once. */

/* Static string for a status; "unknown status" for values not listed above. */
CC_API(const char *, cc_status_string, (cc_status status), (status))

/* ---------------------------------------------------------------- convolution */

/* out = floor((in + pad_a + pad_b - dilation * (kernel - 1) - 1) / stride) + 1,
 * per axis. CC_ERR_EMPTY_OUTPUT when that is < 1. The one source of this formula. */
CC_API(cc_status, cc_conv2d_output_size,
       (const cc_conv2d_desc *desc, int64_t in_h, int64_t in_w, int64_t kernel_h,
        int64_t kernel_w, int64_t *out_h, int64_t *out_w),
       (desc, in_h, in_w, kernel_h, kernel_w, out_h, out_w))

/* Validates a whole call: desc, x_shape (N, C_in, H, W), w_shape (C_out, C_in/groups,
 * kH, kW), and that every element count (input, weight, output, workspace) fits in
 * int64. On success writes out_shape (N, C_out, OH, OW). Zero-sized N or C_in are
 * valid (the output is then empty or all bias). */
CC_API(cc_status, cc_conv2d_check,
       (const cc_conv2d_desc *desc, const int64_t x_shape[4], const int64_t w_shape[4],
        int64_t out_shape[4]),
       (desc, x_shape, w_shape, out_shape))

/* y = conv2d(x, w) + bias. bias may be NULL; bias_stride is its element stride.
 * y is C-contiguous with the shape given by cc_conv2d_check and must not overlap x,
 * w or bias. */
CC_API(cc_status, cc_conv2d_f32,
       (const cc_conv2d_desc *desc, const float *x, const int64_t x_shape[4],
        const int64_t x_strides[4], const float *w, const int64_t w_shape[4],
        const int64_t w_strides[4], const float *bias, int64_t bias_stride, float *y,
        int n_threads),
       (desc, x, x_shape, x_strides, w, w_shape, w_strides, bias, bias_stride, y, n_threads))
CC_API(cc_status, cc_conv2d_f64,
       (const cc_conv2d_desc *desc, const double *x, const int64_t x_shape[4],
        const int64_t x_strides[4], const double *w, const int64_t w_shape[4],
        const int64_t w_strides[4], const double *bias, int64_t bias_stride, double *y,
        int n_threads),
       (desc, x, x_shape, x_strides, w, w_shape, w_strides, bias, bias_stride, y, n_threads))

/* Gradients of y = conv2d(x, w) + bias given dy = dL/dy (shape (N, C_out, OH, OW) as
 * cc_conv2d_check gives; any strides). Each output pointer may be NULL to skip it:
 *   dx: C-contiguous, x's shape (needs w); dw: C-contiguous, w's shape (needs x);
 *   db: C_out contiguous elements.
 * dw and db are reduced over the batch in a fixed order: bit-identical for any n_threads.
 * CC_ERR_BAD_SHAPE when dy's shape is not the forward output's. */
CC_API(cc_status, cc_conv2d_backward_f32,
       (const cc_conv2d_desc *desc, const float *dy, const int64_t dy_shape[4],
        const int64_t dy_strides[4], const float *x, const int64_t x_shape[4],
        const int64_t x_strides[4], const float *w, const int64_t w_shape[4],
        const int64_t w_strides[4], float *dx, float *dw, float *db, int n_threads),
       (desc, dy, dy_shape, dy_strides, x, x_shape, x_strides, w, w_shape, w_strides, dx, dw,
        db, n_threads))
CC_API(cc_status, cc_conv2d_backward_f64,
       (const cc_conv2d_desc *desc, const double *dy, const int64_t dy_shape[4],
        const int64_t dy_strides[4], const double *x, const int64_t x_shape[4],
        const int64_t x_strides[4], const double *w, const int64_t w_shape[4],
        const int64_t w_strides[4], double *dx, double *dw, double *db, int n_threads),
       (desc, dy, dy_shape, dy_strides, x, x_shape, x_strides, w, w_shape, w_strides, dx, dw,
        db, n_threads))

/* ------------------------------------------------------------------- pooling */

/* out = floor_or_ceil((in + pad_a + pad_b - dilation * (kernel - 1) - 1) / stride) + 1;
 * with ceil_mode, a last window that would start at or past in + pad_a (entirely in
 * the trailing padding) is dropped. CC_ERR_EMPTY_OUTPUT when that is < 1. */
CC_API(cc_status, cc_pool2d_output_size,
       (const cc_pool2d_desc *desc, int64_t in_h, int64_t in_w, int64_t *out_h, int64_t *out_w),
       (desc, in_h, in_w, out_h, out_w))

/* Validates desc against x_shape (N, C, H, W); writes out_shape (N, C, OH, OW). */
CC_API(cc_status, cc_pool2d_check,
       (const cc_pool2d_desc *desc, const int64_t x_shape[4], int64_t out_shape[4]),
       (desc, x_shape, out_shape))

/* Max pooling; padding counts as -inf. NaN propagates: a window holding NaN gives NaN.
 * indices (may be NULL) receives, per output element, the flat position h * W + w of
 * the chosen element within its (n, c) plane; ties go to the first in row-major order.
 * An input with H or W = 0 has no element to choose: CC_ERR_BAD_SHAPE when padding
 * would give it an output (with N or C = 0 the output is empty and the call succeeds). */
CC_API(cc_status, cc_max_pool2d_f32,
       (const cc_pool2d_desc *desc, const float *x, const int64_t x_shape[4],
        const int64_t x_strides[4], float *y, int64_t *indices, int n_threads),
       (desc, x, x_shape, x_strides, y, indices, n_threads))
CC_API(cc_status, cc_max_pool2d_f64,
       (const cc_pool2d_desc *desc, const double *x, const int64_t x_shape[4],
        const int64_t x_strides[4], double *y, int64_t *indices, int n_threads),
       (desc, x, x_shape, x_strides, y, indices, n_threads))

/* Average pooling with torch's divisor rules (count_include_pad, divisor_override). */
CC_API(cc_status, cc_avg_pool2d_f32,
       (const cc_pool2d_desc *desc, const float *x, const int64_t x_shape[4],
        const int64_t x_strides[4], float *y, int n_threads),
       (desc, x, x_shape, x_strides, y, n_threads))
CC_API(cc_status, cc_avg_pool2d_f64,
       (const cc_pool2d_desc *desc, const double *x, const int64_t x_shape[4],
        const int64_t x_strides[4], double *y, int n_threads),
       (desc, x, x_shape, x_strides, y, n_threads))

/* Max pooling gradient: dx (C-contiguous, x_shape) = 0, then dx[n, c].flat[idx] += dy for
 * every output element, idx taken from indices (as cc_max_pool2d wrote them; any strides,
 * dy's shape). An index outside [0, H * W) is skipped and gives CC_ERR_BAD_INDEX. */
CC_API(cc_status, cc_max_pool2d_backward_f32,
       (const float *dy, const int64_t dy_shape[4], const int64_t dy_strides[4],
        const int64_t *indices, const int64_t idx_strides[4], const int64_t x_shape[4],
        float *dx, int n_threads),
       (dy, dy_shape, dy_strides, indices, idx_strides, x_shape, dx, n_threads))
CC_API(cc_status, cc_max_pool2d_backward_f64,
       (const double *dy, const int64_t dy_shape[4], const int64_t dy_strides[4],
        const int64_t *indices, const int64_t idx_strides[4], const int64_t x_shape[4],
        double *dx, int n_threads),
       (dy, dy_shape, dy_strides, indices, idx_strides, x_shape, dx, n_threads))

/* Average pooling gradient: each dy element, divided by its window's divisor (the forward
 * rule), is added to the window's in-bounds input positions. dx is C-contiguous. */
CC_API(cc_status, cc_avg_pool2d_backward_f32,
       (const cc_pool2d_desc *desc, const float *dy, const int64_t dy_shape[4],
        const int64_t dy_strides[4], const int64_t x_shape[4], float *dx, int n_threads),
       (desc, dy, dy_shape, dy_strides, x_shape, dx, n_threads))
CC_API(cc_status, cc_avg_pool2d_backward_f64,
       (const cc_pool2d_desc *desc, const double *dy, const int64_t dy_shape[4],
        const int64_t dy_strides[4], const int64_t x_shape[4], double *dx, int n_threads),
       (desc, dy, dy_shape, dy_strides, x_shape, dx, n_threads))

/* Global pooling over each (n, c) plane; y has N * C elements ((N, C, 1, 1)).
 * H * W must be >= 1. Global max propagates NaN. */
CC_API(cc_status, cc_global_avg_pool2d_f32,
       (const float *x, const int64_t x_shape[4], const int64_t x_strides[4], float *y,
        int n_threads),
       (x, x_shape, x_strides, y, n_threads))
CC_API(cc_status, cc_global_avg_pool2d_f64,
       (const double *x, const int64_t x_shape[4], const int64_t x_strides[4], double *y,
        int n_threads),
       (x, x_shape, x_strides, y, n_threads))
CC_API(cc_status, cc_global_max_pool2d_f32,
       (const float *x, const int64_t x_shape[4], const int64_t x_strides[4], float *y,
        int n_threads),
       (x, x_shape, x_strides, y, n_threads))
CC_API(cc_status, cc_global_max_pool2d_f64,
       (const double *x, const int64_t x_shape[4], const int64_t x_strides[4], double *y,
        int n_threads),
       (x, x_shape, x_strides, y, n_threads))

/* ------------------------------------------------------- configuration / info */

/* Short name of a target ("base", "avx2", "avx512"), or NULL. */
CC_API(const char *, cc_target_name, (int target), (target))

/* 1 when the target's kernels were compiled into this build. */
CC_API(int, cc_target_compiled, (int target), (target))

/* 1 when this CPU and OS can run the target. */
CC_API(int, cc_target_supported, (int target), (target))

/* The target whose kernels are in use now. */
CC_API(int, cc_get_target, (void), ())

/* Switches the kernels in use. For tests and benchmarks: not safe while another
 * thread is inside convcore. CC_ERR_BAD_TARGET when not compiled or not supported. */
CC_API(cc_status, cc_set_target, (int target), (target))

/* Name of the kernel currently selected for that slot, e.g. "gemm_f32_8x32__avx512". */
CC_API(const char *, cc_kernel_name, (int kernel), (kernel))

/* Comma-separated CPU features detected ("sse2,avx,avx2,fma,avx512f,..."). */
CC_API(const char *, cc_cpu_features, (void), ())

/* 1 when compiled with OpenMP. */
CC_API(int, cc_openmp_enabled, (void), ())

/* omp_get_max_threads() of the calling thread (1 without OpenMP). */
CC_API(int, cc_max_threads, (void), ())

/* Compiler that built the core, e.g. "gcc 12.2.0". */
CC_API(const char *, cc_compiler, (void), ())

/* Name of a kernel slot (the lower-case cc_kernel name: "gemm_f32" for
 * CC_KERNEL_GEMM_F32), or NULL outside [0, CC_KERNEL_COUNT). Added in version 1 after the
 * entries above. */
CC_API(const char *, cc_kernel_slot_name, (int kernel), (kernel))
