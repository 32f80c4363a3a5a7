/* simd_avx512_f64.h - the AVX-512 vocabulary of the kernel templates for double (8
 * lanes); simd_vocab_undef.h undoes it. */
#define TYPE double
#define TYPE_SUFFIX f64
#define MR CC_MR_F64
#define CC_NVMAX CC_NV_F64
#define CC_NVWIDE 4
#define CC_MRMAX 8
#define CC_MR_NV(nv) ((nv) > 3 ? 6 : 8)
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
#define CC_VADD(a, b) _mm512_add_pd(a, b)
#define CC_VDIV(a, b) _mm512_div_pd(a, b)
#define CC_VSEL_MAX(v, cur) cc_selmax_f64__avx512(v, cur)
#define CC_VQUOT(s, d, r) cc_quot_f64__avx512(s, d, r)
#define CC_VMUL(a, b) _mm512_mul_pd(a, b)
#define CC_VLOADR(p, lo, hi, f) _mm512_mask_loadu_pd(f, CC_RANGE8(lo, hi), p)
#define CC_VLOAD_EVEN(p, lo, hi, f) cc_even_f64__avx512(p, lo, hi, f)
#define CC_EOM cc_eom__avx512
#define CC_EO_MASK(lo, hi) cc_eo_mask__avx512(8, lo, hi)
#define CC_VLOAD_EO(p, e, o) cc_eo_f64__avx512(_mm512_loadu_pd(p), _mm512_loadu_pd((p) + 8), &(e), &(o))
#define CC_VLOAD_EOM(p, m, f, e, o)                                                          \
    cc_eo_f64__avx512(_mm512_mask_loadu_pd(f, (__mmask8)(m).a, p),                           \
                      _mm512_mask_loadu_pd(f, (__mmask8)(m).b, (p) + 8), &(e), &(o))
#define CC_VSHIFT1(a, b) \
    _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(b), _mm512_castpd_si512(a), 1))
#define CC_VHSUM(v) cc_hsum_f64__avx512(v)
#define CC_TAIL_MR CC_TAIL_ROWS
#define CC_TAIL_NV 3
