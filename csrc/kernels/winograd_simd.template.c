/* winograd_simd.template.c - the transforms of Winograd F(4x4, 3x3) and F(2x2, 3x3), SIMD
 * across channels.
 * Instantiated for float per target beside gemm_simd.template.c, with its vector
 * vocabulary (CC_V, CC_VW, CC_M, CC_MASK, CC_VLOAD(M), CC_VSTORE(M), CC_VFMA, CC_VSET1,
 * CC_VZERO). The driver is winograd.c. Defines wino_in_f32__<target>, wino_out_, wino_tr_
 * (F(4x4)), wino2_in_, wino2_out_, wino2_filter_ (F(2x2)) and CC_HAS_WINOGRAD.
 *
 * One output tile of 4x4 pixels needs a 6x6 input patch d; per (input channel, output
 * channel) pair the tile is Y = A^T [(G g G^T) .* (B^T d B)] A with (Lavin and Gray's
 * points 0, +-1, +-2):
 *   B^T = [4  0 -5  0 1 0]   G = [ 1/4    0     0  ]   A^T = [1 1  1 1  1 0]
 *         [0 -4 -4  1 1 0]       [-1/6 -1/6  -1/6 ]         [0 1 -1 2 -2 0]
 *         [0  4 -4 -1 1 0]       [-1/6  1/6  -1/6 ]         [0 1  1 4  4 0]
 *         [0 -2 -1  2 1 0]       [1/24  1/12  1/6 ]         [0 1 -1 8 -8 1]
 *         [0  2 -1 -2 1 0]       [1/24 -1/12  1/6 ]
 *         [0  4  0 -5 0 1]       [ 0     0     1  ]
 * The 36 products of one tile position xi, summed over input channels, are a GEMM (the
 * driver's); these kernels do B^T d B for every input channel of a tile (lanes = channels,
 * which the driver lays out last) and A^T m A for every output channel. Only fused
 * multiply-adds with constant factors: every lane does the same operations in the same
 * order, so the results do not depend on the lane a channel lands in.
 */

/* One 1-D input transform: w = B^T d for six vectors d (any stride apart). */
CC_ALWAYS_INLINE void CC_KFN(wino_bt)(const CC_V d[6], CC_V w[6])
{
    const CC_V four = CC_VSET1((TYPE)4), m4 = CC_VSET1((TYPE)-4), m5 = CC_VSET1((TYPE)-5);
    const CC_V two = CC_VSET1((TYPE)2), m1 = CC_VSET1((TYPE)-1), m2 = CC_VSET1((TYPE)-2);
    const CC_V a = CC_VFMA(d[2], m4, d[4]);    /* d4 - 4 d2 */
    const CC_V b = CC_VFMA(d[1], m4, d[3]);    /* d3 - 4 d1 */
    const CC_V a2 = CC_VFMA(d[2], m1, d[4]);   /* d4 - d2 */
    const CC_V b2 = CC_VFMA(d[1], m2, CC_VFMA(d[3], two, CC_VZERO())); /* 2 d3 - 2 d1 */
    w[0] = CC_VFMA(d[0], four, CC_VFMA(d[2], m5, d[4]));
    w[1] = CC_VFMA(b, CC_VSET1((TYPE)1), a);
    w[2] = CC_VFMA(b, m1, a);
    w[3] = CC_VFMA(b2, CC_VSET1((TYPE)1), a2);
    w[4] = CC_VFMA(b2, m1, a2);
    w[5] = CC_VFMA(d[1], four, CC_VFMA(d[3], m5, d[5]));
}

/* One 1-D output transform: y = A^T m for six vectors. */
CC_ALWAYS_INLINE void CC_KFN(wino_at)(const CC_V m[6], CC_V y[4])
{
    const CC_V one = CC_VSET1((TYPE)1), m1 = CC_VSET1((TYPE)-1);
    const CC_V s12 = CC_VFMA(m[2], one, m[1]), d12 = CC_VFMA(m[2], m1, m[1]);
    const CC_V s34 = CC_VFMA(m[4], one, m[3]), d34 = CC_VFMA(m[4], m1, m[3]);
    y[0] = CC_VFMA(s34, one, CC_VFMA(s12, one, m[0]));
    y[1] = CC_VFMA(d34, CC_VSET1((TYPE)2), d12);
    y[2] = CC_VFMA(s34, CC_VSET1((TYPE)4), s12);
    y[3] = CC_VFMA(d34, CC_VSET1((TYPE)8), CC_VFMA(m[5], one, d12));
}

/* ------------------------------------------------------------------ F(2x2, 3x3)
 * One output tile of 2x2 pixels from a 4x4 input patch (points 0, +-1):
 *   B^T = [1  0 -1  0]   G = [ 1    0    0 ]   A^T = [1 1  1  0]
 *         [0  1  1  0]       [1/2  1/2  1/2]         [0 1 -1 -1]
 *         [0 -1  1  0]       [1/2 -1/2  1/2]
 *         [0  1  0 -1]       [ 0    0    1 ]
 * The same lane rule as above: channels in the lanes, the same operations in every lane.
 * Subtractions are fused multiply-adds by -1 (exact, like a subtraction). */

/* w = B^T d for four vectors. */
CC_ALWAYS_INLINE void CC_KFN(wino2_bt)(const CC_V d[4], CC_V w[4])
{
    const CC_V one = CC_VSET1((TYPE)1), m1 = CC_VSET1((TYPE)-1);
    w[0] = CC_VFMA(d[2], m1, d[0]);
    w[1] = CC_VFMA(d[2], one, d[1]);
    w[2] = CC_VFMA(d[1], m1, d[2]);
    w[3] = CC_VFMA(d[3], m1, d[1]);
}

/* y = A^T m for four vectors. */
CC_ALWAYS_INLINE void CC_KFN(wino2_at)(const CC_V m[4], CC_V y[2])
{
    const CC_V one = CC_VSET1((TYPE)1), m1 = CC_VSET1((TYPE)-1);
    y[0] = CC_VFMA(m[2], one, CC_VFMA(m[1], one, m[0]));
    y[1] = CC_VFMA(m[3], m1, CC_VFMA(m[2], m1, m[1]));
}

/* u = G g for three vectors (one column or row of a filter). */
CC_ALWAYS_INLINE void CC_KFN(wino2_g)(const CC_V g[3], CC_V u[4])
{
    const CC_V half = CC_VSET1((TYPE)0.5), one = CC_VSET1((TYPE)1), m1 = CC_VSET1((TYPE)-1);
    const CC_V s = CC_VFMA(g[2], one, g[0]);
    u[0] = g[0];
    u[1] = CC_VFMA(CC_VFMA(g[1], one, s), half, CC_VZERO()); /* times 1/2: exact */
    u[2] = CC_VFMA(CC_VFMA(g[1], m1, s), half, CC_VZERO());
    u[3] = g[2];
}

/* Input transform of one patch of P x P (P = 6: F(4x4); P = 4: F(2x2)) for one vector
 * of channels: V of position xi = P r + c to v[xi * xi_s]. */
CC_ALWAYS_INLINE void CC_KFN(wino_in_vec)(const TYPE *CC_RESTRICT x, int64_t row_s,
                                          int64_t col_s, TYPE *CC_RESTRICT v, int64_t xi_s,
                                          CC_M mask, const int MASKED, const int P)
{
    CC_V t[6][6]; /* t[r][col] = (B^T d)[r][col] */
    for (int j = 0; j < P; ++j) {
        CC_V d[6], w[6];
        CC_UNROLL
        for (int r = 0; r < P; ++r) {
            const TYPE *p = x + r * row_s + j * col_s;
            d[r] = MASKED ? CC_VLOADM(p, mask) : CC_VLOAD(p);
        }
        if (P == 6)
            CC_KFN(wino_bt)(d, w);
        else
            CC_KFN(wino2_bt)(d, w);
        CC_UNROLL
        for (int r = 0; r < P; ++r) t[r][j] = w[r];
    }
    for (int r = 0; r < P; ++r) {
        CC_V w[6];
        if (P == 6)
            CC_KFN(wino_bt)(t[r], w);
        else
            CC_KFN(wino2_bt)(t[r], w);
        CC_UNROLL
        for (int c = 0; c < P; ++c) {
            TYPE *p = v + (r * P + c) * xi_s;
            if (MASKED)
                CC_VSTOREM(p, mask, w[c]);
            else
                CC_VSTORE(p, w[c]);
        }
    }
}

CC_ALWAYS_INLINE void CC_KFN(wino_in_p)(const TYPE *x, int64_t row_s, int64_t col_s,
                                        int64_t channels, TYPE *v, int64_t xi_s, const int P)
{
    int64_t c = 0;
    for (; c + CC_VW <= channels; c += CC_VW)
        CC_KFN(wino_in_vec)(x + c, row_s, col_s, v + c, xi_s, CC_MASK(CC_VW), 0, P);
    if (c < channels)
        CC_KFN(wino_in_vec)(x + c, row_s, col_s, v + c, xi_s, CC_MASK((int)(channels - c)), 1,
                            P);
}

/* Input transform of one tile: x is the patch's corner, element (r, j, channel) at
 * x[r * row_s + j * col_s + channel]; V of position xi = 6 r + c (F(4x4)) or 4 r + c
 * (F(2x2), wino2_in) goes to v[xi * xi_s + channel]. */
static void CC_KFN(wino_in)(const TYPE *x, int64_t row_s, int64_t col_s, int64_t channels,
                            TYPE *v, int64_t xi_s)
{
    CC_KFN(wino_in_p)(x, row_s, col_s, channels, v, xi_s, 6);
}
static void CC_KFN(wino2_in)(const TYPE *x, int64_t row_s, int64_t col_s, int64_t channels,
                             TYPE *v, int64_t xi_s)
{
    CC_KFN(wino_in_p)(x, row_s, col_s, channels, v, xi_s, 4);
}

/* Output transform of one tile (P x P positions -> Q x Q pixels, Q = P - 2) for one
 * vector of channels. */
CC_ALWAYS_INLINE void CC_KFN(wino_out_vec)(const TYPE *CC_RESTRICT m, int64_t xi_s,
                                           const TYPE *bias, TYPE *CC_RESTRICT y,
                                           int64_t row_s, int64_t col_s, CC_M mask,
                                           const int MASKED, const int P)
{
    const int Q = P - 2;
    CC_V t[4][6]; /* t[i][c] = (A^T m)[i][c] */
    for (int c = 0; c < P; ++c) {
        CC_V s[6], o[4];
        CC_UNROLL
        for (int r = 0; r < P; ++r) {
            const TYPE *p = m + (r * P + c) * xi_s;
            s[r] = MASKED ? CC_VLOADM(p, mask) : CC_VLOAD(p);
        }
        if (P == 6)
            CC_KFN(wino_at)(s, o);
        else
            CC_KFN(wino2_at)(s, o);
        CC_UNROLL
        for (int i = 0; i < Q; ++i) t[i][c] = o[i];
    }
    const CC_V b = bias ? (MASKED ? CC_VLOADM(bias, mask) : CC_VLOAD(bias)) : CC_VZERO();
    for (int i = 0; i < Q; ++i) {
        CC_V o[4];
        if (P == 6)
            CC_KFN(wino_at)(t[i], o);
        else
            CC_KFN(wino2_at)(t[i], o);
        CC_UNROLL
        for (int j = 0; j < Q; ++j) {
            TYPE *p = y + i * row_s + j * col_s;
            const CC_V r = CC_VFMA(o[j], CC_VSET1((TYPE)1), b);
            if (MASKED)
                CC_VSTOREM(p, mask, r);
            else
                CC_VSTORE(p, r);
        }
    }
}

CC_ALWAYS_INLINE void CC_KFN(wino_out_p)(const TYPE *m, int64_t xi_s, int64_t channels,
                                         const TYPE *bias, TYPE *y, int64_t row_s,
                                         int64_t col_s, const int P)
{
    int64_t k = 0;
    for (; k + CC_VW <= channels; k += CC_VW)
        CC_KFN(wino_out_vec)(m + k, xi_s, bias ? bias + k : NULL, y + k, row_s, col_s,
                             CC_MASK(CC_VW), 0, P);
    if (k < channels)
        CC_KFN(wino_out_vec)(m + k, xi_s, bias ? bias + k : NULL, y + k, row_s, col_s,
                             CC_MASK((int)(channels - k)), 1, P);
}

/* Output transform of one tile: the GEMM result of position xi and output channel k at
 * m[xi * xi_s + k]; pixel (i, j) of the tile (4x4 for F(4x4), 2x2 for F(2x2): wino2_out),
 * plus bias[k] (bias may be NULL), goes to y[i * row_s + j * col_s + k]. */
static void CC_KFN(wino_out)(const TYPE *m, int64_t xi_s, int64_t channels, const TYPE *bias,
                             TYPE *y, int64_t row_s, int64_t col_s)
{
    CC_KFN(wino_out_p)(m, xi_s, channels, bias, y, row_s, col_s, 6);
}
static void CC_KFN(wino2_out)(const TYPE *m, int64_t xi_s, int64_t channels, const TYPE *bias,
                              TYPE *y, int64_t row_s, int64_t col_s)
{
    CC_KFN(wino_out_p)(m, xi_s, channels, bias, y, row_s, col_s, 4);
}

/* Filter transform U = G g G^T with output channels in the lanes: the 9 taps of input
 * channel c at g[(c * 9 + tap) * g_ld + k] (k < width, a whole number of vectors) ->
 * position xi of channel c at u[xi * xi_s + c * width + k], for c < channels. */
static void CC_KFN(wino2_filter)(const TYPE *g, int64_t g_ld, int64_t channels, int64_t width,
                                 TYPE *u, int64_t xi_s)
{
    for (int64_t c = 0; c < channels; ++c)
        for (int64_t k = 0; k < width; k += CC_VW) {
            const TYPE *gc = g + c * 9 * g_ld + k;
            CC_V t[4][3]; /* t[r][j] = (G g)[r][j] */
            for (int j = 0; j < 3; ++j) {
                CC_V col[3], o[4];
                CC_UNROLL
                for (int i = 0; i < 3; ++i) col[i] = CC_VLOAD(gc + (i * 3 + j) * g_ld);
                CC_KFN(wino2_g)(col, o);
                CC_UNROLL
                for (int r = 0; r < 4; ++r) t[r][j] = o[r];
            }
            for (int r = 0; r < 4; ++r) {
                CC_V o[4];
                CC_KFN(wino2_g)(t[r], o);
                CC_UNROLL
                for (int s = 0; s < 4; ++s)
                    CC_VSTORE(u + (r * 4 + s) * xi_s + c * width + k, o[s]);
            }
        }
}

/* dst[j * dst_ld + i] = src[i * src_ld + j] for i < rows, j < cols: blocks of CC_VW x
 * CC_VW, each CC_VW row loads (masked at the last columns), an in-register transpose
 * (CC_VTRANSPOSE, where the target has one) and CC_VW column stores (masked at the last
 * rows). The driver's NCHW <-> channel-last copies; a copy, so exact. */
static void CC_KFN(wino_tr)(const TYPE *src, int64_t src_ld, int64_t rows, int64_t cols,
                            TYPE *dst, int64_t dst_ld)
{
#if defined(CC_VTRANSPOSE)
    for (int64_t i0 = 0; i0 < rows; i0 += CC_VW) {
        const int64_t ni = cc_min64(CC_VW, rows - i0);
        const CC_M imask = CC_MASK((int)ni);
        for (int64_t j0 = 0; j0 < cols; j0 += CC_VW) {
            const int64_t nj = cc_min64(CC_VW, cols - j0);
            CC_V r[CC_VW];
            if (nj == CC_VW) {
                CC_UNROLL
                for (int i = 0; i < CC_VW; ++i)
                    r[i] = i < ni ? CC_VLOAD(src + (i0 + i) * src_ld + j0) : CC_VZERO();
            } else {
                const CC_M jmask = CC_MASK((int)nj);
                CC_UNROLL
                for (int i = 0; i < CC_VW; ++i)
                    r[i] = i < ni ? CC_VLOADM(src + (i0 + i) * src_ld + j0, jmask) : CC_VZERO();
            }
            CC_VTRANSPOSE(r);
            if (ni == CC_VW) {
                for (int64_t j = 0; j < nj; ++j) CC_VSTORE(dst + (j0 + j) * dst_ld + i0, r[j]);
            } else {
                for (int64_t j = 0; j < nj; ++j)
                    CC_VSTOREM(dst + (j0 + j) * dst_ld + i0, imask, r[j]);
            }
        }
    }
#else
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) dst[j * dst_ld + i] = src[i * src_ld + j];
#endif
}

#define CC_HAS_WINOGRAD 1 /* this target's table lists the Winograd transforms */
