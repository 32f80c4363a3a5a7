/* wgrad_simd.template.c - the weight gradient of a convolution, SIMD along the output
 * pixels. Instantiated per (TYPE, target) beside gemm_simd.template.c, with its vector
 * vocabulary (CC_V, CC_VW, CC_M, CC_MASK, CC_VLOAD, CC_VLOADM, CC_VSTORE, CC_VFMA) and
 * CC_VREGS, the target's vector register count. Defines wgrad_{f32,f64}__<target> and
 * CC_HAS_WGRAD (for the table).
 *
 * The caller expands one input plane per kernel column j into xe (see cc_wgrad_geom in
 * dispatch.h): the inputs that output pixel p meets at tap (i, j) lie at
 * xe[row_off[i] + j * xj_s + p], consecutive in p like dy's pixels. So for a block of cb
 * output channels each tap is a dot product of two contiguous runs:
 *     acc[i][co][j][lane] += sum over pixels p = lane (mod VW) of dy[co][p] * xe[..tap.. + p]
 * and the caller sums the lanes. Per kernel row i the CB x KW accumulators stay in
 * registers over all the pixels; each step loads KW input vectors and CB dy vectors for
 * CB * KW fused multiply-adds. The last vector loads both operands masked (zero lanes), so
 * lanes past the end add exactly 0 * 0, whatever the memory there holds.
 *
 * KW and the block height CB are compile-time constants of each instantiation (CB is the
 * largest that fits the registers, or about half of it for a short last block); channels of
 * an instantiation past cb re-read channel 0: their accumulators change (to channel 0's sums
 * added in) and must not be read.
 */


/* Registers of a (CB, KW) instantiation: accumulators, the operands of one step, one spare. */
#define CC_WG_FITS(c, kw) ((c) * (kw) + ((c) < (kw) ? (c) : (kw)) + 2 <= CC_VREGS - 1)
#define CC_WG_CB(kw)                                                                         \
    (CC_WG_FITS(8, kw) ? 8 : CC_WG_FITS(7, kw) ? 7 : CC_WG_FITS(6, kw) ? 6                   \
     : CC_WG_FITS(5, kw) ? 5 : CC_WG_FITS(4, kw) ? 4 : CC_WG_FITS(3, kw) ? 3                 \
     : CC_WG_FITS(2, kw) ? 2 : 1)
#define CC_WG_CB_HALF(kw) ((CC_WG_CB(kw) + 1) / 2)

/* One vector of output columns: s[c][j] += dy[c] * x[j] for the CB x KW pairs. Whichever
 * of the two operand sets is smaller is held in registers while the other streams, so the
 * live registers are CB * KW + min(CB, KW) + 1. MASKED: the row's last, partial vector. */
CC_ALWAYS_INLINE void CC_KFN(wgrad_step)(CC_V s[8][CC_WGRAD_KW_MAX], const TYPE *const *rows,
                                         int64_t doff, const TYPE *CC_RESTRICT xr, int64_t xj,
                                         CC_M tail, const int MASKED, const int CB, const int KW)
{
    if (KW <= CB) {
        CC_V xv[CC_WGRAD_KW_MAX];
        CC_UNROLL
        for (int j = 0; j < KW; ++j)
            xv[j] = MASKED ? CC_VLOADM(xr + j * xj, tail) : CC_VLOAD(xr + j * xj);
        CC_UNROLL
        for (int c = 0; c < CB; ++c) {
            const CC_V dv = MASKED ? CC_VLOADM(rows[c] + doff, tail) : CC_VLOAD(rows[c] + doff);
            CC_UNROLL
            for (int j = 0; j < KW; ++j) s[c][j] = CC_VFMA(dv, xv[j], s[c][j]);
        }
    } else {
        CC_V dv[8];
        CC_UNROLL
        for (int c = 0; c < CB; ++c)
            dv[c] = MASKED ? CC_VLOADM(rows[c] + doff, tail) : CC_VLOAD(rows[c] + doff);
        CC_UNROLL
        for (int j = 0; j < KW; ++j) {
            const CC_V xv = MASKED ? CC_VLOADM(xr + j * xj, tail) : CC_VLOAD(xr + j * xj);
            CC_UNROLL
            for (int c = 0; c < CB; ++c) s[c][j] = CC_VFMA(dv[c], xv, s[c][j]);
        }
    }
}

CC_ALWAYS_INLINE void CC_KFN(wgrad_body)(const cc_wgrad_geom *g, const TYPE *CC_RESTRICT dy,
                                         int cb, const TYPE *CC_RESTRICT xe,
                                         TYPE *CC_RESTRICT acc, const int CB, const int KW,
                                         const int CBSTRIDE)
{
    const int64_t P = g->pixels, full = P / CC_VW * CC_VW, xj = g->xj_s;
    const CC_M tail = CC_MASK((int)(P - full));
    const TYPE *rows[8];
    CC_UNROLL
    for (int c = 0; c < CB; ++c) rows[c] = dy + (c < cb ? c : 0) * g->dy_cs;
    for (int64_t i = 0; i < g->kernel_h; ++i) {
        const TYPE *xr = xe + g->row_off[i];
        TYPE *a = acc + i * CBSTRIDE * KW * CC_VW;
        CC_V s[8][CC_WGRAD_KW_MAX];
        CC_UNROLL
        for (int c = 0; c < CB; ++c)
            CC_UNROLL
            for (int j = 0; j < KW; ++j) s[c][j] = CC_VLOAD(a + (c * KW + j) * CC_VW);
        int64_t p = 0;
        for (; p < full; p += CC_VW) CC_KFN(wgrad_step)(s, rows, p, xr + p, xj, tail, 0, CB, KW);
        if (p < P) CC_KFN(wgrad_step)(s, rows, p, xr + p, xj, tail, 1, CB, KW);
        CC_UNROLL
        for (int c = 0; c < CB; ++c)
            CC_UNROLL
            for (int j = 0; j < KW; ++j) CC_VSTORE(a + (c * KW + j) * CC_VW, s[c][j]);
    }
}

/* acc: KH x CC_WG_CB(KW) x KW vectors (the table's cb[KW] channels per row of taps). */
static void CC_KFN(wgrad)(const cc_wgrad_geom *g, const TYPE *dy, int cb, const TYPE *xe,
                          TYPE *acc)
{
#define CC_WG_CASE(kw)                                                                       \
    case kw:                                                                                 \
        if (cb > CC_WG_CB_HALF(kw))                                                          \
            CC_KFN(wgrad_body)(g, dy, cb, xe, acc, CC_WG_CB(kw), kw, CC_WG_CB(kw));          \
        else                                                                                 \
            CC_KFN(wgrad_body)(g, dy, cb, xe, acc, CC_WG_CB_HALF(kw), kw, CC_WG_CB(kw));     \
        break;
    switch (g->kernel_w) {
        CC_WG_CASE(1)
        CC_WG_CASE(2)
        CC_WG_CASE(3)
        CC_WG_CASE(4)
        CC_WG_CASE(5)
        CC_WG_CASE(6)
        CC_WG_CASE(7)
    default:
        break;
    }
#undef CC_WG_CASE
}

#define CC_HAS_WGRAD 1 /* this target's table lists wgrad */
