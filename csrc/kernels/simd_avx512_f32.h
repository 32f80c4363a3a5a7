/* simd_avx512_f32.h - the AVX-512 vocabulary of the kernel templates for float (16
 * lanes): TYPE and its vector operations (see gemm_simd.template.c and
 * plane_simd.template.c for what each macro means). simd_vocab_undef.h undoes it. */
#define TYPE float
#define TYPE_SUFFIX f32
#define MR CC_MR_F32
#define CC_NVMAX CC_NV_F32
#define CC_NVWIDE 4
#define CC_MRMAX 8
#define CC_MR_NV(nv) ((nv) > 3 ? 6 : 8)
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
#define CC_VADD(a, b) _mm512_add_ps(a, b)
#define CC_VDIV(a, b) _mm512_div_ps(a, b)
#define CC_VSEL_MAX(v, cur) cc_selmax_f32__avx512(v, cur)
#define CC_VQUOT(s, d, r) cc_quot_f32__avx512(s, d, r)
#define CC_VMUL(a, b) _mm512_mul_ps(a, b)
#define CC_VLOADR(p, lo, hi, f) _mm512_mask_loadu_ps(f, CC_RANGE16(lo, hi), p)
#define CC_VLOAD_EVEN(p, lo, hi, f) cc_even_f32__avx512(p, lo, hi, f)
#define CC_EOM cc_eom__avx512
#define CC_EO_MASK(lo, hi) cc_eo_mask__avx512(16, lo, hi)
#define CC_VLOAD_EO(p, e, o) cc_eo_f32__avx512(_mm512_loadu_ps(p), _mm512_loadu_ps((p) + 16), &(e), &(o))
#define CC_VLOAD_EOM(p, m, f, e, o)                                                          \
    cc_eo_f32__avx512(_mm512_mask_loadu_ps(f, (__mmask16)(m).a, p),                          \
                      _mm512_mask_loadu_ps(f, (__mmask16)(m).b, (p) + 16), &(e), &(o))
#define CC_VSHIFT1(a, b) \
    _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(b), _mm512_castps_si512(a), 1))
#define CC_VTRANSPOSE(r) cc_tr16_f32__avx512(r)
#define CC_VHSUM(v) cc_hsum_f32__avx512(v)
#define CC_TAIL_MR CC_TAIL_ROWS
#define CC_TAIL_NV 3
