/* simd_base_f64.h - the baseline vocabulary of the kernel templates for double (2 lanes
 * of SSE2 or NEON; the portable C kernels' tile otherwise). simd_vocab_undef.h undoes it. */
#if defined(CC_BASE_SIMD)
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
#else /* portable C: gemm_generic.template.c */
#define TYPE double
#define TYPE_SUFFIX f64
#define MR CC_MR_F64
#define CC_VW CC_VW_F64
#define CC_NVMAX CC_NV_F64
#define CC_NVWIDE CC_NV_F64
#endif
