/* simd_avx2_f32.h - the AVX2 vocabulary of the kernel templates for float (8 lanes):
 * TYPE and its vector operations (see gemm_simd.template.c and plane_simd.template.c for
 * what each macro means). simd_vocab_undef.h undoes it. */
#define TYPE float
#define TYPE_SUFFIX f32
#define MR CC_MR_F32
#define CC_NVMAX CC_NV_F32
#define CC_NVWIDE CC_NV_F32
#define CC_MRMAX MR
#define CC_MR_NV(nv) MR
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
#define CC_VADD(a, b) _mm256_add_ps(a, b)
#define CC_VDIV(a, b) _mm256_div_ps(a, b)
#define CC_VSEL_MAX(v, cur) cc_selmax_f32__avx2(v, cur)
#define CC_VQUOT(s, d, r) cc_quot_f32__avx2(s, d, r)
#define CC_VMUL(a, b) _mm256_mul_ps(a, b)
#define CC_VLOADR(p, lo, hi, f) cc_loadr_f32__avx2(p, lo, hi, f)
#define CC_VLOAD_EVEN(p, lo, hi, f) cc_even_f32__avx2(p, lo, hi, f)
#define CC_EOM cc_eom__avx2
#define CC_EO_MASK(lo, hi) cc_eo_mask_f32__avx2(lo, hi)
#define CC_VLOAD_EO(p, e, o) cc_eo_f32__avx2(_mm256_loadu_ps(p), _mm256_loadu_ps((p) + 8), &(e), &(o))
#define CC_VLOAD_EOM(p, m, f, e, o)                                                          \
    cc_eo_f32__avx2(cc_loadm_f32__avx2(p, (m).a, f), cc_loadm_f32__avx2((p) + 8, (m).b, f), &(e), &(o))
#define CC_VSHIFT1(a, b) cc_shift1_f32__avx2(a, b)
#define CC_VTRANSPOSE(r) cc_tr8_f32__avx2(r)
