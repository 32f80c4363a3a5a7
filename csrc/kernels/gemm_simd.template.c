/* gemm_simd.template.c - GEMM micro-kernels with SIMD intrinsics, written once against a
 * small vector vocabulary and instantiated per (TYPE, target) by target_avx2.c and
 * target_avx512.c.
 *
 * The including file defines TYPE, TYPE_SUFFIX, MR (rows of the tile of the packed-A
 * kernel), CC_NVMAX (its vectors per tile row; NR = CC_NVMAX * CC_VW), CC_NVWIDE (the
 * widest strided-A kernel, >= CC_NVMAX), CC_MR_NV(nv) (rows of the strided-A kernel nv
 * vectors wide), CC_MRMAX (the largest of those) and the vocabulary:
 *   CC_V, CC_VW            vector type and its lane count
 *   CC_M, CC_MASK(cnt)     lane mask type; mask of the first cnt lanes (0 <= cnt <= CC_VW)
 *   CC_VLOAD(p), CC_VLOADM(p, m)            unaligned load; masked load (zero fill)
 *   CC_VSTORE(p, v), CC_VSTOREM(p, m, v)    unaligned store; masked store
 *   CC_VFMA(a, b, c) = a * b + c (one rounding), CC_VSET1(x), CC_VZERO()
 *
 * Tile: MR x (NV * CC_VW) accumulators live in registers for the whole k loop. Each k step
 * loads NV vectors of one packed B row (b + p * NV * CC_VW) and broadcasts the MR values of
 * one A column, then does MR * NV fused multiply-adds: a rank-1 update. A is either
 *   packed (gemm_ukr, the dispatch.h contract): column p at a + p * MR, or
 *   strided (gemm_sp, gemm_ind): row i at a + i * lda, consecutive in k: the weights read
 *            in place; rows past m repeat row m - 1 and are never stored.
 * and B packed, or (gemm_ind) read in place through row offsets: row p at b + boff[p].
 * The accumulators start from C (accumulate), the bias, or zero, so a k range split over
 * several calls gives the same sums as one call: one fused chain per output element.
 * Only rows < m and columns < n of C are written.
 *
 * Defines, per instantiation: gemm_ukr_{f32,f64}__<target> (packed A), gemm_sp1 ..
 * gemm_sp<CC_NVWIDE> (strided A), gemm_ind1 .. (strided A, B in place), pack_seg, and with
 * CC_TAIL_MR gemm_tail1 .. gemm_tail<CC_TAIL_NV>: e.g. gemm_sp2_f32__avx2.
 */


/* One instantiation of the kernel body. NV, ASTRIDED, INDEXED and LOADMASK are literal
 * constants at every call site, so each caller becomes its own specialised, unrolled copy. */
CC_ALWAYS_INLINE void CC_KFN(gemm_tile)(int64_t k, const TYPE *CC_RESTRICT a,
                                        const TYPE *CC_RESTRICT b,
                                        const int64_t *CC_RESTRICT boff, TYPE *CC_RESTRICT c,
                                        int64_t ldc, int64_t m, int64_t n,
                                        const TYPE *CC_RESTRICT bias, int accumulate,
                                        int64_t lda, const int MRL, const int NV,
                                        const int ASTRIDED, const int INDEXED,
                                        const int LOADMASK)
{
    CC_V acc[CC_MRMAX][CC_NVWIDE];
    const TYPE *ar[CC_MRMAX];
    CC_M mask[CC_NVWIDE];
    const int full_n = n >= (int64_t)NV * CC_VW;
    CC_UNROLL
    for (int v = 0; v < NV; ++v) {
        int64_t cnt = n - (int64_t)v * CC_VW;
        cnt = cnt < 0 ? 0 : (cnt > CC_VW ? CC_VW : cnt);
        mask[v] = CC_MASK((int)cnt);
    }
    if (accumulate) {
        CC_UNROLL
        for (int i = 0; i < MRL; ++i) {
            const TYPE *ci = c + (i < m ? i : 0) * ldc;
            CC_UNROLL
            for (int v = 0; v < NV; ++v)
                acc[i][v] = i < m ? (full_n ? CC_VLOAD(ci + v * CC_VW)
                                            : CC_VLOADM(ci + v * CC_VW, mask[v]))
                                  : CC_VZERO();
        }
    } else {
        CC_UNROLL
        for (int i = 0; i < MRL; ++i) {
            const CC_V b0 = (bias && i < m) ? CC_VSET1(bias[i]) : CC_VZERO();
            CC_UNROLL
            for (int v = 0; v < NV; ++v) acc[i][v] = b0;
        }
    }

    if (ASTRIDED)
        CC_UNROLL
        for (int i = 0; i < MRL; ++i) ar[i] = a + (i < m ? i : m - 1) * lda;
    for (int64_t p = 0; p < k; ++p) {
        const TYPE *CC_RESTRICT brow = INDEXED ? b + boff[p] : b + p * (NV * CC_VW);
        const TYPE *CC_RESTRICT ap = a + p * MRL;
        CC_V bv[CC_NVWIDE];
        CC_UNROLL
        for (int v = 0; v < NV; ++v)
            bv[v] = LOADMASK ? CC_VLOADM(brow + v * CC_VW, mask[v]) : CC_VLOAD(brow + v * CC_VW);
        CC_UNROLL
        for (int i = 0; i < MRL; ++i) {
            const CC_V av = CC_VSET1(ASTRIDED ? ar[i][p] : ap[i]);
            CC_UNROLL
            for (int v = 0; v < NV; ++v) acc[i][v] = CC_VFMA(av, bv[v], acc[i][v]);
        }
    }

    if (full_n && m >= MRL) {
        CC_UNROLL
        for (int i = 0; i < MRL; ++i)
            CC_UNROLL
            for (int v = 0; v < NV; ++v) CC_VSTORE(c + i * ldc + v * CC_VW, acc[i][v]);
    } else {
        CC_UNROLL
        for (int i = 0; i < MRL; ++i) {
            if (i < m) {
                CC_UNROLL
                for (int v = 0; v < NV; ++v)
                    CC_VSTOREM(c + i * ldc + v * CC_VW, mask[v], acc[i][v]);
            }
        }
    }
}

/* The dispatch-table contract (dispatch.h): packed B of width NR = CC_NVMAX * CC_VW. */
static void CC_KFN(gemm_ukr)(int64_t k, const TYPE *a, const TYPE *b, TYPE *c, int64_t ldc,
                             int64_t m, int64_t n, const TYPE *bias, int accumulate)
{
    CC_KFN(gemm_tile)(k, a, b, NULL, c, ldc, m, n, bias, accumulate, 0, MR, CC_NVMAX, 0, 0, 0);
}

/* Strided A (row i of A at a + i * lda, consecutive in k), NV vectors wide, with B packed
 * NV * CC_VW wide (gemm_sp) or read in place, row p at b + boff[p] (gemm_ind: a full-width
 * copy and one with masked loads for a row's last tile; lanes at or past n never read). */
#define CC_GEMM_SP(NV)                                                                       \
    static void CC_KFN(CC_CAT(gemm_sp, NV))(int64_t k, const TYPE *a, int64_t lda,           \
                                            const TYPE *b, TYPE *c, int64_t ldc, int64_t m,  \
                                            int64_t n, const TYPE *bias, int accumulate)     \
    {                                                                                        \
        CC_KFN(gemm_tile)(k, a, b, NULL, c, ldc, m, n, bias, accumulate, lda, CC_MR_NV(NV), NV, 1, \
                          0, 0);                                                             \
    }                                                                                        \
    static void CC_KFN(CC_CAT(gemm_ind, NV))(int64_t k, const TYPE *a, int64_t lda,          \
                                             const TYPE *b, const int64_t *boff, TYPE *c,    \
                                             int64_t ldc, int64_t m, int64_t n,              \
                                             const TYPE *bias, int accumulate)               \
    {                                                                                        \
        if (n >= (NV) * CC_VW)                                                               \
            CC_KFN(gemm_tile)(k, a, b, boff, c, ldc, m, n, bias, accumulate, lda, CC_MR_NV(NV),  \
                              NV, 1, 1, 0);                                                  \
        else                                                                                 \
            CC_KFN(gemm_tile)(k, a, b, boff, c, ldc, m, n, bias, accumulate, lda, CC_MR_NV(NV),  \
                              NV, 1, 1, 1);                                                  \
    }

CC_GEMM_SP(1)
#if CC_NVWIDE >= 2
CC_GEMM_SP(2)
#endif
#if CC_NVWIDE >= 3
CC_GEMM_SP(3)
#endif
#if CC_NVWIDE >= 4
CC_GEMM_SP(4)
#endif
#undef CC_GEMM_SP

#if defined(CC_VHSUM) && defined(CC_TAIL_MR)
/* gemm_tail: gemm_sp over NV vectors (B packed NV * CC_VW wide) and one more output column,
 * column NV * CC_VW of C, whose B values are tail[0 .. k-1] (consecutive). That column's
 * CC_TAIL_MR dot products run with k in the lanes: per CC_VW steps of k, one vector of each
 * A row times one vector of tail. So a tile whose last vector would hold a single output
 * (a 7x7 plane: 49 = 3 * 16 + 1) costs NV vectors of multiply-adds, not NV + 1. The other
 * columns are the usual fused chains; the extra column's sum over this call's k range is
 * its lane sum (a fixed tree, CC_VHSUM) added to its start (C, the bias or zero): a fixed
 * order, the same for any thread count. Rows past m repeat row m - 1 and are not stored. */
CC_ALWAYS_INLINE void CC_KFN(gemm_tail_tile)(int64_t k, const TYPE *CC_RESTRICT a, int64_t lda,
                                             const TYPE *CC_RESTRICT b,
                                             const TYPE *CC_RESTRICT tail, TYPE *CC_RESTRICT c,
                                             int64_t ldc, int64_t m,
                                             const TYPE *CC_RESTRICT bias, int accumulate,
                                             const int NV)
{
    CC_V acc[CC_TAIL_MR][CC_TAIL_NV], tacc[CC_TAIL_MR];
    TYPE start[CC_TAIL_MR];
    const TYPE *ar[CC_TAIL_MR];
    CC_UNROLL
    for (int i = 0; i < CC_TAIL_MR; ++i) {
        const TYPE *ci = c + (i < m ? i : 0) * ldc;
        ar[i] = a + (i < m ? i : m - 1) * lda;
        tacc[i] = CC_VZERO();
        if (accumulate) {
            start[i] = i < m ? ci[NV * CC_VW] : (TYPE)0;
            CC_UNROLL
            for (int v = 0; v < NV; ++v) acc[i][v] = i < m ? CC_VLOAD(ci + v * CC_VW) : CC_VZERO();
        } else {
            start[i] = (bias && i < m) ? bias[i] : (TYPE)0;
            CC_UNROLL
            for (int v = 0; v < NV; ++v) acc[i][v] = CC_VSET1(start[i]);
        }
    }
    for (int64_t p0 = 0; p0 < k; p0 += CC_VW) {
        const int64_t kk = k - p0 < CC_VW ? k - p0 : CC_VW;
        for (int64_t p = p0; p < p0 + kk; ++p) {
            const TYPE *CC_RESTRICT brow = b + p * (NV * CC_VW);
            CC_V bv[CC_TAIL_NV];
            CC_UNROLL
            for (int v = 0; v < NV; ++v) bv[v] = CC_VLOAD(brow + v * CC_VW);
            CC_UNROLL
            for (int i = 0; i < CC_TAIL_MR; ++i) {
                const CC_V av = CC_VSET1(ar[i][p]);
                CC_UNROLL
                for (int v = 0; v < NV; ++v) acc[i][v] = CC_VFMA(av, bv[v], acc[i][v]);
            }
        }
        if (kk == CC_VW) {
            const CC_V tv = CC_VLOAD(tail + p0);
            CC_UNROLL
            for (int i = 0; i < CC_TAIL_MR; ++i)
                tacc[i] = CC_VFMA(CC_VLOAD(ar[i] + p0), tv, tacc[i]);
        } else {
            const CC_M km = CC_MASK((int)kk);
            const CC_V tv = CC_VLOADM(tail + p0, km);
            CC_UNROLL
            for (int i = 0; i < CC_TAIL_MR; ++i)
                tacc[i] = CC_VFMA(CC_VLOADM(ar[i] + p0, km), tv, tacc[i]);
        }
    }
    CC_UNROLL
    for (int i = 0; i < CC_TAIL_MR; ++i) {
        if (i < m) {
            CC_UNROLL
            for (int v = 0; v < NV; ++v) CC_VSTORE(c + i * ldc + v * CC_VW, acc[i][v]);
            c[i * ldc + NV * CC_VW] = start[i] + CC_VHSUM(tacc[i]);
        }
    }
}

#define CC_GEMM_TAIL(NV)                                                                     \
    static void CC_KFN(CC_CAT(gemm_tail, NV))(int64_t k, const TYPE *a, int64_t lda,         \
                                              const TYPE *b, const TYPE *tail, TYPE *c,      \
                                              int64_t ldc, int64_t m, const TYPE *bias,      \
                                              int accumulate)                                \
    {                                                                                        \
        CC_KFN(gemm_tail_tile)(k, a, lda, b, tail, c, ldc, m, bias, accumulate, NV);         \
    }
CC_GEMM_TAIL(1)
#if CC_TAIL_NV >= 2
CC_GEMM_TAIL(2)
#endif
#if CC_TAIL_NV >= 3
CC_GEMM_TAIL(3)
#endif
#undef CC_GEMM_TAIL
#endif

/* Packs B for gemm_sp: row p of the packed block (w = nv * CC_VW values) gathers, for each
 * segment s, seg_len[s] consecutive values from b + boff[p] + seg_src[s] into columns
 * seg_col[s] .. (the segments tile columns [0, n) in order); columns [n, w) become zero,
 * except with overread, where they may hold source values past the last segment (the
 * kernels never store a column at or past n, so nothing reads them into a result).
 * More than CC_PACK_SEGS segments are taken too (one row at a time).
 * Segments are the runs of one output row inside a column tile, which is how a tile skips
 * the phase planes' extra columns. Whole vectors are stored, so a store may run up to
 * CC_VW - 1 values past its segment: the next segment (or row) overwrites them, and dst
 * needs CC_VW values of slack at its end. overread: the source may also be read up to
 * CC_VW - 1 values past each segment (else the last piece of a segment is a masked load). */
static void CC_KFN(pack_seg)(int64_t k, const TYPE *b, const int64_t *boff, int nseg,
                             const int64_t *seg_src, const int64_t *seg_col,
                             const int64_t *seg_len, int64_t n, int nv, int overread, TYPE *dst)
{
    const int64_t w = (int64_t)nv * CC_VW;
    const CC_V zero = CC_VZERO();
    if (nseg == 1 && seg_col[0] == 0 && seg_len[0] == w) {
        const TYPE *b0 = b + seg_src[0];
        for (int64_t p = 0; p < k; ++p) {
            const TYPE *src = b0 + boff[p];
            TYPE *o = dst + p * w;
            for (int v = 0; v < nv; ++v) CC_VSTORE(o + v * CC_VW, CC_VLOAD(src + v * CC_VW));
        }
        return;
    }
    /* columns [n, w): zero from the vector holding column n on; earlier lanes of that
     * vector are rewritten by the segments */
    const int64_t ztail = n < w ? (n / CC_VW) * CC_VW : w;
    if (nseg > CC_PACK_SEGS) {
        for (int64_t p = 0; p < k; ++p) {
            TYPE *o = dst + p * w;
            for (int64_t z = ztail; z < w; z += CC_VW) CC_VSTORE(o + z, zero);
            for (int s = 0; s < nseg; ++s) {
                const TYPE *src = b + boff[p] + seg_src[s];
                for (int64_t j = 0; j < seg_len[s]; ++j) o[seg_col[s] + j] = src[j];
            }
        }
        return;
    }
    /* each segment: whole-vector pieces; a masked load for a partial last piece unless the
     * source may be over-read */
    CC_M last_mask[CC_PACK_SEGS];
    int pieces[CC_PACK_SEGS], last_full[CC_PACK_SEGS];
    for (int s = 0; s < nseg; ++s) {
        pieces[s] = (int)((seg_len[s] + CC_VW - 1) / CC_VW);
        const int64_t rest = seg_len[s] - (int64_t)(pieces[s] - 1) * CC_VW;
        last_full[s] = overread || rest == CC_VW;
        last_mask[s] = CC_MASK((int)rest);
    }
    int single = 1; /* every segment one whole-vector piece: the short rows of small images */
    for (int s = 0; s < nseg; ++s) single &= pieces[s] == 1 && last_full[s];
    if (single) {
        for (int64_t p = 0; p < k; ++p) {
            const TYPE *src = b + boff[p];
            TYPE *o = dst + p * w;
            for (int64_t z = ztail; z < w; z += CC_VW) CC_VSTORE(o + z, zero);
            for (int s = 0; s < nseg; ++s) CC_VSTORE(o + seg_col[s], CC_VLOAD(src + seg_src[s]));
        }
        return;
    }
    for (int64_t p = 0; p < k; ++p) {
        const TYPE *src = b + boff[p];
        TYPE *o = dst + p * w;
        for (int64_t z = ztail; z < w; z += CC_VW) CC_VSTORE(o + z, zero);
        for (int s = 0; s < nseg; ++s) {
            const TYPE *ss = src + seg_src[s];
            TYPE *oo = o + seg_col[s];
            int v = 0;
            for (; v < pieces[s] - 1; ++v) CC_VSTORE(oo + v * CC_VW, CC_VLOAD(ss + v * CC_VW));
            CC_VSTORE(oo + v * CC_VW, last_full[s] ? CC_VLOAD(ss + v * CC_VW)
                                                   : CC_VLOADM(ss + v * CC_VW, last_mask[s]));
        }
    }
}
