/* simd_avx2.h - the AVX2 + FMA target's vector vocabulary, part 1: its name, its GEMM
 * tiles and register count, and the helper functions (suffix __avx2) that the per-type
 * macro sets of simd_avx2_f32.h / simd_avx2_f64.h are written with. Included once, by
 * target_avx2.c (compiled with -mavx2 -mfma or /arch:AVX2). */
#ifndef CONVCORE_SIMD_AVX2_H
#define CONVCORE_SIMD_AVX2_H
#include <immintrin.h>
#include <math.h>

#include "../dispatch.h"

#define CC_TARGET avx2
#define CC_TARGET_ID CC_TARGET_AVX2
#define CC_VBYTES 32

/* GEMM tiles: 6 rows x 2 vectors (12 accumulators of 16 registers). */
#define CC_MR_F32 6
#define CC_VW_F32 8
#define CC_NR_F32 16
#define CC_NV_F32 2
#define CC_NVW_F32 2
#define CC_MR_WIDE_F32 CC_MR_F32
#define CC_MR_F64 6
#define CC_VW_F64 4
#define CC_NR_F64 8
#define CC_NV_F64 2
#define CC_NVW_F64 2
#define CC_MR_WIDE_F64 CC_MR_F64

#define CC_VREGS 16 /* vector registers (the weight-gradient blocks are sized by them) */

/* Lanes [lo, hi) from p, the others fill (never read). */
CC_INLINE __m256 cc_loadr_f32__avx2(const float *p, int lo, int hi, __m256 fill)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m = _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(hi), iota),
                                       _mm256_cmpgt_epi32(iota, _mm256_set1_epi32(lo - 1)));
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
CC_INLINE __m256d cc_loadr_f64__avx2(const double *p, int lo, int hi, __m256d fill)
{
    const __m256i iota = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i m = _mm256_and_si256(_mm256_cmpgt_epi64(_mm256_set1_epi64x(hi), iota),
                                       _mm256_cmpgt_epi64(iota, _mm256_set1_epi64x(lo - 1)));
    return _mm256_blendv_pd(fill, _mm256_maskload_pd(p, m), _mm256_castsi256_pd(m));
}
/* Lane l = p[2 * l] for lo <= 2 * l < hi (hi <= 16 / 8), else fill; only p[lo .. hi - 1]
 * is read. */
CC_INLINE __m256 cc_even_f32__avx2(const float *p, int lo, int hi, __m256 fill)
{
    const __m256 a = cc_loadr_f32__avx2(p, lo, hi, fill);
    const __m256 b = cc_loadr_f32__avx2(p + 8, lo - 8, hi - 8, fill);
    /* [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6] */
    const __m256 s = _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), 0xD8));
}
CC_INLINE __m256d cc_even_f64__avx2(const double *p, int lo, int hi, __m256d fill)
{
    const __m256d a = cc_loadr_f64__avx2(p, lo, hi, fill);
    const __m256d b = cc_loadr_f64__avx2(p + 4, lo - 4, hi - 4, fill);
    /* [a0 b0 | a2 b2] -> [a0 a2 b0 b2] */
    return _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xD8);
}
/* Even/odd split of the 2 * 8 / 4 elements at p: e[l] = p[2 * l], o[l] = p[2 * l + 1]. The
 * masked form reads only the elements in [lo, hi) of its cc_eom (made once by eo_mask),
 * the others are fill. */
typedef struct cc_eom__avx2 {
    __m256i a, b;
} cc_eom__avx2;
CC_INLINE cc_eom__avx2 cc_eo_mask_f32__avx2(int lo, int hi)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i vlo = _mm256_set1_epi32(lo - 1), vhi = _mm256_set1_epi32(hi);
    const __m256i iota8 = _mm256_add_epi32(iota, _mm256_set1_epi32(8));
    cc_eom__avx2 m;
    m.a = _mm256_and_si256(_mm256_cmpgt_epi32(vhi, iota), _mm256_cmpgt_epi32(iota, vlo));
    m.b = _mm256_and_si256(_mm256_cmpgt_epi32(vhi, iota8), _mm256_cmpgt_epi32(iota8, vlo));
    return m;
}
CC_INLINE cc_eom__avx2 cc_eo_mask_f64__avx2(int lo, int hi)
{
    const __m256i iota = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i vlo = _mm256_set1_epi64x(lo - 1), vhi = _mm256_set1_epi64x(hi);
    const __m256i iota4 = _mm256_add_epi64(iota, _mm256_set1_epi64x(4));
    cc_eom__avx2 m;
    m.a = _mm256_and_si256(_mm256_cmpgt_epi64(vhi, iota), _mm256_cmpgt_epi64(iota, vlo));
    m.b = _mm256_and_si256(_mm256_cmpgt_epi64(vhi, iota4), _mm256_cmpgt_epi64(iota4, vlo));
    return m;
}
CC_INLINE __m256 cc_loadm_f32__avx2(const float *p, __m256i m, __m256 fill)
{
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}
CC_INLINE __m256d cc_loadm_f64__avx2(const double *p, __m256i m, __m256d fill)
{
    return _mm256_blendv_pd(fill, _mm256_maskload_pd(p, m), _mm256_castsi256_pd(m));
}
CC_INLINE void cc_eo_f32__avx2(__m256 a, __m256 b, __m256 *e, __m256 *o)
{
    /* [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6], the odd ones likewise */
    *e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
    *o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}
CC_INLINE void cc_eo_f64__avx2(__m256d a, __m256d b, __m256d *e, __m256d *o)
{
    /* [a0 b0 | a2 b2] -> [a0 a2 b0 b2], the odd ones likewise */
    *e = _mm256_permute4x64_pd(_mm256_unpacklo_pd(a, b), 0xD8);
    *o = _mm256_permute4x64_pd(_mm256_unpackhi_pd(a, b), 0xD8);
}
/* Lanes a[1 ..], then b[0]. */
CC_INLINE __m256 cc_shift1_f32__avx2(__m256 a, __m256 b)
{
    const __m256 t = _mm256_permute2f128_ps(a, b, 0x21); /* [a4 .. a7 b0 .. b3] */
    return _mm256_castsi256_ps(_mm256_alignr_epi8(_mm256_castps_si256(t), _mm256_castps_si256(a), 4));
}
CC_INLINE __m256d cc_shift1_f64__avx2(__m256d a, __m256d b)
{
    const __m256d t = _mm256_permute2f128_pd(a, b, 0x21); /* [a2 a3 b0 b1] */
    return _mm256_shuffle_pd(a, t, 0x5);
}
/* s / d from r = RN(1 / d): q = s * r corrected once by the exact remainder s - q * d;
 * where s is not finite the remainder is NaN and q itself is the answer. */
CC_INLINE __m256 cc_quot_f32__avx2(__m256 s, __m256 d, __m256 r)
{
    const __m256 q = _mm256_mul_ps(s, r), rem = _mm256_fnmadd_ps(q, d, s);
    return _mm256_blendv_ps(_mm256_fmadd_ps(rem, r, q), q, _mm256_cmp_ps(rem, rem, _CMP_UNORD_Q));
}
CC_INLINE __m256d cc_quot_f64__avx2(__m256d s, __m256d d, __m256d r)
{
    const __m256d q = _mm256_mul_pd(s, r), rem = _mm256_fnmadd_pd(q, d, s);
    return _mm256_blendv_pd(_mm256_fmadd_pd(rem, r, q), q, _mm256_cmp_pd(rem, rem, _CMP_UNORD_Q));
}
/* max(v, cur) is v > cur ? v : cur (cur on ties and where either is NaN): the rule except
 * where v is NaN, whose lanes take v. */
CC_INLINE __m256 cc_selmax_f32__avx2(__m256 v, __m256 cur)
{
    return _mm256_blendv_ps(_mm256_max_ps(v, cur), v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}
CC_INLINE __m256d cc_selmax_f64__avx2(__m256d v, __m256d cur)
{
    return _mm256_blendv_pd(_mm256_max_pd(v, cur), v, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
}

/* In-register transpose of 8 rows of 8 floats: r[i] lane j -> r[j] lane i. */
CC_INLINE void cc_tr8_f32__avx2(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    /* u[4g + m], 128-bit half j: column 4j + m of rows 4g .. 4g + 3 */
    for (int g = 0; g < 2; ++g) {
        u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int m = 0; m < 4; ++m) {
        r[m] = _mm256_permute2f128_ps(u[m], u[4 + m], 0x20);
        r[4 + m] = _mm256_permute2f128_ps(u[m], u[4 + m], 0x31);
    }
}

#endif
