/* gemm_generic.template.c - the portable GEMM micro-kernels (plain C, vectorised by the
 * compiler for the platform baseline). Same contract and structure as gemm_simd.template.c:
 * the including file defines TYPE, TYPE_SUFFIX, MR, CC_VW (columns per "vector") and
 * CC_NVMAX (NR = CC_NVMAX * CC_VW).
 *
 * An MR x NR accumulator tile lives in local arrays for the whole k loop (one rank-1
 * update per k step); accumulators start from C, the bias or zero; only the m x n corner
 * is stored. A packed (a + p * MR) or strided (row i at a + i * lda); B packed, or read in
 * place through row offsets (b + boff[p]; columns at or past n never read).
 * Defines gemm_ukr_{f32,f64}__base, gemm_sp1 .. gemm_sp<CC_NVMAX>, gemm_ind1 .., pack_seg.
 */


/* Every loop over the tile has constant bounds (conditions inside), so that the compiler
 * unrolls them and keeps the accumulators in registers. */
CC_ALWAYS_INLINE void CC_KFN(gemm_tile)(int64_t k, const TYPE *CC_RESTRICT a,
                                        const TYPE *CC_RESTRICT b,
                                        const int64_t *CC_RESTRICT boff, TYPE *CC_RESTRICT c,
                                        int64_t ldc, int64_t m, int64_t n,
                                        const TYPE *CC_RESTRICT bias, int accumulate,
                                        int64_t lda, const int NRW, const int ASTRIDED,
                                        const int INDEXED)
{
    TYPE acc[MR][CC_NVMAX * CC_VW];
    const TYPE *ar[MR];
    const int64_t mm = m < MR ? m : MR, nn = n < NRW ? n : NRW;
    CC_UNROLL
    for (int i = 0; i < MR; ++i) {
        const TYPE b0 = (!accumulate && bias && i < mm) ? bias[i] : (TYPE)0;
        ar[i] = a + (i < mm ? i : mm - 1) * lda;
        CC_UNROLL
        for (int j = 0; j < NRW; ++j)
            acc[i][j] = (accumulate && i < mm && j < nn) ? c[i * ldc + j] : b0;
    }

    for (int64_t p = 0; p < k; ++p) {
        const TYPE *CC_RESTRICT brow = INDEXED ? b + boff[p] : b + p * NRW;
        TYPE bv[CC_NVMAX * CC_VW];
        if (INDEXED && nn < NRW) {
            CC_UNROLL
            for (int j = 0; j < NRW; ++j) bv[j] = j < nn ? brow[j] : (TYPE)0;
        } else {
            CC_UNROLL
            for (int j = 0; j < NRW; ++j) bv[j] = brow[j];
        }
        CC_UNROLL
        for (int i = 0; i < MR; ++i) {
            /* strided A: rows past m repeat row m - 1 (never stored) */
            const TYPE ai = ASTRIDED ? ar[i][p] : a[p * MR + i];
            CC_UNROLL
            for (int j = 0; j < NRW; ++j) acc[i][j] += ai * bv[j];
        }
    }

    CC_UNROLL
    for (int i = 0; i < MR; ++i) {
        if (i < mm) {
            CC_UNROLL
            for (int j = 0; j < NRW; ++j)
                if (j < nn) c[i * ldc + j] = acc[i][j];
        }
    }
}

static void CC_KFN(gemm_ukr)(int64_t k, const TYPE *a, const TYPE *b, TYPE *c, int64_t ldc,
                             int64_t m, int64_t n, const TYPE *bias, int accumulate)
{
    CC_KFN(gemm_tile)(k, a, b, NULL, c, ldc, m, n, bias, accumulate, 0, CC_NVMAX * CC_VW, 0, 0);
}

#define CC_GEMM_SP(NV)                                                                       \
    static void CC_KFN(CC_CAT(gemm_sp, NV))(int64_t k, const TYPE *a, int64_t lda,           \
                                            const TYPE *b, TYPE *c, int64_t ldc, int64_t m,  \
                                            int64_t n, const TYPE *bias, int accumulate)     \
    {                                                                                        \
        CC_KFN(gemm_tile)(k, a, b, NULL, c, ldc, m, n, bias, accumulate, lda, (NV) * CC_VW, 1, \
                          0);                                                                \
    }                                                                                        \
    static void CC_KFN(CC_CAT(gemm_ind, NV))(int64_t k, const TYPE *a, int64_t lda,          \
                                             const TYPE *b, const int64_t *boff, TYPE *c,    \
                                             int64_t ldc, int64_t m, int64_t n,              \
                                             const TYPE *bias, int accumulate)               \
    {                                                                                        \
        CC_KFN(gemm_tile)(k, a, b, boff, c, ldc, m, n, bias, accumulate, lda, (NV) * CC_VW, 1, \
                          1);                                                                \
    }

CC_GEMM_SP(1)
#if CC_NVMAX >= 2
CC_GEMM_SP(2)
#endif
#if CC_NVMAX >= 3
CC_GEMM_SP(3)
#endif
#if CC_NVMAX >= 4
CC_GEMM_SP(4)
#endif
#undef CC_GEMM_SP

static void CC_KFN(pack_seg)(int64_t k, const TYPE *b, const int64_t *boff, int nseg,
                             const int64_t *seg_src, const int64_t *seg_col,
                             const int64_t *seg_len, int64_t n, int nv, int overread, TYPE *dst)
{
    const int64_t w = (int64_t)nv * CC_VW;
    (void)overread;
    for (int64_t p = 0; p < k; ++p) {
        TYPE *CC_RESTRICT o = dst + p * w;
        for (int s = 0; s < nseg; ++s) {
            const TYPE *CC_RESTRICT src = b + boff[p] + seg_src[s];
            for (int64_t j = 0; j < seg_len[s]; ++j) o[seg_col[s] + j] = src[j];
        }
        for (int64_t j = n; j < w; ++j) o[j] = 0;
    }
}
