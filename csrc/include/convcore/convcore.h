/* convcore.h - the public C interface of convcore's compute core.
 *
 * Conventions (every entry point):
 *   - Returns a cc_status: CC_OK (0) on success, a unique negative code otherwise;
 *     cc_status_string() names each one. Nothing here prints, exits or aborts.
 *   - Tensors are NCHW. Shapes and strides are int64_t; strides count ELEMENTS (not
 *     bytes) and may be negative or zero (broadcast). Inputs are read through their
 *     strides and never written. Outputs are dense C-contiguous arrays whose shape the
 *     caller obtains from the matching *_output_size / *_check function.
 *   - Weights are (out_channels, in_channels / groups, kernel_h, kernel_w).
 *   - n_threads is explicit: > 0 uses exactly that many OpenMP threads, 0 means
 *     omp_get_max_threads() of the calling thread (so OMP_NUM_THREADS and
 *     threadpoolctl apply). The library never calls omp_set_num_threads. In a child
 *     process made by fork() every call runs on one thread (OpenMP's thread pool does
 *     not survive a fork).
 *   - Results do not depend on n_threads: every output element is computed by one
 *     thread in a fixed order, so any thread count gives bit-identical results.
 *   - float32 and float64 variants share semantics; the suffix names the type.
 *
 * Semantics follow torch.nn.functional (conv2d, max_pool2d, avg_pool2d).
 *
 * Linking: code that links the core directly includes this header. Python extension
 * modules of other packages include <convcore/capi.h> instead, which reaches the same
 * functions, under the same names, through the table that the installed convcore
 * publishes (see docs/embedding.md); they need not link against anything.
 */
#ifndef CONVCORE_CONVCORE_H
#define CONVCORE_CONVCORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a declaration below changes incompatibly. */
#define CONVCORE_API_VERSION 1

typedef enum cc_status {
    CC_OK = 0,
    CC_ERR_NULL_POINTER = -1,      /* a required pointer argument is NULL */
    CC_ERR_BAD_RANK = -2,          /* reserved for wrappers: wrong number of dimensions */
    CC_ERR_BAD_SHAPE = -3,         /* a dimension is negative, shapes do not match, or a
                                      max-pool input plane is empty */
    CC_ERR_BAD_STRIDE = -4,        /* stride < 1 */
    CC_ERR_BAD_PADDING = -5,       /* padding < 0 */
    CC_ERR_BAD_DILATION = -6,      /* dilation < 1 */
    CC_ERR_BAD_GROUPS = -7,        /* groups < 1 or not dividing the channel counts */
    CC_ERR_CHANNEL_MISMATCH = -8,  /* weight's in_channels * groups != input channels */
    CC_ERR_BAD_KERNEL = -9,        /* kernel size < 1 */
    CC_ERR_EMPTY_OUTPUT = -10,     /* computed output height or width < 1 */
    CC_ERR_OVERFLOW = -11,         /* a size or element count overflows int64 */
    CC_ERR_NO_MEMORY = -12,        /* workspace allocation failed */
    CC_ERR_POOL_PADDING = -13,     /* pooling padding greater than half the kernel */
    CC_ERR_BAD_DIVISOR = -14,      /* avg pooling divisor_override == 0 */
    CC_ERR_BAD_THREADS = -15,      /* n_threads < 0 */
    CC_ERR_BAD_TARGET = -16,       /* SIMD target unknown, not compiled or not supported */
    CC_ERR_BAD_INDEX = -17         /* reserved: an index outside its plane */
} cc_status;

/* Static string for a status; "unknown status" for values not listed above. */
const char *cc_status_string(cc_status status);

/* ---------------------------------------------------------------- convolution */

typedef struct cc_conv2d_desc {
    int64_t stride_h, stride_w;                          /* >= 1 */
    int64_t pad_top, pad_bottom, pad_left, pad_right;    /* >= 0, zero padding */
    int64_t dilation_h, dilation_w;                      /* >= 1 */
    int64_t groups;                                      /* >= 1, divides C_in and C_out */
} cc_conv2d_desc;

/* out = floor((in + pad_a + pad_b - dilation * (kernel - 1) - 1) / stride) + 1,
 * per axis. CC_ERR_EMPTY_OUTPUT when that is < 1. The one source of this formula. */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_conv2d_output_size(const cc_conv2d_desc *desc, int64_t in_h, int64_t in_w,
                                int64_t kernel_h, int64_t kernel_w,
                                int64_t *out_h, int64_t *out_w);
#endif

/* Validates a whole call: desc, x_shape (N, C_in, H, W), w_shape (C_out, C_in/groups,
 * kH, kW), and that every element count (input, weight, output, workspace) fits in
 * int64. On success writes out_shape (N, C_out, OH, OW). Zero-sized N or C_in are
 * valid (the output is then empty or all bias). */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_conv2d_check(const cc_conv2d_desc *desc, const int64_t x_shape[4],
                          const int64_t w_shape[4], int64_t out_shape[4]);
#endif

/* y = conv2d(x, w) + bias. bias may be NULL; bias_stride is its element stride.
 * y is C-contiguous with the shape given by cc_conv2d_check and must not overlap x,
 * w or bias. */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_conv2d_f32(const cc_conv2d_desc *desc,
                        const float *x, const int64_t x_shape[4], const int64_t x_strides[4],
                        const float *w, const int64_t w_shape[4], const int64_t w_strides[4],
                        const float *bias, int64_t bias_stride,
                        float *y, int n_threads);
cc_status cc_conv2d_f64(const cc_conv2d_desc *desc,
                        const double *x, const int64_t x_shape[4], const int64_t x_strides[4],
                        const double *w, const int64_t w_shape[4], const int64_t w_strides[4],
                        const double *bias, int64_t bias_stride,
                        double *y, int n_threads);
#endif

/* Gradients of y = conv2d(x, w) + bias given dy = dL/dy (shape (N, C_out, OH, OW) as
 * cc_conv2d_check gives; any strides). Each output pointer may be NULL to skip it:
 *   dx: C-contiguous, x's shape (needs w); dw: C-contiguous, w's shape (needs x);
 *   db: C_out contiguous elements.
 * dw and db are reduced over the batch in a fixed order: bit-identical for any n_threads.
 * CC_ERR_BAD_SHAPE when dy's shape is not the forward output's. */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_conv2d_backward_f32(const cc_conv2d_desc *desc,
                                 const float *dy, const int64_t dy_shape[4], const int64_t dy_strides[4],
                                 const float *x, const int64_t x_shape[4], const int64_t x_strides[4],
                                 const float *w, const int64_t w_shape[4], const int64_t w_strides[4],
                                 float *dx, float *dw, float *db, int n_threads);
cc_status cc_conv2d_backward_f64(const cc_conv2d_desc *desc,
                                 const double *dy, const int64_t dy_shape[4], const int64_t dy_strides[4],
                                 const double *x, const int64_t x_shape[4], const int64_t x_strides[4],
                                 const double *w, const int64_t w_shape[4], const int64_t w_strides[4],
                                 double *dx, double *dw, double *db, int n_threads);
#endif

/* ------------------------------------------------------------------- pooling */

typedef struct cc_pool2d_desc {
    int64_t kernel_h, kernel_w;                          /* >= 1 */
    int64_t stride_h, stride_w;                          /* >= 1 */
    int64_t pad_top, pad_bottom, pad_left, pad_right;    /* 0 <= pad <= kernel / 2 */
    int64_t dilation_h, dilation_w;                      /* >= 1; max pooling only (avg: 1) */
    int ceil_mode;                                       /* 0 floor, 1 ceil */
    int count_include_pad;                               /* avg pooling only */
    int64_t divisor_override;                            /* avg pooling only; 0 = none */
} cc_pool2d_desc;

/* out = floor_or_ceil((in + pad_a + pad_b - dilation * (kernel - 1) - 1) / stride) + 1;
 * with ceil_mode, a last window that would start at or past in + pad_a (entirely in
 * the trailing padding) is dropped. CC_ERR_EMPTY_OUTPUT when that is < 1. */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_pool2d_output_size(const cc_pool2d_desc *desc, int64_t in_h, int64_t in_w,
                                int64_t *out_h, int64_t *out_w);
#endif

/* Validates desc against x_shape (N, C, H, W); writes out_shape (N, C, OH, OW). */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_pool2d_check(const cc_pool2d_desc *desc, const int64_t x_shape[4],
                          int64_t out_shape[4]);
#endif

/* Max pooling; padding counts as -inf. NaN propagates: a window holding NaN gives NaN.
 * indices (may be NULL) receives, per output element, the flat position h * W + w of
 * the chosen element within its (n, c) plane; ties go to the first in row-major order.
 * An input with H or W = 0 has no element to choose: CC_ERR_BAD_SHAPE when padding
 * would give it an output (with N or C = 0 the output is empty and the call succeeds). */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_max_pool2d_f32(const cc_pool2d_desc *desc,
                            const float *x, const int64_t x_shape[4], const int64_t x_strides[4],
                            float *y, int64_t *indices, int n_threads);
cc_status cc_max_pool2d_f64(const cc_pool2d_desc *desc,
                            const double *x, const int64_t x_shape[4], const int64_t x_strides[4],
                            double *y, int64_t *indices, int n_threads);
#endif

/* Average pooling with torch's divisor rules (count_include_pad, divisor_override). */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_avg_pool2d_f32(const cc_pool2d_desc *desc,
                            const float *x, const int64_t x_shape[4], const int64_t x_strides[4],
                            float *y, int n_threads);
cc_status cc_avg_pool2d_f64(const cc_pool2d_desc *desc,
                            const double *x, const int64_t x_shape[4], const int64_t x_strides[4],
                            double *y, int n_threads);
#endif

/* Max pooling gradient: dx (C-contiguous, x_shape) = 0, then dx[n, c].flat[idx] += dy for
 * every output element, idx taken from indices (as cc_max_pool2d wrote them; any strides,
 * dy's shape). An index outside [0, H * W) is skipped and gives CC_ERR_BAD_INDEX. */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_max_pool2d_backward_f32(const float *dy, const int64_t dy_shape[4],
                                     const int64_t dy_strides[4], const int64_t *indices,
                                     const int64_t idx_strides[4], const int64_t x_shape[4],
                                     float *dx, int n_threads);
cc_status cc_max_pool2d_backward_f64(const double *dy, const int64_t dy_shape[4],
                                     const int64_t dy_strides[4], const int64_t *indices,
                                     const int64_t idx_strides[4], const int64_t x_shape[4],
                                     double *dx, int n_threads);
#endif

/* Average pooling gradient: each dy element, divided by its window's divisor (the forward
 * rule), is added to the window's in-bounds input positions. dx is C-contiguous. */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_avg_pool2d_backward_f32(const cc_pool2d_desc *desc, const float *dy,
                                     const int64_t dy_shape[4], const int64_t dy_strides[4],
                                     const int64_t x_shape[4], float *dx, int n_threads);
cc_status cc_avg_pool2d_backward_f64(const cc_pool2d_desc *desc, const double *dy,
                                     const int64_t dy_shape[4], const int64_t dy_strides[4],
                                     const int64_t x_shape[4], double *dx, int n_threads);
#endif

/* Global pooling over each (n, c) plane; y has N * C elements ((N, C, 1, 1)).
 * H * W must be >= 1. Global max propagates NaN. */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_global_avg_pool2d_f32(const float *x, const int64_t x_shape[4],
                                   const int64_t x_strides[4], float *y, int n_threads);
cc_status cc_global_avg_pool2d_f64(const double *x, const int64_t x_shape[4],
                                   const int64_t x_strides[4], double *y, int n_threads);
cc_status cc_global_max_pool2d_f32(const float *x, const int64_t x_shape[4],
                                   const int64_t x_strides[4], float *y, int n_threads);
cc_status cc_global_max_pool2d_f64(const double *x, const int64_t x_shape[4],
                                   const int64_t x_strides[4], double *y, int n_threads);
#endif

/* ------------------------------------------------------- configuration / info */

/* SIMD targets. A target is usable when it was compiled in AND the CPU and OS
 * support it (cpuid + xgetbv). The environment variable CONVCORE_CPU_TARGET
 * (base|avx2|avx512) caps the choice made at initialisation; it never raises it. */
typedef enum cc_target {
    CC_TARGET_BASE = 0,      /* the platform baseline: SSE2 on x86-64, NEON on aarch64 */
    CC_TARGET_AVX2 = 1,      /* AVX2 + FMA */
    CC_TARGET_AVX512 = 2,    /* AVX-512 F/BW/DQ/VL */
    CC_TARGET_COUNT = 3
} cc_target;

/* Short name of a target ("base", "avx2", "avx512"), or NULL. */
const char *cc_target_name(int target);
/* 1 when the target's kernels were compiled into this build. */
#ifndef CONVCORE_NO_PROTOTYPES
int cc_target_compiled(int target);
#endif
/* 1 when this CPU and OS can run the target. */
#ifndef CONVCORE_NO_PROTOTYPES
int cc_target_supported(int target);
#endif
/* The target whose kernels are in use now. */
#ifndef CONVCORE_NO_PROTOTYPES
int cc_get_target(void);
#endif
/* Switches the kernels in use. For tests and benchmarks: not safe while another
 * thread is inside convcore. CC_ERR_BAD_TARGET when not compiled or not supported. */
#ifndef CONVCORE_NO_PROTOTYPES
cc_status cc_set_target(int target);
#endif

/* Kernels that the dispatch table holds, for show_config(). */
typedef enum cc_kernel {
    CC_KERNEL_GEMM_F32 = 0,
    CC_KERNEL_GEMM_F64 = 1,
    CC_KERNEL_DEPTHWISE_F32 = 2,
    CC_KERNEL_DEPTHWISE_F64 = 3,
    CC_KERNEL_MAX_POOL_F32 = 4,
    CC_KERNEL_MAX_POOL_F64 = 5,
    CC_KERNEL_AVG_POOL_F32 = 6,
    CC_KERNEL_AVG_POOL_F64 = 7,
    CC_KERNEL_WEIGHT_GRAD_F32 = 8,
    CC_KERNEL_WEIGHT_GRAD_F64 = 9,
    CC_KERNEL_WINOGRAD_F32 = 10,
    CC_KERNEL_WINOGRAD2_F32 = 11,
    CC_KERNEL_COUNT = 12
} cc_kernel;

/* Name of the kernel currently selected for that slot, e.g. "gemm_f32_8x32__avx512". */
const char *cc_kernel_name(int kernel);

/* Comma-separated CPU features detected ("sse2,avx,avx2,fma,avx512f,..."). */
const char *cc_cpu_features(void);
/* 1 when compiled with OpenMP. */
#ifndef CONVCORE_NO_PROTOTYPES
int cc_openmp_enabled(void);
#endif
/* omp_get_max_threads() of the calling thread (1 without OpenMP). */
#ifndef CONVCORE_NO_PROTOTYPES
int cc_max_threads(void);
#endif
/* Compiler that built the core, e.g. "gcc 12.2.0". */
const char *cc_compiler(void);

#ifdef __cplusplus
}
#endif

#endif /* CONVCORE_CONVCORE_H */
