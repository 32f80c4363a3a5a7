/* simd_base_f32.h - the baseline vocabulary of the kernel templates for float (4 lanes
 * of SSE2 or NEON; the portable C kernels' tile otherwise). simd_vocab_undef.h undoes it. */
#if defined(CC_BASE_SIMD)
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
#else /* portable C: gemm_generic.template.c */
#define TYPE float
#define TYPE_SUFFIX f32
#define MR CC_MR_F32
#define CC_VW CC_VW_F32
#define CC_NVMAX CC_NV_F32
#define CC_NVWIDE CC_NV_F32
#endif
