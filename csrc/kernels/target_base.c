/* target_base.c - kernels for the platform baseline: the GEMM kernels with SSE2 intrinsics
 * on x86-64 and NEON intrinsics on aarch64 (both always present there), portable C
 * elsewhere; the plane kernels are the generic C ones. */
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

#include "planes_generic.inc.c"

#if defined(CC_BASE_NEON)
#define CC_WG_REGS 32 /* vector registers, for the weight-gradient blocks */
#elif defined(CC_BASE_SSE2)
#define CC_WG_REGS 16
#endif

#if defined(CC_BASE_SSE2) || defined(CC_BASE_NEON)
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

#define TYPE float
#define TYPE_SUFFIX f32
#define MR CC_MR_F32
#define CC_NVMAX CC_NV_F32
#define CC_NVWIDE CC_NV_F32
#define CC_MRMAX MR
#define CC_MR_NV(nv) MR
#define CC_VW 4
#define CC_M int
#define CC_MASK(cnt) (cnt)
#define CC_VLOADM(p, m) cc_loadn_float(p, m)
#define CC_VSTOREM(p, m, v) cc_storen_float(p, m, v)
#if defined(CC_BASE_SSE2)
#define CC_V __m128
#define CC_VLOAD(p) _mm_loadu_ps(p)
#define CC_VSTORE(p, v) _mm_storeu_ps(p, v)
#define CC_VFMA(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c) /* no FMA in SSE2 */
#define CC_VSET1(x) _mm_set1_ps(x)
#define CC_VZERO() _mm_setzero_ps()
#define CC_VTRANSPOSE(r) _MM_TRANSPOSE4_PS((r)[0], (r)[1], (r)[2], (r)[3])
#else
#define CC_V float32x4_t
#define CC_VLOAD(p) vld1q_f32(p)
#define CC_VSTORE(p, v) vst1q_f32(p, v)
#define CC_VFMA(a, b, c) vfmaq_f32(c, a, b)
#define CC_VSET1(x) vdupq_n_f32(x)
#define CC_VZERO() vdupq_n_f32(0.0f)
#endif
#include "gemm_simd.template.c"
#include "wgrad_simd.template.c"
#include "winograd_simd.template.c"
#include "simd_vocab_undef.h"

#define TYPE double
#define TYPE_SUFFIX f64
#define MR CC_MR_F64
#define CC_NVMAX CC_NV_F64
#define CC_NVWIDE CC_NV_F64
#define CC_MRMAX MR
#define CC_MR_NV(nv) MR
#define CC_VW 2
#define CC_M int
#define CC_MASK(cnt) (cnt)
#define CC_VLOADM(p, m) cc_loadn_double(p, m)
#define CC_VSTOREM(p, m, v) cc_storen_double(p, m, v)
#if defined(CC_BASE_SSE2)
#define CC_V __m128d
#define CC_VLOAD(p) _mm_loadu_pd(p)
#define CC_VSTORE(p, v) _mm_storeu_pd(p, v)
#define CC_VFMA(a, b, c) _mm_add_pd(_mm_mul_pd(a, b), c)
#define CC_VSET1(x) _mm_set1_pd(x)
#define CC_VZERO() _mm_setzero_pd()
#else
#define CC_V float64x2_t
#define CC_VLOAD(p) vld1q_f64(p)
#define CC_VSTORE(p, v) vst1q_f64(p, v)
#define CC_VFMA(a, b, c) vfmaq_f64(c, a, b)
#define CC_VSET1(x) vdupq_n_f64(x)
#define CC_VZERO() vdupq_n_f64(0.0)
#endif
#include "gemm_simd.template.c"
#include "wgrad_simd.template.c"
#include "simd_vocab_undef.h"

#else /* portable C */

#define TYPE float
#define TYPE_SUFFIX f32
#define MR CC_MR_F32
#define CC_VW CC_VW_F32
#define CC_NVMAX CC_NV_F32
#define CC_NVWIDE CC_NV_F32
#include "gemm_generic.template.c"
#include "simd_vocab_undef.h"

#define TYPE double
#define TYPE_SUFFIX f64
#define MR CC_MR_F64
#define CC_VW CC_VW_F64
#define CC_NVMAX CC_NV_F64
#define CC_NVWIDE CC_NV_F64
#include "gemm_generic.template.c"
#include "simd_vocab_undef.h"

#endif

#include "target.inc.c"
