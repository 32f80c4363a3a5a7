/* simd_avx512.h - the AVX-512 F/BW/DQ/VL target's vector vocabulary, part 1: its name,
 * its GEMM tiles and register count, and the helper functions (suffix __avx512) that the
 * per-type macro sets of simd_avx512_f32.h / simd_avx512_f64.h are written with. Included
 * once, by target_avx512.c (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl or
 * /arch:AVX512). */
#ifndef CONVCORE_SIMD_AVX512_H
#define CONVCORE_SIMD_AVX512_H
#include <immintrin.h>
#include <math.h>

#include "../dispatch.h"

#define CC_TARGET avx512
#define CC_TARGET_ID CC_TARGET_AVX512
#define CC_VBYTES 64

/* GEMM tiles: 8 rows x 3 vectors (24 accumulators of 32 registers); 8 divides the usual
 * channel counts, and narrower tiles (1, 2 vectors) take a row's last columns. The
 * forward kernels also come 4 vectors wide with 6 rows (24 accumulators): a 49-output
 * plane is one 64-column tile instead of two of 32, so each weight is read once. */
#define CC_MR_F32 8
#define CC_VW_F32 16
#define CC_NR_F32 48
#define CC_NV_F32 3
#define CC_NVW_F32 4
#define CC_MR_WIDE_F32 6
#define CC_TAIL_ROWS 6 /* rows of the gemm_tail kernels (1 to 3 vectors plus one column) */
#define CC_MR_F64 8
#define CC_VW_F64 8
#define CC_NR_F64 24
#define CC_NV_F64 3
#define CC_NVW_F64 4
#define CC_MR_WIDE_F64 6

#define CC_VREGS 32 /* vector registers (the weight-gradient blocks are sized by them) */

/* Lanes [lo, hi) of a vector: the masks of the partial loads. */
#define CC_RANGE16(lo, hi) ((__mmask16)(((1u << (hi)) - 1u) & ~((1u << (lo)) - 1u)))
#define CC_RANGE8(lo, hi) ((__mmask8)(((1u << (hi)) - 1u) & ~((1u << (lo)) - 1u)))

/* Lane l = p[2 * l] for lo <= 2 * l < hi (hi <= 32 / 16), else fill; only p[lo .. hi - 1]
 * is read. */
CC_INLINE __m512 cc_even_f32__avx512(const float *p, int lo, int hi, __m512 fill)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                           28, 30);
    const int lo0 = lo < 16 ? lo : 16, hi0 = hi < 16 ? hi : 16;
    const int lo1 = lo > 16 ? lo - 16 : 0, hi1 = hi > 16 ? hi - 16 : 0;
    const __m512 a = _mm512_mask_loadu_ps(fill, CC_RANGE16(lo0, hi0 > lo0 ? hi0 : lo0), p);
    const __m512 b = _mm512_mask_loadu_ps(fill, CC_RANGE16(lo1, hi1 > lo1 ? hi1 : lo1), p + 16);
    return _mm512_permutex2var_ps(a, even, b);
}
CC_INLINE __m512d cc_even_f64__avx512(const double *p, int lo, int hi, __m512d fill)
{
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    const int lo0 = lo < 8 ? lo : 8, hi0 = hi < 8 ? hi : 8;
    const int lo1 = lo > 8 ? lo - 8 : 0, hi1 = hi > 8 ? hi - 8 : 0;
    const __m512d a = _mm512_mask_loadu_pd(fill, CC_RANGE8(lo0, hi0 > lo0 ? hi0 : lo0), p);
    const __m512d b = _mm512_mask_loadu_pd(fill, CC_RANGE8(lo1, hi1 > lo1 ? hi1 : lo1), p + 8);
    return _mm512_permutex2var_pd(a, even, b);
}
/* Even/odd split of the 2 * 16 / 8 elements at p: e[l] = p[2 * l], o[l] = p[2 * l + 1]. The
 * masked form reads only the elements in [lo, hi) of its cc_eom (made once by eo_mask),
 * the others are fill. */
typedef struct cc_eom__avx512 {
    unsigned a, b;
} cc_eom__avx512;
CC_INLINE cc_eom__avx512 cc_eo_mask__avx512(int vw, int lo, int hi)
{
    const int lo0 = lo < vw ? lo : vw, hi0 = hi < vw ? hi : vw;
    const int lo1 = lo > vw ? lo - vw : 0, hi1 = hi > vw ? hi - vw : 0;
    cc_eom__avx512 m;
    m.a = ((1u << (hi0 > lo0 ? hi0 : lo0)) - 1u) & ~((1u << lo0) - 1u);
    m.b = ((1u << (hi1 > lo1 ? hi1 : lo1)) - 1u) & ~((1u << lo1) - 1u);
    return m;
}
CC_INLINE void cc_eo_f32__avx512(__m512 a, __m512 b, __m512 *e, __m512 *o)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                           28, 30);
    *e = _mm512_permutex2var_ps(a, even, b);
    *o = _mm512_permutex2var_ps(a, _mm512_add_epi32(even, _mm512_set1_epi32(1)), b);
}
CC_INLINE void cc_eo_f64__avx512(__m512d a, __m512d b, __m512d *e, __m512d *o)
{
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    *e = _mm512_permutex2var_pd(a, even, b);
    *o = _mm512_permutex2var_pd(a, _mm512_add_epi64(even, _mm512_set1_epi64(1)), b);
}
/* s / d from r = RN(1 / d): q = s * r corrected once by the exact remainder s - q * d;
 * where s is not finite the remainder is NaN and q itself is the answer. */
CC_INLINE __m512 cc_quot_f32__avx512(__m512 s, __m512 d, __m512 r)
{
    const __m512 q = _mm512_mul_ps(s, r), rem = _mm512_fnmadd_ps(q, d, s);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(rem, rem, _CMP_UNORD_Q),
                                _mm512_fmadd_ps(rem, r, q), q);
}
CC_INLINE __m512d cc_quot_f64__avx512(__m512d s, __m512d d, __m512d r)
{
    const __m512d q = _mm512_mul_pd(s, r), rem = _mm512_fnmadd_pd(q, d, s);
    return _mm512_mask_blend_pd(_mm512_cmp_pd_mask(rem, rem, _CMP_UNORD_Q),
                                _mm512_fmadd_pd(rem, r, q), q);
}
/* In-register transpose of 16 rows of 16 floats: r[i] lane j -> r[j] lane i. Pairs of
 * rows interleaved, then 4x4 blocks within each 128-bit lane, then the 4x4 grid of
 * 128-bit blocks. */
CC_INLINE void cc_tr16_f32__avx512(__m512 r[16])
{
    __m512 t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    /* u[4g + m], 128-bit block j: column 4j + m of rows 4g .. 4g + 3 */
    for (int g = 0; g < 4; ++g) {
        u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int m = 0; m < 4; ++m) {
        const __m512 s0 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0x44);
        const __m512 s1 = _mm512_shuffle_f32x4(u[m], u[4 + m], 0xEE);
        const __m512 s2 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0x44);
        const __m512 s3 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], 0xEE);
        r[m] = _mm512_shuffle_f32x4(s0, s2, 0x88);
        r[4 + m] = _mm512_shuffle_f32x4(s0, s2, 0xDD);
        r[8 + m] = _mm512_shuffle_f32x4(s1, s3, 0x88);
        r[12 + m] = _mm512_shuffle_f32x4(s1, s3, 0xDD);
    }
}
/* max(v, cur) is v > cur ? v : cur (cur on ties and where either is NaN): the rule except
 * where v is NaN, whose lanes keep v. */
CC_INLINE __m512 cc_selmax_f32__avx512(__m512 v, __m512 cur)
{
    return _mm512_mask_max_ps(v, _mm512_cmp_ps_mask(v, v, _CMP_ORD_Q), v, cur);
}
CC_INLINE __m512d cc_selmax_f64__avx512(__m512d v, __m512d cur)
{
    return _mm512_mask_max_pd(v, _mm512_cmp_pd_mask(v, v, _CMP_ORD_Q), v, cur);
}

/* Lane sums in one fixed tree (halves, then quarters, ...): the same order on every call
 * and with every compiler. */
CC_INLINE float cc_hsum_f32__avx512(__m512 v)
{
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                                   _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    const __m128 e = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(e, _mm_shuffle_ps(e, e, 1)));
}
CC_INLINE double cc_hsum_f64__avx512(__m512d v)
{
    const __m256d h = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    const __m128d q = _mm_add_pd(_mm256_castpd256_pd128(h), _mm256_extractf128_pd(h, 1));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
}

#endif
