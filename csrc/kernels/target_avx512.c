/* target_avx512.c - kernels for AVX-512 F/BW/DQ/VL (compiled with -mavx512f -mavx512bw
 * -mavx512dq -mavx512vl or /arch:AVX512). */
#include <immintrin.h>

#include "../dispatch.h"

#define CC_TARGET avx512
#define CC_TARGET_ID CC_TARGET_AVX512
#define CC_VBYTES 64

/* GEMM tiles: 8 rows x 3 vectors (24 accumulators of 32 registers); 8 divides the usual
 * channel counts, and narrower tiles (1, 2 vectors) take a row's last columns. */
#define CC_MR_F32 8
#define CC_VW_F32 16
#define CC_NR_F32 48
#define CC_NV_F32 3
#define CC_MR_F64 8
#define CC_VW_F64 8
#define CC_NR_F64 24
#define CC_NV_F64 3

#define TYPE float
#define TYPE_SUFFIX f32
#define MR CC_MR_F32
#define CC_NVMAX CC_NV_F32
#define CC_V __m512
#define CC_VW 16
#define CC_M __mmask16
#define CC_MASK(cnt) ((__mmask16)((1u << (cnt)) - 1u))
#define CC_VLOAD(p) _mm512_loadu_ps(p)
#define CC_VLOADM(p, m) _mm512_maskz_loadu_ps(m, p)
#define CC_VSTORE(p, v) _mm512_storeu_ps(p, v)
#define CC_VSTOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define CC_VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define CC_VSET1(x) _mm512_set1_ps(x)
#define CC_VZERO() _mm512_setzero_ps()
#include "gemm_simd.template.c"
#include "simd_vocab_undef.h"

#define TYPE double
#define TYPE_SUFFIX f64
#define MR CC_MR_F64
#define CC_NVMAX CC_NV_F64
#define CC_V __m512d
#define CC_VW 8
#define CC_M __mmask8
#define CC_MASK(cnt) ((__mmask8)((1u << (cnt)) - 1u))
#define CC_VLOAD(p) _mm512_loadu_pd(p)
#define CC_VLOADM(p, m) _mm512_maskz_loadu_pd(m, p)
#define CC_VSTORE(p, v) _mm512_storeu_pd(p, v)
#define CC_VSTOREM(p, m, v) _mm512_mask_storeu_pd(p, m, v)
#define CC_VFMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define CC_VSET1(x) _mm512_set1_pd(x)
#define CC_VZERO() _mm512_setzero_pd()
#include "gemm_simd.template.c"
#include "simd_vocab_undef.h"

#include "target.inc.c"
