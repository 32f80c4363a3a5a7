/* simd_base.h - the baseline target's vector vocabulary, part 1: SSE2 intrinsics on
 * x86-64 and NEON on aarch64 (both always present there), portable C elsewhere
 * (CC_BASE_SIMD is then undefined); its GEMM tiles and register count, and the partial
 * load/store helpers. Included once, by target_base.c (compiled with the platform's
 * default flags). */
#ifndef CONVCORE_SIMD_BASE_H
#define CONVCORE_SIMD_BASE_H
#include <math.h>

#include "../dispatch.h"

#define CC_TARGET base
#define CC_TARGET_ID CC_TARGET_BASE
#define CC_VBYTES 16

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define CC_BASE_SSE2 1
#include <emmintrin.h>
#elif defined(__aarch64__) || defined(_M_ARM64)
#define CC_BASE_NEON 1
#include <arm_neon.h>
#endif

/* GEMM tiles. SSE2: 16 registers, 6 rows x 2 vectors (12 accumulators). NEON (aarch64):
 * 32 registers, 8 rows x 3 vectors (24 accumulators). */
#if defined(CC_BASE_NEON)
#define CC_MR_F32 8
#define CC_VW_F32 4
#define CC_NR_F32 12
#define CC_NV_F32 3
#define CC_MR_F64 8
#define CC_VW_F64 2
#define CC_NR_F64 6
#define CC_NV_F64 3
#elif defined(CC_BASE_SSE2)
#define CC_MR_F32 6
#define CC_VW_F32 4
#define CC_NR_F32 8
#define CC_NV_F32 2
#define CC_MR_F64 6
#define CC_VW_F64 2
#define CC_NR_F64 4
#define CC_NV_F64 2
#else
#define CC_MR_F32 4
#define CC_VW_F32 4
#define CC_NR_F32 8
#define CC_NV_F32 2
#define CC_MR_F64 4
#define CC_VW_F64 2
#define CC_NR_F64 4
#define CC_NV_F64 2
#endif
#define CC_NVW_F32 CC_NV_F32
#define CC_MR_WIDE_F32 CC_MR_F32
#define CC_NVW_F64 CC_NV_F64
#define CC_MR_WIDE_F64 CC_MR_F64

#if defined(CC_BASE_SSE2) || defined(CC_BASE_NEON)
#define CC_BASE_SIMD 1
#endif
#if defined(CC_BASE_NEON)
#define CC_VREGS 32 /* vector registers (the weight-gradient blocks are sized by them) */
#elif defined(CC_BASE_SSE2)
#define CC_VREGS 16
#endif

#if defined(CC_BASE_SIMD)
/* No masked loads and stores at this level: a mask is a lane count, and the partial
 * accesses (tile edges only) go through a small buffer. */
#define CC_PARTIAL(T, V, vw, load, store)                                                    \
    CC_INLINE V CC_CAT(cc_loadn_, T)(const T *p, int cnt)                                   \
    {                                                                                        \
        T tmp[vw] = {0};                                                                     \
        for (int l = 0; l < cnt && l < (vw); ++l) tmp[l] = p[l];                             \
        return load(tmp);                                                                    \
    }                                                                                        \
    CC_INLINE void CC_CAT(cc_storen_, T)(T *p, int cnt, V v)                                \
    {                                                                                        \
        T tmp[vw];                                                                           \
        store(tmp, v);                                                                       \
        for (int l = 0; l < cnt && l < (vw); ++l) p[l] = tmp[l];                             \
    }
#if defined(CC_BASE_SSE2)
CC_PARTIAL(float, __m128, 4, _mm_loadu_ps, _mm_storeu_ps)
CC_PARTIAL(double, __m128d, 2, _mm_loadu_pd, _mm_storeu_pd)
#else
CC_PARTIAL(float, float32x4_t, 4, vld1q_f32, vst1q_f32)
CC_PARTIAL(double, float64x2_t, 2, vld1q_f64, vst1q_f64)
#endif
#undef CC_PARTIAL
#endif

#endif
