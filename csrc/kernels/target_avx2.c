/* target_avx2.c - kernels for AVX2 + FMA (compiled with -mavx2 -mfma or /arch:AVX2). */
#include <immintrin.h>

#include "../dispatch.h"

#define CC_TARGET avx2
#define CC_TARGET_ID CC_TARGET_AVX2
#define CC_VBYTES 32

/* GEMM tiles: 6 rows x 2 vectors (12 accumulators of 16 registers). */
#define CC_MR_F32 6
#define CC_VW_F32 8
#define CC_NR_F32 16
#define CC_NV_F32 2
#define CC_MR_F64 6
#define CC_VW_F64 4
#define CC_NR_F64 8
#define CC_NV_F64 2

#define TYPE float
#define TYPE_SUFFIX f32
#define MR CC_MR_F32
#define CC_NVMAX CC_NV_F32
#define CC_V __m256
#define CC_VW 8
#define CC_M __m256i
#define CC_MASK(cnt) \
    _mm256_cmpgt_epi32(_mm256_set1_epi32(cnt), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define CC_VLOAD(p) _mm256_loadu_ps(p)
#define CC_VLOADM(p, m) _mm256_maskload_ps(p, m)
#define CC_VSTORE(p, v) _mm256_storeu_ps(p, v)
#define CC_VSTOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
#define CC_VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define CC_VSET1(x) _mm256_set1_ps(x)
#define CC_VZERO() _mm256_setzero_ps()
#include "gemm_simd.template.c"
#include "simd_vocab_undef.h"

#define TYPE double
#define TYPE_SUFFIX f64
#define MR CC_MR_F64
#define CC_NVMAX CC_NV_F64
#define CC_V __m256d
#define CC_VW 4
#define CC_M __m256i
#define CC_MASK(cnt) _mm256_cmpgt_epi64(_mm256_set1_epi64x(cnt), _mm256_setr_epi64x(0, 1, 2, 3))
#define CC_VLOAD(p) _mm256_loadu_pd(p)
#define CC_VLOADM(p, m) _mm256_maskload_pd(p, m)
#define CC_VSTORE(p, v) _mm256_storeu_pd(p, v)
#define CC_VSTOREM(p, m, v) _mm256_maskstore_pd(p, m, v)
#define CC_VFMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define CC_VSET1(x) _mm256_set1_pd(x)
#define CC_VZERO() _mm256_setzero_pd()
#include "gemm_simd.template.c"
#include "simd_vocab_undef.h"

#include "target.inc.c"
