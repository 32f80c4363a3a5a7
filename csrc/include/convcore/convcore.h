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
 * The entry points themselves, each documented, are listed in convcore_api.h, which this
 * header expands into prototypes (the same list makes capi.h's table).
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

/* ---------------------------------------------------------------- convolution */

typedef struct cc_conv2d_desc {
    int64_t stride_h, stride_w;                          /* >= 1 */
    int64_t pad_top, pad_bottom, pad_left, pad_right;    /* >= 0, zero padding */
    int64_t dilation_h, dilation_w;                      /* >= 1 */
    int64_t groups;                                      /* >= 1, divides C_in and C_out */
} cc_conv2d_desc;

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

/* The kernel slots of the dispatch table, for show_config(): X(ID, name) per slot, in
 * enum order. cc_kernel_name(CC_KERNEL_<ID>) names the kernel in the slot,
 * cc_kernel_slot_name(CC_KERNEL_<ID>) the slot ("name"). New slots go at the end. */
#define CC_KERNEL_SLOTS(X)                                                                   \
    X(GEMM_F32, gemm_f32)                                                                    \
    X(GEMM_F64, gemm_f64)                                                                    \
    X(DEPTHWISE_F32, depthwise_f32)                                                          \
    X(DEPTHWISE_F64, depthwise_f64)                                                          \
    X(MAX_POOL_F32, max_pool_f32)                                                            \
    X(MAX_POOL_F64, max_pool_f64)                                                            \
    X(AVG_POOL_F32, avg_pool_f32)                                                            \
    X(AVG_POOL_F64, avg_pool_f64)                                                            \
    X(WEIGHT_GRAD_F32, weight_grad_f32)                                                      \
    X(WEIGHT_GRAD_F64, weight_grad_f64)                                                      \
    X(WINOGRAD_F32, winograd_f32)                                                            \
    X(WINOGRAD2_F32, winograd2_f32)

/* CC_KERNEL_GEMM_F32 = 0, ..., CC_KERNEL_COUNT */
#define CC_KERNEL_ENUM_(id, name) CC_KERNEL_##id,
typedef enum cc_kernel { CC_KERNEL_SLOTS(CC_KERNEL_ENUM_) CC_KERNEL_COUNT } cc_kernel;
#undef CC_KERNEL_ENUM_

/* ------------------------------------------------------------ the entry points */

#ifndef CONVCORE_NO_PROTOTYPES
#define CC_API(ret, name, params, args) ret name params;
#include "convcore_api.h"
#undef CC_API
#endif

#ifdef __cplusplus
}
#endif

#endif /* CONVCORE_CONVCORE_H */
