/* gemm_simd.template.c - GEMM micro-kernels with SIMD intrinsics, written once against a
 * small vector vocabulary and instantiated per (TYPE, target) by target_avx2.c and
 * target_avx512.c.
 *
 * The including file defines TYPE, TYPE_SUFFIX, MR (rows of the tile), CC_NVMAX (vectors
 * per tile row of the widest kernel; NR = CC_NVMAX * CC_VW) and the vocabulary:
 *   CC_V, CC_VW            vector type and its lane count
 *   CC_M, CC_MASK(cnt)     lane mask type; mask of the first cnt lanes (0 <= cnt <= CC_VW)
 *   CC_VLOAD(p), CC_VLOADM(p, m)            unaligned load; masked load (zero fill)
 *   CC_VSTORE(p, v), CC_VSTOREM(p, m, v)    unaligned store; masked store
 *   CC_VFMA(a, b, c) = a * b + c (one rounding), CC_VSET1(x), CC_VZERO()
 *
 * Tile: MR x (NV * CC_VW) accumulators live in registers for the whole k loop. Each k step
 * loads NV vectors of one B row and broadcasts the MR values of one packed A column
 * (a + p * MR), then does MR * NV fused multiply-adds: a rank-1 update.
 * Two operand layouts:
 *   packed (the dispatch.h contract): A column p at a + p * MR; B row p at b + p * NR,
 *            zero-filled past n (the pack.h layouts);
 *   indexed: A row i at a + i * lda (the weights read in place; rows past m repeat row
 *            m - 1 and are not stored); B row p at b + boff[p] (an input window read in
 *            place, see conv2d.template.c), lanes at or past n masked off, never read.
 * The accumulators start from C (accumulate), the bias, or zero, so a k range split over
 * several calls gives the same sums as one call: one fused chain per output element.
 * Only rows < m and columns < n of C are written.
 */

/* Full unrolling of the register-tile loops keeps the accumulators in registers. */
#ifndef CC_UNROLL
#if defined(__clang__)
#define CC_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define CC_UNROLL _Pragma("GCC unroll 32")
#else
#define CC_UNROLL
#endif
#endif

/* One instantiation of the kernel body. NV, INDEXED and LOADMASK are literal constants at
 * every call site, so each caller becomes its own fully specialised, unrolled copy. */
CC_ALWAYS_INLINE void CC_KFN(gemm_tile)(int64_t k, const TYPE *CC_RESTRICT a,
                                        const TYPE *CC_RESTRICT b,
                                        const int64_t *CC_RESTRICT boff, TYPE *CC_RESTRICT c,
                                        int64_t ldc, int64_t m, int64_t n,
                                        const TYPE *CC_RESTRICT bias, int accumulate,
                                        int64_t lda, const int NV, const int INDEXED,
                                        const int LOADMASK, const int ASTRIDED)
{
    CC_V acc[MR][CC_NVMAX];
    const TYPE *ar[MR];
    CC_M mask[CC_NVMAX];
    const int full_n = n >= (int64_t)NV * CC_VW;
    CC_UNROLL
    for (int v = 0; v < NV; ++v) {
        int64_t cnt = n - (int64_t)v * CC_VW;
        cnt = cnt < 0 ? 0 : (cnt > CC_VW ? CC_VW : cnt);
        mask[v] = CC_MASK((int)cnt);
    }
    if (accumulate) {
        CC_UNROLL
        for (int i = 0; i < MR; ++i) {
            const TYPE *ci = c + (i < m ? i : 0) * ldc;
            CC_UNROLL
            for (int v = 0; v < NV; ++v)
                acc[i][v] = i < m ? (full_n ? CC_VLOAD(ci + v * CC_VW)
                                            : CC_VLOADM(ci + v * CC_VW, mask[v]))
                                  : CC_VZERO();
        }
    } else {
        CC_UNROLL
        for (int i = 0; i < MR; ++i) {
            const CC_V b0 = (bias && i < m) ? CC_VSET1(bias[i]) : CC_VZERO();
            CC_UNROLL
            for (int v = 0; v < NV; ++v) acc[i][v] = b0;
        }
    }

    if (ASTRIDED)
        CC_UNROLL
        for (int i = 0; i < MR; ++i) ar[i] = a + (i < m ? i : m - 1) * lda;
    for (int64_t p = 0; p < k; ++p) {
        const TYPE *CC_RESTRICT brow = INDEXED ? b + boff[p] : b + p * (NV * CC_VW);
        const TYPE *CC_RESTRICT ap = a + p * MR;
        CC_V bv[CC_NVMAX];
        CC_UNROLL
        for (int v = 0; v < NV; ++v)
            bv[v] = LOADMASK ? CC_VLOADM(brow + v * CC_VW, mask[v]) : CC_VLOAD(brow + v * CC_VW);
        CC_UNROLL
        for (int i = 0; i < MR; ++i) {
            const CC_V av = CC_VSET1(ASTRIDED ? ar[i][p] : ap[i]);
            CC_UNROLL
            for (int v = 0; v < NV; ++v) acc[i][v] = CC_VFMA(av, bv[v], acc[i][v]);
        }
    }

    if (full_n && m >= MR) {
        CC_UNROLL
        for (int i = 0; i < MR; ++i)
            CC_UNROLL
            for (int v = 0; v < NV; ++v) CC_VSTORE(c + i * ldc + v * CC_VW, acc[i][v]);
    } else {
        CC_UNROLL
        for (int i = 0; i < MR; ++i) {
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
    CC_KFN(gemm_tile)(k, a, b, NULL, c, ldc, m, n, bias, accumulate, 0, CC_NVMAX, 0, 0, 0);
}

/* Indexed B and strided A (row i of A at a + i * lda, consecutive in k), NV vectors wide:
 * a full-width copy and a masked copy for a row's last tile. */
#define CC_GEMM_IND(NV)                                                                      \
    static void CC_KFN(CC_CAT(gemm_ind, NV))(int64_t k, const TYPE *a, int64_t lda,          \
                                             const TYPE *b, const int64_t *boff, TYPE *c,    \
                                             int64_t ldc, int64_t m, int64_t n,              \
                                             const TYPE *bias, int accumulate)               \
    {                                                                                        \
        if (n >= (NV) * CC_VW)                                                               \
            CC_KFN(gemm_tile)(k, a, b, boff, c, ldc, m, n, bias, accumulate, lda, NV, 1, 0, 1); \
        else                                                                                 \
            CC_KFN(gemm_tile)(k, a, b, boff, c, ldc, m, n, bias, accumulate, lda, NV, 1, 1, 1); \
    }

CC_GEMM_IND(1)
#if CC_NVMAX >= 2
CC_GEMM_IND(2)
#endif
#if CC_NVMAX >= 3
CC_GEMM_IND(3)
#endif
#if CC_NVMAX >= 4
CC_GEMM_IND(4)
#endif
#undef CC_GEMM_IND
