/* simd_avx2_f64.h - the AVX2 vocabulary of the kernel templates for double (4 lanes);
 * simd_vocab_undef.h undoes it. */
#define TYPE double
#define TYPE_SUFFIX f64
#define MR CC_MR_F64
#define CC_NVMAX CC_NV_F64
#define CC_NVWIDE CC_NV_F64
#define CC_MRMAX MR
#define CC_MR_NV(nv) MR
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
#define CC_VADD(a, b) _mm256_add_pd(a, b)
#define CC_VDIV(a, b) _mm256_div_pd(a, b)
#define CC_VSEL_MAX(v, cur) cc_selmax_f64__avx2(v, cur)
#define CC_VQUOT(s, d, r) cc_quot_f64__avx2(s, d, r)
#define CC_VMUL(a, b) _mm256_mul_pd(a, b)
#define CC_VLOADR(p, lo, hi, f) cc_loadr_f64__avx2(p, lo, hi, f)
#define CC_VLOAD_EVEN(p, lo, hi, f) cc_even_f64__avx2(p, lo, hi, f)
#define CC_EOM cc_eom__avx2
#define CC_EO_MASK(lo, hi) cc_eo_mask_f64__avx2(lo, hi)
#define CC_VLOAD_EO(p, e, o) cc_eo_f64__avx2(_mm256_loadu_pd(p), _mm256_loadu_pd((p) + 4), &(e), &(o))
#define CC_VLOAD_EOM(p, m, f, e, o)                                                          \
    cc_eo_f64__avx2(cc_loadm_f64__avx2(p, (m).a, f), cc_loadm_f64__avx2((p) + 4, (m).b, f), &(e), &(o))
#define CC_VSHIFT1(a, b) cc_shift1_f64__avx2(a, b)
