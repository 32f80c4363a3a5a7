/* plane_simd.template.c - depthwise convolution and pooling planes with SIMD intrinsics,
 * instantiated per (TYPE, target) beside gemm_simd.template.c, with the same vector
 * vocabulary plus:
 *   CC_VADD(a, b), CC_VDIV(a, b), CC_VMUL(a, b)
 *   CC_VQUOT(s, d, r)        s / d correctly rounded, given r = RN(1 / d) for integer d:
 *                            q = s * r, then q + (s - q * d) * r with fused operations
 *                            (Markstein's correction); non-finite s gives s * r
 *   CC_VSEL_MAX(v, cur)      (v > cur || v is NaN) ? v : cur, per lane: torch's max rule
 *                            (the first maximum stays; a NaN always replaces)
 *   CC_VLOAD_EVEN(p, lo, hi, f)  lane l = p[2 * l] where lo <= 2 * l < hi, else f;
 *                            only elements p[lo .. hi - 1] are read (hi <= 2 * CC_VW)
 *   CC_VLOAD_EO(p, e, o)     e[l] = p[2 * l], o[l] = p[2 * l + 1] (2 * CC_VW elements read)
 *   CC_EOM, CC_EO_MASK(lo, hi), CC_VLOAD_EOM(p, m, f, e, o)  the same with only the
 *                            elements p[lo .. hi - 1] read, the others f; the masks m
 *                            (type CC_EOM) made once by CC_EO_MASK
 *   CC_VSHIFT1(a, b)         lanes a[1 ..], then b[0]
 * Defines depthwise_plane_simd_{f32,f64}__<target>, max_plane_simd_..., avg_plane_simd_...
 * and CC_HAS_PLANE_SIMD, with which the table lists them instead of the generic ones.
 * (The base target has no SIMD plane kernels: its table lists the generic ones.)
 * The generic kernels (plane_generic.template.c) of this target are in scope and handle what
 * these do not: column strides other than 1, horizontal strides other than 1 and 2,
 * max pooling with indices.
 *
 * Each output row is computed CC_VW columns at a time from padded copies of the input rows
 * it reads: a small ring of row buffers on the stack, each input row copied once with its
 * left/right padding (and the slack that the last chunk reads) filled with the op's neutral
 * value (0 for sums, -inf for max), which is what skipping those taps would give. The taps
 * are then plain unaligned loads. Depthwise and max pooling take the taps in the generic
 * kernels' row-major order (same results); average pooling sums each kernel row, then the
 * row sums (shorter dependency chains; the rounding may differ from the generic kernel's
 * in the last bit), and divides through a reciprocal with one correction step, which gives
 * the correctly rounded quotient without the slow vector division. Kernel rows outside the input are skipped for the whole output row.
 * Windows that need no padding read the input rows in place; rows too wide for the ring
 * go to the generic kernels.
 */

/* Ring of padded input rows: slot s holds input row rows[s] (or -1), as columns
 * -pad_left .. at buf + s * width. */
#if defined(_MSC_VER) && !defined(__clang__)
#define CC_ALIGN64 __declspec(align(64))
#else
#define CC_ALIGN64 __attribute__((aligned(64)))
#endif
#define CC_RING_ELEMS (32768 / (int64_t)sizeof(TYPE))
#define CC_RING_SLOTS 16
typedef struct CC_FN(row_ring) {
    TYPE *buf;
    int64_t width, slots, pad_left, in_w;
    int64_t rows[CC_RING_SLOTS];
} CC_FN(row_ring);

/* Sets up the ring for a plane (every slot filled with fill, which the row copies never
 * overwrite outside the input's columns); 0 when the rows do not fit (the caller falls
 * back). span_h rows: those of one window plus the look-ahead (see ring_ahead). */
CC_ALWAYS_INLINE int CC_KFN(ring_init)(CC_FN(row_ring) *r, TYPE *buf, const cc_plane_geom *g,
                                       int64_t sw, int64_t span_h, int64_t span_w, TYPE fill)
{
    /* the last chunk reads up to column (round_up(OW, VW) - 1) * sw + span_w - 1 (+ sw - 1
     * for the every-other load) relative to -pad_left */
    /* bounds first: a dilated window can span nearly 2^63 columns */
    if (span_h > CC_RING_SLOTS || span_w > CC_RING_ELEMS || g->out_w > CC_RING_ELEMS) return 0;
    const int64_t width = cc_round_up(cc_round_up(g->out_w, CC_VW) * sw + span_w + CC_VW, CC_VW);
    if (span_h * width > CC_RING_ELEMS) return 0;
    r->buf = buf;
    r->width = width;
    r->slots = span_h;
    r->pad_left = g->pad_left < width ? g->pad_left : width;
    r->in_w = cc_max64(0, cc_min64(g->in_w, width - r->pad_left));
    const CC_V vfill = CC_VSET1(fill);
    for (int64_t k = 0; k < span_h * width; k += CC_VW) CC_VSTORE(buf + k, vfill);
    for (int64_t s = 0; s < span_h; ++s) r->rows[s] = -1;
    return 1;
}

/* Forgets the rows (a new plane); the padding fill stays. */
CC_ALWAYS_INLINE void CC_KFN(ring_reset)(CC_FN(row_ring) *r)
{
    for (int64_t s = 0; s < r->slots; ++s) r->rows[s] = -1;
}

/* Rows are copied CC_RING_AHEAD output rows before they are read: a vector load that
 * straddles two just-issued stores cannot take its data from them and waits for them to
 * reach the cache, which, on every row, cost more than the arithmetic. */
#define CC_RING_AHEAD 2

/* Look-ahead rows for windows moving by stride_h, and the slots a ring needs for windows
 * of span_h rows with that look-ahead. Both are capped past CC_RING_SLOTS (ring_init then
 * refuses, and no ring means no look-ahead): span_h and stride_h may be near 2^62, where
 * span_h + CC_RING_AHEAD * stride_h overflows int64. */
CC_ALWAYS_INLINE int64_t CC_KFN(ring_ahead_rows)(int64_t stride_h)
{
    return CC_RING_AHEAD * cc_min64(stride_h, CC_RING_SLOTS);
}
CC_ALWAYS_INLINE int64_t CC_KFN(ring_span)(int64_t span_h, int64_t ahead)
{
    return cc_min64(span_h, CC_RING_SLOTS + 1) + ahead;
}

/* Padded copy of input row ih (elements at xr, unit stride). */
CC_ALWAYS_INLINE const TYPE *CC_KFN(ring_row)(CC_FN(row_ring) *r, int64_t ih, const TYPE *xr)
{
    const int64_t s = ih % r->slots;
    TYPE *dst = r->buf + s * r->width;
    if (r->rows[s] != ih) {
        TYPE *CC_RESTRICT o = dst + r->pad_left;
        const int64_t n = r->in_w;
        int64_t k = 0;
        for (; k + CC_VW <= n; k += CC_VW) CC_VSTORE(o + k, CC_VLOAD(xr + k));
        if (k < n) {
            const CC_M m = CC_MASK((int)(n - k));
            CC_VSTOREM(o + k, m, CC_VLOADM(xr + k, m));
        }
        r->rows[s] = ih;
    }
    return dst;
}

/* Copies the input rows [h_lo, h_lo + span) that lie inside the input, ahead of use. */
CC_ALWAYS_INLINE void CC_KFN(ring_ahead)(CC_FN(row_ring) *r, const TYPE *x, int64_t xs_h,
                                         int64_t in_h, int64_t h_lo, int64_t span)
{
    const int64_t a = h_lo < 0 ? 0 : h_lo, b = h_lo + span < in_h ? h_lo + span : in_h;
    for (int64_t ih = a; ih < b; ++ih) CC_KFN(ring_row)(r, ih, x + ih * xs_h);
}

/* Taps: CC_VW consecutive (SW == 1) or every-other (SW == 2) elements from p, for cnt
 * outputs. From a ring row everything up to 2 * CC_VW elements is readable; read in
 * place (DIRECT), only the elements that the cnt outputs use are. */
CC_ALWAYS_INLINE CC_V CC_KFN(load_tap)(const TYPE *p, int64_t cnt, CC_V fill, const int SW,
                                       const int DIRECT)
{
    if (!DIRECT) return SW == 1 ? CC_VLOAD(p) : CC_VLOAD_EVEN(p, 0, 2 * CC_VW, fill);
    if (SW == 1) return cnt >= CC_VW ? CC_VLOAD(p) : CC_VLOADM(p, CC_MASK((int)cnt));
    return cnt >= CC_VW ? CC_VLOAD_EVEN(p, 0, 2 * CC_VW - 1, fill)
                        : CC_VLOAD_EVEN(p, 0, (int)(2 * cnt - 1), fill);
}

/* Rows need no padded copy when the windows never reach past the input's sides. */
CC_ALWAYS_INLINE int CC_KFN(rows_direct)(const cc_plane_geom *g, int64_t sw, int64_t span_w)
{
    return g->pad_left == 0 && (g->out_w - 1) * sw + span_w <= g->in_w;
}

CC_ALWAYS_INLINE void CC_KFN(store_run)(TYPE *p, int64_t cnt, CC_V v)
{
    if (cnt >= CC_VW) CC_VSTORE(p, v);
    else CC_VSTOREM(p, CC_MASK((int)cnt), v);
}

/* Kernel rows [*i0, *i1) whose input row h0 + i * dilation lies in [0, in_h). */
CC_ALWAYS_INLINE void CC_KFN(rows_inside)(int64_t h0, int64_t kh, int64_t dil, int64_t in_h,
                                          int64_t *i0, int64_t *i1)
{
    int64_t a = 0, b = kh;
    while (a < kh && h0 + a * dil < 0) ++a;
    while (b > a && h0 + (b - 1) * dil >= in_h) --b;
    *i0 = a;
    *i1 = b;
}

/* ------------------------------------------------------------------------ depthwise */

#define CC_DEPTHWISE_MAX_TAPS 64

CC_ALWAYS_INLINE int CC_KFN(depthwise_rows)(const cc_plane_geom *g, const TYPE *x, int64_t xs_h,
                                     const TYPE *wv, TYPE bias, TYPE *y, const int SW)
{
    const int64_t OH = g->out_h, OW = g->out_w, KH = g->kernel_h, KW = g->kernel_w;
    const int64_t dil_h = g->dilation_h, dil_w = g->dilation_w;
    CC_ALIGN64 TYPE buf[CC_RING_ELEMS];
    CC_FN(row_ring) ring = {0};
    const TYPE *prow[CC_DEPTHWISE_MAX_TAPS];
    const int direct = CC_KFN(rows_direct)(g, SW, (KW - 1) * dil_w + 1);
    const int64_t span_h = (KH - 1) * dil_h + 1, ahead = CC_KFN(ring_ahead_rows)(g->stride_h);
    if (!direct && !CC_KFN(ring_init)(&ring, buf, g, SW, CC_KFN(ring_span)(span_h, ahead),
                                      (KW - 1) * dil_w + 1, 0))
        return 0;
    const CC_V vbias = CC_VSET1(bias), zero = CC_VZERO();
    for (int64_t oh = 0; oh < OH; ++oh) {
        TYPE *CC_RESTRICT yr = y + oh * OW;
        const int64_t h0 = oh * g->stride_h - g->pad_top;
        int64_t i0, i1;
        CC_KFN(rows_inside)(h0, KH, dil_h, g->in_h, &i0, &i1);
        for (int64_t i = i0; i < i1; ++i)
            prow[i] = direct ? x + (h0 + i * dil_h) * xs_h
                             : CC_KFN(ring_row)(&ring, h0 + i * dil_h, x + (h0 + i * dil_h) * xs_h);
        if (!direct) CC_KFN(ring_ahead)(&ring, x, xs_h, g->in_h, h0 + span_h, ahead);
#define CC_DEPTHWISE_CHUNKS(DIRECT)                                                                 \
    for (int64_t ow = 0; ow < OW; ow += CC_VW) {                                             \
        CC_V acc = zero;                                                                     \
        for (int64_t i = i0; i < i1; ++i) {                                                  \
            const TYPE *pr = prow[i] + ow * SW;                                              \
            for (int64_t j = 0; j < KW; ++j)                                                 \
                acc = CC_VFMA(CC_VSET1(wv[i * KW + j]),                                      \
                              CC_KFN(load_tap)(pr + j * dil_w, OW - ow, zero, SW, DIRECT), acc); \
        }                                                                                    \
        CC_KFN(store_run)(yr + ow, OW - ow, CC_VADD(vbias, acc));                            \
    }
        if (direct) {
            CC_DEPTHWISE_CHUNKS(1)
        } else {
            CC_DEPTHWISE_CHUNKS(0)
        }
#undef CC_DEPTHWISE_CHUNKS
    }
    return 1;
}

/* 3x3 windows, stride 1, dilation 1: the taps read the input rows in place (the columns
 * outside the input load as 0, the padding, as in the ring rows) with the nine weights
 * held in registers, and CC_DEPTHWISE3_ROWS output rows at a time, so that each input row's three
 * shifted loads serve every output row that uses them. Each output is the same chain as
 * in depthwise_rows: from 0, one fused multiply-add per tap over the kernel rows inside the input
 * in row-major order, then bias + chain; the results are identical. Only the first and
 * last vectors of a row can reach past its sides (their lanes' bounds are made once per
 * plane); 0 when more would (very narrow rows or wide padding: the caller falls back). */
#ifndef CC_DEPTHWISE3_ROWS
#define CC_DEPTHWISE3_ROWS 2
#endif
#define CC_DEPTHWISE3_EDGES 4

/* One vector of output columns at ow for output rows oh0 .. oh0 + R - 1 whose windows all
 * lie inside the input rows (R literal), or, with R == 1, one row whose kernel rows
 * [i0, i1) do. xr: input row h0 + i0 at column ow - pad_left; lh: the lanes' bounds per
 * tap when this vector reaches past the row's sides, else NULL. */
CC_ALWAYS_INLINE void CC_KFN(depthwise3_vec)(const TYPE *xr, int64_t xs_h, const CC_V wr[9],
                                      CC_V vbias, TYPE *yr, int64_t ys_h, int64_t cnt,
                                      const int (*lh)[2], int64_t i0, int64_t i1, const int R)
{
    const CC_V zero = CC_VZERO();
    CC_V acc[CC_DEPTHWISE3_ROWS];
    CC_UNROLL
    for (int o = 0; o < R; ++o) acc[o] = zero;
    const int64_t nr = R == 1 ? i1 - i0 : R + 2;
    for (int64_t r = 0; r < nr; ++r) {
        const TYPE *p = xr + r * xs_h;
        CC_V t[3];
        CC_UNROLL
        for (int j = 0; j < 3; ++j)
            t[j] = lh ? CC_VLOADR(p + j, lh[j][0], lh[j][1], zero) : CC_VLOAD(p + j);
        if (R == 1) {
            const CC_V *wi = wr + 3 * (i0 + r);
            acc[0] = CC_VFMA(wi[0], t[0], acc[0]);
            acc[0] = CC_VFMA(wi[1], t[1], acc[0]);
            acc[0] = CC_VFMA(wi[2], t[2], acc[0]);
            continue;
        }
        /* output row o takes this input row as its kernel row r - o */
        CC_UNROLL
        for (int o = 0; o < R; ++o) {
            const int64_t i = r - o;
            if (i < 0 || i > 2) continue;
            acc[o] = CC_VFMA(wr[3 * i], t[0], acc[o]);
            acc[o] = CC_VFMA(wr[3 * i + 1], t[1], acc[o]);
            acc[o] = CC_VFMA(wr[3 * i + 2], t[2], acc[o]);
        }
    }
    CC_UNROLL
    for (int o = 0; o < R; ++o) CC_KFN(store_run)(yr + o * ys_h, cnt, CC_VADD(vbias, acc[o]));
}

/* The vectors of output columns that reach past the input row's sides: the first n_left
 * of the n edge ones, then the interior [v_lo, v_hi), then the rest; lohi: their lanes'
 * bounds per tap. */
typedef struct CC_FN(dw3_edges) {
    int n, n_left;
    int64_t v_lo, v_hi, ow[CC_DEPTHWISE3_EDGES];
    int lohi[CC_DEPTHWISE3_EDGES][3][2];
} CC_FN(dw3_edges);

/* Output rows [oh, oh + R) (R literal, all their kernel rows inside the input) or, R == 1,
 * one row taking kernel rows [i0, i1); xr: input row oh - pad_top + i0 at column -pad_left. */
CC_ALWAYS_INLINE void CC_KFN(depthwise3_rows)(const TYPE *xr, int64_t xs_h, const CC_V wr[9], CC_V vbias,
                                       TYPE *yr, int64_t OW, const CC_FN(dw3_edges) *ed,
                                       int64_t i0, int64_t i1, const int R)
{
    for (int e = 0; e < ed->n_left; ++e)
        CC_KFN(depthwise3_vec)(xr + ed->ow[e], xs_h, wr, vbias, yr + ed->ow[e], OW, OW - ed->ow[e],
                        (const int(*)[2])ed->lohi[e], i0, i1, R);
    for (int64_t ow = ed->v_lo; ow < ed->v_hi; ow += CC_VW)
        CC_KFN(depthwise3_vec)(xr + ow, xs_h, wr, vbias, yr + ow, OW, OW - ow, NULL, i0, i1, R);
    for (int e = ed->n_left; e < ed->n; ++e)
        CC_KFN(depthwise3_vec)(xr + ed->ow[e], xs_h, wr, vbias, yr + ed->ow[e], OW, OW - ed->ow[e],
                        (const int(*)[2])ed->lohi[e], i0, i1, R);
}

static int CC_KFN(depthwise3_s1)(const cc_plane_geom *g, const TYPE *x, int64_t xs_h, const TYPE *wv,
                          TYPE bias, TYPE *y)
{
    const int64_t OH = g->out_h, OW = g->out_w, H = g->in_h, W = g->in_w;
    const int64_t pl = g->pad_left, pt = g->pad_top, OWV = cc_round_up(OW, CC_VW);
    const int R = CC_DEPTHWISE3_ROWS;
    CC_FN(dw3_edges) ed;
    ed.n = 0;
    for (int64_t ow = 0; ow < OWV; ow += CC_VW) {
        const int64_t c0 = ow - pl;
        if (c0 >= 0 && c0 + 2 + CC_VW <= W) continue;
        if (ed.n == CC_DEPTHWISE3_EDGES) return 0;
        for (int j = 0; j < 3; ++j) {
            const int64_t c = c0 + j;
            const int lo = (int)cc_max64(0, cc_min64(CC_VW, -c));
            ed.lohi[ed.n][j][0] = lo;
            ed.lohi[ed.n][j][1] = (int)cc_max64(lo, cc_min64(CC_VW, W - c));
        }
        ed.ow[ed.n++] = ow;
    }
    /* the edges are a run at each end */
    ed.n_left = 0;
    while (ed.n_left < ed.n && ed.ow[ed.n_left] == (int64_t)ed.n_left * CC_VW) ++ed.n_left;
    ed.v_lo = (int64_t)ed.n_left * CC_VW;
    ed.v_hi = ed.n_left < ed.n ? ed.ow[ed.n_left] : OWV;
    for (int e = ed.n_left; e < ed.n; ++e)
        if (ed.ow[e] != ed.v_hi + (int64_t)(e - ed.n_left) * CC_VW) return 0;
    CC_V wr[9];
    for (int k = 0; k < 9; ++k) wr[k] = CC_VSET1(wv[k]);
    const CC_V vbias = CC_VSET1(bias);
    int64_t oh = 0;
    while (oh < OH) {
        const int64_t h0 = oh - pt;
        TYPE *yr = y + oh * OW;
        if (oh + R <= OH && h0 >= 0 && h0 + R + 2 <= H) {
            CC_KFN(depthwise3_rows)(x + h0 * xs_h - pl, xs_h, wr, vbias, yr, OW, &ed, 0, 3, R);
            oh += R;
            continue;
        }
        int64_t i0, i1;
        CC_KFN(rows_inside)(h0, 3, 1, H, &i0, &i1);
        if (i0 < i1) {
            CC_KFN(depthwise3_rows)(x + (h0 + i0) * xs_h - pl, xs_h, wr, vbias, yr, OW, &ed, i0, i1, 1);
        } else { /* no kernel row inside: bias + 0 */
            const CC_V vb = CC_VADD(vbias, CC_VZERO());
            for (int64_t ow = 0; ow < OW; ow += CC_VW) CC_KFN(store_run)(yr + ow, OW - ow, vb);
        }
        ++oh;
    }
    return 1;
}

static void CC_KFN(depthwise_plane_simd)(const cc_plane_geom *g, const TYPE *x, int64_t xs_h,
                                  int64_t xs_w, const TYPE *w, int64_t ws_h, int64_t ws_w,
                                  TYPE bias, TYPE *y)
{
    TYPE wv[CC_DEPTHWISE_MAX_TAPS];
    const int64_t KH = g->kernel_h, KW = g->kernel_w;
    int done = 0;
    if (xs_w == 1 && (g->stride_w == 1 || g->stride_w == 2) && KH * KW <= CC_DEPTHWISE_MAX_TAPS) {
        for (int64_t i = 0; i < KH; ++i)
            for (int64_t j = 0; j < KW; ++j) wv[i * KW + j] = w[i * ws_h + j * ws_w];
        if (KH == 3 && KW == 3 && g->stride_w == 1 && g->stride_h == 1 &&
            g->dilation_h == 1 && g->dilation_w == 1)
            done = CC_KFN(depthwise3_s1)(g, x, xs_h, wv, bias, y);
        if (!done)
            done = g->stride_w == 1 ? CC_KFN(depthwise_rows)(g, x, xs_h, wv, bias, y, 1)
                                    : CC_KFN(depthwise_rows)(g, x, xs_h, wv, bias, y, 2);
    }
    if (!done) CC_KFN(depthwise_plane)(g, x, xs_h, xs_w, w, ws_h, ws_w, bias, y);
}

/* ---------------------------------------------------------------------- max pooling */

CC_ALWAYS_INLINE int CC_KFN(max_rows)(const cc_plane_geom *g, const TYPE *xbase,
                                      const cc_plane_range *rg, TYPE *ybase, const int SW)
{
    const int64_t OH = g->out_h, OW = g->out_w, KH = g->kernel_h, KW = g->kernel_w;
    const int64_t dil_h = g->dilation_h, dil_w = g->dilation_w, xs_h = rg->xs_h;
    const TYPE ninf_s = -(TYPE)INFINITY;
    CC_ALIGN64 TYPE buf[CC_RING_ELEMS];
    CC_FN(row_ring) ring = {0};
    const TYPE *prow[CC_RING_SLOTS];
    const int direct = CC_KFN(rows_direct)(g, SW, (KW - 1) * dil_w + 1);
    const int64_t span_h = (KH - 1) * dil_h + 1, ahead = CC_KFN(ring_ahead_rows)(g->stride_h);
    if (KH > CC_RING_SLOTS ||
        (!direct && !CC_KFN(ring_init)(&ring, buf, g, SW, CC_KFN(ring_span)(span_h, ahead),
                                       (KW - 1) * dil_w + 1, ninf_s)))
        return 0;
    const CC_V ninf = CC_VSET1(ninf_s);
    for (int64_t t = rg->first; t < rg->first + rg->count; ++t) {
        const TYPE *x = xbase + (t / rg->channels) * rg->xs_n + (t % rg->channels) * rg->xs_c;
        TYPE *y = ybase + t * OH * OW;
        if (!direct) CC_KFN(ring_reset)(&ring);
        for (int64_t oh = 0; oh < OH; ++oh) {
            TYPE *CC_RESTRICT yr = y + oh * OW;
            const int64_t h0 = oh * g->stride_h - g->pad_top;
            int64_t i0, i1;
            CC_KFN(rows_inside)(h0, KH, dil_h, g->in_h, &i0, &i1);
            for (int64_t i = i0; i < i1; ++i)
                prow[i] = direct ? x + (h0 + i * dil_h) * xs_h
                                 : CC_KFN(ring_row)(&ring, h0 + i * dil_h, x + (h0 + i * dil_h) * xs_h);
            if (!direct) CC_KFN(ring_ahead)(&ring, x, xs_h, g->in_h, h0 + span_h, ahead);
#define CC_MAX_CHUNKS(DIRECT)                                                                \
    for (int64_t ow = 0; ow < OW; ow += CC_VW) {                                             \
        CC_V best = ninf;                                                                    \
        for (int64_t i = i0; i < i1; ++i) {                                                  \
            const TYPE *pr = prow[i] + ow * SW;                                              \
            for (int64_t j = 0; j < KW; ++j)                                                 \
                best = CC_VSEL_MAX(CC_KFN(load_tap)(pr + j * dil_w, OW - ow, ninf, SW, DIRECT),  \
                                   best);                                                    \
        }                                                                                    \
        CC_KFN(store_run)(yr + ow, OW - ow, best);                                           \
    }
            if (direct) {
                CC_MAX_CHUNKS(1)
            } else {
                CC_MAX_CHUNKS(0)
            }
#undef CC_MAX_CHUNKS
        }
    }
    return 1;
}

/* Windows 2 or 3 (KWC) columns wide moving by 2 columns, dilation 1: separable. Each input
 * row's horizontal window maxima are made once (the row is loaded as pairs of vectors split
 * into its even and odd columns: a window's columns are even, odd, and, 3 wide, the next
 * even, which is the even vector moved by one lane) and kept for every output row whose
 * window takes that row; an output is then the maximum of its window's row maxima. Taken
 * in order with CC_VSEL_MAX (strictly greater replaces, a NaN always does), this gives
 * what the row-major tap order gives: the last NaN of the window if there is one, else
 * the window's first maximum (first row holding it, first column in that row). Columns
 * outside the input load as -inf, kernel rows outside it are skipped, as in max_rows.
 * The rows are read in place. 3 rows moving by 2 (the usual 3x3 stride-2 pooling) take
 * one window's two new rows together, their maxima staying in registers, and keep only the
 * last one's for the window below. 0 when the row maxima do not fit or more vectors than
 * CC_EO_EDGES reach past the sides (the caller falls back). */

/* The vectors of a row that reach past its sides: the first n_left ones and those from
 * k_right on, with the masks of their loads (at most CC_EO_EDGES, which covers padding up
 * to 2 * CC_VW - 1 on each side). */
#define CC_EO_EDGES 4
typedef struct CC_FN(eo_edges) {
    int64_t W, pl, n_left, k_right;
    CC_EOM m[CC_EO_EDGES];
} CC_FN(eo_edges);

/* The even and odd columns of output vector k's windows (columns 2 * k * CC_VW - pl ...). */
CC_ALWAYS_INLINE void CC_KFN(eo_at)(const TYPE *xr, int64_t k, const CC_FN(eo_edges) *ed,
                                    CC_V ninf, CC_V *e, CC_V *o)
{
    const TYPE *p = xr + 2 * k * CC_VW - ed->pl;
    if (k >= ed->n_left && k < ed->k_right) {
        CC_VLOAD_EO(p, *e, *o);
    } else {
        const int64_t i = k < ed->n_left ? k : ed->n_left + k - ed->k_right;
        CC_VLOAD_EOM(p, ed->m[i], ninf, *e, *o);
    }
}

/* The horizontal window maxima of output vector k of a row. KWC == 3: (*e, *o) hold
 * vector k's columns on entry and the next vector's on return (past the last vector, only
 * the even column that its windows take). */
CC_ALWAYS_INLINE CC_V CC_KFN(hmax_step)(const TYPE *xr, int64_t k, int64_t nk,
                                        const CC_FN(eo_edges) *ed, CC_V ninf, CC_V *e, CC_V *o,
                                        const int KWC)
{
    if (KWC == 2) {
        CC_KFN(eo_at)(xr, k, ed, ninf, e, o);
        return CC_VSEL_MAX(*o, *e); /* e: the first tap replaces the -inf start */
    }
    CC_V en, on = ninf;
    if (k + 1 < nk) {
        CC_KFN(eo_at)(xr, k + 1, ed, ninf, &en, &on);
    } else {
        const int64_t c = 2 * (k + 1) * CC_VW - ed->pl;
        en = c >= 0 && c < ed->W ? CC_VSET1(xr[c]) : ninf;
    }
    const CC_V m = CC_VSEL_MAX(CC_VSHIFT1(*e, en), CC_VSEL_MAX(*o, *e));
    *e = en;
    *o = on;
    return m;
}

static int CC_KFN(max_s2)(const cc_plane_geom *g, const TYPE *xbase, const cc_plane_range *rg,
                          TYPE *ybase, const int KWC)
{
    const int64_t OH = g->out_h, OW = g->out_w, H = g->in_h, W = g->in_w, KH = g->kernel_h;
    const int64_t OWV = cc_round_up(OW, CC_VW), xs_h = rg->xs_h, pl = g->pad_left;
    CC_ALIGN64 TYPE hbuf[CC_RING_ELEMS];
    int64_t tag[CC_RING_SLOTS];
    const TYPE *rows[CC_RING_SLOTS];
    /* the row maxima of input row ih are kept in slot ih % KH: the KH rows of a window are
     * in distinct slots */
    if (KH > CC_RING_SLOTS || OW > CC_RING_ELEMS || KH * OWV > CC_RING_ELEMS) return 0;
    const int64_t nk = OWV / CC_VW;
    CC_FN(eo_edges) ed;
    ed.W = W;
    ed.pl = pl;
    ed.n_left = 0;
    ed.k_right = nk;
    int n_edge = 0;
    for (int64_t k = 0; k < nk; ++k) {
        const int64_t c0 = 2 * k * CC_VW - pl;
        if (c0 >= 0 && c0 + 2 * CC_VW <= W) { /* inside: the run [n_left, k_right) */
            if (ed.k_right < nk) return 0;
            continue;
        }
        if (n_edge == CC_EO_EDGES) return 0;
        const int64_t lo = cc_max64(0, cc_min64(2 * CC_VW, -c0));
        const int64_t hi = cc_max64(lo, cc_min64(2 * CC_VW, W - c0));
        ed.m[n_edge++] = CC_EO_MASK((int)lo, (int)hi);
        if (k == ed.n_left) ++ed.n_left;
        else if (ed.k_right == nk) ed.k_right = k;
    }
    const CC_V ninf = CC_VSET1(-(TYPE)INFINITY);
    const int fuse = KH == 3 && g->stride_h == 2, pair = KH == 2 && g->stride_h == 2;
    for (int64_t t = rg->first; t < rg->first + rg->count; ++t) {
        const TYPE *x = xbase + (t / rg->channels) * rg->xs_n + (t % rg->channels) * rg->xs_c;
        TYPE *y = ybase + t * OH * OW;
        for (int64_t s = 0; s < KH; ++s) tag[s] = -1;
        for (int64_t oh = 0; oh < OH; ++oh) {
            TYPE *CC_RESTRICT yr = y + oh * OW;
            const int64_t h0 = oh * g->stride_h - g->pad_top;
            int64_t i0, i1;
            CC_KFN(rows_inside)(h0, KH, 1, H, &i0, &i1);
            if (fuse && i0 == 0 && i1 == 3 && tag[h0 % 3] == h0) {
                /* 3 rows, the first one's maxima kept from the window above: the other two
                 * are made here, the last one kept for the window below */
                const TYPE *x1 = x + (h0 + 1) * xs_h, *x2 = x1 + xs_h;
                const TYPE *h0r = hbuf + (h0 % 3) * OWV;
                TYPE *h2r = hbuf + ((h0 + 2) % 3) * OWV;
                CC_V e1 = ninf, o1 = ninf, e2 = ninf, o2 = ninf;
                if (KWC == 3) {
                    CC_KFN(eo_at)(x1, 0, &ed, ninf, &e1, &o1);
                    CC_KFN(eo_at)(x2, 0, &ed, ninf, &e2, &o2);
                }
                for (int64_t k = 0; k < nk; ++k) {
                    const int64_t ow = k * CC_VW;
                    const CC_V m1 = CC_KFN(hmax_step)(x1, k, nk, &ed, ninf, &e1, &o1, KWC);
                    const CC_V m2 = CC_KFN(hmax_step)(x2, k, nk, &ed, ninf, &e2, &o2, KWC);
                    CC_VSTORE(h2r + ow, m2);
                    CC_KFN(store_run)(yr + ow, OW - ow,
                                      CC_VSEL_MAX(m2, CC_VSEL_MAX(m1, CC_VLOAD(h0r + ow))));
                }
                tag[(h0 + 2) % 3] = h0 + 2;
                continue;
            }
            if (pair && i0 == 0 && i1 == 2) {
                /* 2 rows moving by 2 (2x2 stride 2): windows share no row, so both rows'
                 * maxima stay in registers */
                const TYPE *x1 = x + h0 * xs_h, *x2 = x1 + xs_h;
                CC_V e1 = ninf, o1 = ninf, e2 = ninf, o2 = ninf;
                if (KWC == 3) {
                    CC_KFN(eo_at)(x1, 0, &ed, ninf, &e1, &o1);
                    CC_KFN(eo_at)(x2, 0, &ed, ninf, &e2, &o2);
                }
                for (int64_t k = 0; k < nk; ++k) {
                    const CC_V m1 = CC_KFN(hmax_step)(x1, k, nk, &ed, ninf, &e1, &o1, KWC);
                    const CC_V m2 = CC_KFN(hmax_step)(x2, k, nk, &ed, ninf, &e2, &o2, KWC);
                    CC_KFN(store_run)(yr + k * CC_VW, OW - k * CC_VW, CC_VSEL_MAX(m2, m1));
                }
                continue;
            }
            for (int64_t i = i0; i < i1; ++i) {
                const int64_t ih = h0 + i, s = ih % KH;
                TYPE *h = hbuf + s * OWV;
                if (tag[s] != ih) {
                    const TYPE *xr = x + ih * xs_h;
                    CC_V e = ninf, o = ninf;
                    if (KWC == 3) CC_KFN(eo_at)(xr, 0, &ed, ninf, &e, &o);
                    for (int64_t k = 0; k < nk; ++k)
                        CC_VSTORE(h + k * CC_VW, CC_KFN(hmax_step)(xr, k, nk, &ed, ninf, &e, &o, KWC));
                    tag[s] = ih;
                }
                rows[i - i0] = h;
            }
            const int64_t nr = i1 - i0;
            for (int64_t ow = 0; ow < OW; ow += CC_VW) {
                CC_V m = ninf;
                if (nr > 0) m = CC_VLOAD(rows[0] + ow); /* replaces the -inf start */
                for (int64_t r = 1; r < nr; ++r) m = CC_VSEL_MAX(CC_VLOAD(rows[r] + ow), m);
                CC_KFN(store_run)(yr + ow, OW - ow, m);
            }
        }
    }
    return 1;
}

static void CC_KFN(max_plane_simd)(const cc_plane_geom *g, const TYPE *x,
                                   const cc_plane_range *r, TYPE *y, int64_t *indices)
{
    int done = 0;
    if (!indices && r->xs_w == 1 && g->stride_w == 2 && g->dilation_w == 1 &&
        g->dilation_h == 1 && (g->kernel_w == 2 || g->kernel_w == 3))
        done = g->kernel_w == 3 ? CC_KFN(max_s2)(g, x, r, y, 3) : CC_KFN(max_s2)(g, x, r, y, 2);
    if (!done && !indices && r->xs_w == 1 && (g->stride_w == 1 || g->stride_w == 2))
        done = g->stride_w == 1 ? CC_KFN(max_rows)(g, x, r, y, 1)
                                : CC_KFN(max_rows)(g, x, r, y, 2);
    if (!done) CC_KFN(max_plane)(g, x, r, y, indices);
}

/* ---------------------------------------------------------------------- avg pooling */

/* Per output column ow: the window width inside the padded bounds (pool_w) and inside the
 * input (valid_w), the two factors of torch's divisors. An all-padding window sums to 0;
 * its valid_w of 0 becomes 1 so that the quotient is 0, not NaN. */
CC_ALWAYS_INLINE void CC_KFN(avg_widths)(const cc_plane_geom *g, int64_t n, TYPE *pool_w,
                                         TYPE *valid_w)
{
    const int64_t W = g->in_w;
    for (int64_t k = 0; k < n; ++k) {
        const int64_t ws = k * g->stride_w - g->pad_left;
        const int64_t we = cc_min64(ws + g->kernel_w, W + g->pad_right);
        const int64_t vw = cc_min64(we, W) - cc_max64(ws, 0);
        pool_w[k] = (TYPE)(we - ws);
        valid_w[k] = (TYPE)(vw > 0 ? vw : 1);
    }
}

/* The divisors of an output row with row factor rf (0: divisor_override) and their
 * reciprocals, for columns [0, OW) rounded up to whole vectors. */
CC_ALWAYS_INLINE void CC_KFN(avg_divisors)(const cc_plane_geom *g, int64_t OW, int64_t rf,
                                           const TYPE *pool_w, const TYPE *valid_w, TYPE *divs,
                                           TYPE *rcps)
{
    const CC_V hfac = CC_VSET1((TYPE)rf), vover = CC_VSET1((TYPE)g->divisor_override);
    const CC_V one = CC_VSET1((TYPE)1);
    const TYPE *wfac = g->count_include_pad ? pool_w : valid_w;
    for (int64_t ow = 0; ow < OW; ow += CC_VW) {
        const CC_V dv = g->divisor_override ? vover : CC_VMUL(hfac, CC_VLOAD(wfac + ow));
        CC_VSTORE(divs + ow, dv);
        CC_VSTORE(rcps + ow, CC_VDIV(one, dv));
    }
}

#define CC_AVG_MAX_W 2048

CC_ALWAYS_INLINE int CC_KFN(avg_rows)(const cc_plane_geom *g, const TYPE *xbase,
                                      const cc_plane_range *rg, TYPE *ybase, const int SW,
                                      const int KWC)
{
    const int64_t OH = g->out_h, OW = g->out_w, H = g->in_h, KH = g->kernel_h, xs_h = rg->xs_h;
    const int64_t KW = KWC ? KWC : g->kernel_w; /* a literal width unrolls the tap loop */
    CC_ALIGN64 TYPE buf[CC_RING_ELEMS];
    CC_FN(row_ring) ring = {0};
    const TYPE *prow[CC_RING_SLOTS];
    /* per column: the two width factors of the divisor (see avg_widths), then, for the
     * current row factor, the divisors and their reciprocals */
    CC_ALIGN64 TYPE pool_w[CC_AVG_MAX_W + CC_VW], valid_w[CC_AVG_MAX_W + CC_VW];
    CC_ALIGN64 TYPE divs[CC_AVG_MAX_W + CC_VW], rcps[CC_AVG_MAX_W + CC_VW];
    const int direct = CC_KFN(rows_direct)(g, SW, KW);
    const int64_t ahead = CC_KFN(ring_ahead_rows)(g->stride_h);
    /* prow holds the KH rows of a window, direct or not */
    if (KH > CC_RING_SLOTS || OW > CC_AVG_MAX_W ||
        (!direct && !CC_KFN(ring_init)(&ring, buf, g, SW, CC_KFN(ring_span)(KH, ahead), KW, 0)))
        return 0;
    CC_KFN(avg_widths)(g, OW, pool_w, valid_w);
    for (int64_t k = OW; k < OW + CC_VW; ++k) pool_w[k] = valid_w[k] = 1; /* unused lanes */
    const CC_V zero = CC_VZERO();
    const int over = g->divisor_override != 0;
    int64_t row_factor = -1; /* the row factor that divs / rcps hold */
    for (int64_t t = rg->first; t < rg->first + rg->count; ++t) {
        const TYPE *x = xbase + (t / rg->channels) * rg->xs_n + (t % rg->channels) * rg->xs_c;
        TYPE *y = ybase + t * OH * OW;
        if (!direct) CC_KFN(ring_reset)(&ring);
        for (int64_t oh = 0; oh < OH; ++oh) {
            TYPE *CC_RESTRICT yr = y + oh * OW;
            int64_t hs = oh * g->stride_h - g->pad_top;
            int64_t he = cc_min64(hs + KH, H + g->pad_bottom);
            const int64_t pool_h = he - hs;
            hs = cc_max64(hs, 0);
            he = cc_min64(he, H);
            if (hs >= he) {
                for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = 0;
                continue;
            }
            for (int64_t ih = hs; ih < he; ++ih)
                prow[ih - hs] = direct ? x + ih * xs_h : CC_KFN(ring_row)(&ring, ih, x + ih * xs_h);
            if (!direct)
                CC_KFN(ring_ahead)(&ring, x, xs_h, H, oh * g->stride_h - g->pad_top + KH, ahead);
            /* divisor = override, or a row factor times a column factor (exact integers); a
             * quotient is sum * (1 / divisor) corrected once, the correctly rounded sum / divisor
             * (see CC_VQUOT), without a division per output */
            const int64_t rf = over ? 0 : g->count_include_pad ? pool_h : he - hs;
            if (rf != row_factor) {
                CC_KFN(avg_divisors)(g, OW, rf, pool_w, valid_w, divs, rcps);
                row_factor = rf;
            }
#define CC_AVG_CHUNKS(DIRECT)                                                                \
    for (int64_t ow = 0; ow < OW; ow += CC_VW) {                                             \
        CC_V sum = zero;                                                                     \
        for (int64_t r = 0; r < he - hs; ++r) {                                              \
            const TYPE *pr = prow[r] + ow * SW;                                              \
            CC_V rsum = CC_KFN(load_tap)(pr, OW - ow, zero, SW, DIRECT);                     \
            for (int64_t j = 1; j < KW; ++j)                                                 \
                rsum = CC_VADD(rsum, CC_KFN(load_tap)(pr + j, OW - ow, zero, SW, DIRECT));   \
            sum = CC_VADD(sum, rsum);                                                        \
        }                                                                                    \
        CC_KFN(store_run)(yr + ow, OW - ow,                                                  \
                          CC_VQUOT(sum, CC_VLOAD(divs + ow), CC_VLOAD(rcps + ow)));          \
        }
            if (direct) {
                CC_AVG_CHUNKS(1)
            } else {
                CC_AVG_CHUNKS(0)
            }
#undef CC_AVG_CHUNKS
        }
    }
    return 1;
}

/* 3x3 windows, stride 1 (padding <= 1): each input row's horizontal 3-sums are made once
 * and kept for the three output rows that use them; an output row then adds three sums.
 * The operations per output are those of avg_rows (the same tap order, the same start
 * from zero, the same divisors and quotient), so the results are identical; only the
 * repeated horizontal sums are gone. The rows are read in place, the columns outside the
 * input loaded as 0. 0 when the rows are too wide (the caller falls back). */
static int CC_KFN(avg3_s1)(const cc_plane_geom *g, const TYPE *xbase, const cc_plane_range *rg,
                           TYPE *ybase)
{
    const int64_t OH = g->out_h, OW = g->out_w, H = g->in_h, W = g->in_w, xs_h = rg->xs_h;
    const int64_t OWV = cc_round_up(OW, CC_VW), pl = g->pad_left;
    const CC_V zero = CC_VZERO();
    CC_ALIGN64 TYPE hsum[3][CC_AVG_MAX_W + CC_VW];
    CC_ALIGN64 TYPE pool_w[CC_AVG_MAX_W + CC_VW], valid_w[CC_AVG_MAX_W + CC_VW];
    CC_ALIGN64 TYPE divs[CC_AVG_MAX_W + CC_VW], rcps[CC_AVG_MAX_W + CC_VW];
    int64_t tag[3];
    if (OW > CC_AVG_MAX_W) return 0;
    CC_KFN(avg_widths)(g, OW, pool_w, valid_w);
    for (int64_t k = OW; k < OW + CC_VW; ++k) pool_w[k] = valid_w[k] = 1; /* unused lanes */
    /* per vector of output columns: -1 when its three taps lie inside the input, else the
     * index of its lanes' bounds in lohi (at most two such vectors: the first and the last
     * ones, for padding <= 1 and kernel width 3) */
    int edge[CC_AVG_MAX_W / CC_VW + 1], n_edge = 0;
    int lohi[4][3][2];
    for (int64_t ow = 0; ow < OWV; ow += CC_VW) {
        const int64_t c0 = ow - pl;
        if (c0 >= 0 && c0 + 2 + CC_VW <= W) {
            edge[ow / CC_VW] = -1;
            continue;
        }
        if (n_edge == 4) return 0;
        for (int j = 0; j < 3; ++j) {
            const int64_t c = c0 + j;
            const int lo = (int)cc_max64(0, cc_min64(CC_VW, -c));
            lohi[n_edge][j][0] = lo;
            lohi[n_edge][j][1] = (int)cc_max64(lo, cc_min64(CC_VW, W - c));
        }
        edge[ow / CC_VW] = n_edge++;
    }
    const int over = g->divisor_override != 0;
    int64_t row_factor = -1;
    for (int64_t t = rg->first; t < rg->first + rg->count; ++t) {
        const TYPE *x = xbase + (t / rg->channels) * rg->xs_n + (t % rg->channels) * rg->xs_c;
        TYPE *y = ybase + t * OH * OW;
        tag[0] = tag[1] = tag[2] = -1;
        for (int64_t oh = 0; oh < OH; ++oh) {
            TYPE *CC_RESTRICT yr = y + oh * OW;
            int64_t hs = oh - g->pad_top;
            int64_t he = cc_min64(hs + 3, H + g->pad_bottom);
            const int64_t pool_h = he - hs;
            hs = cc_max64(hs, 0);
            he = cc_min64(he, H);
            if (hs >= he) {
                for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = 0;
                continue;
            }
            const TYPE *rows[3];
            for (int64_t ih = hs; ih < he; ++ih) {
                TYPE *h3 = hsum[ih % 3];
                if (tag[ih % 3] != ih) {
                    /* read in place (a copy would stall the unaligned loads that follow
                     * it); columns outside the input load as 0, the padding */
                    const TYPE *xr = x + ih * xs_h - pl;
                    for (int64_t ow = 0; ow < OWV; ow += CC_VW) {
                        const int e = edge[ow / CC_VW];
                        CC_V tap[3];
                        if (e < 0) {
                            tap[0] = CC_VLOAD(xr + ow);
                            tap[1] = CC_VLOAD(xr + ow + 1);
                            tap[2] = CC_VLOAD(xr + ow + 2);
                        } else {
                            CC_UNROLL
                            for (int j = 0; j < 3; ++j)
                                tap[j] = CC_VLOADR(xr + ow + j, lohi[e][j][0], lohi[e][j][1], zero);
                        }
                        CC_VSTORE(h3 + ow, CC_VADD(CC_VADD(tap[0], tap[1]), tap[2]));
                    }
                    tag[ih % 3] = ih;
                }
                rows[ih - hs] = h3;
            }
            const int64_t rf = over ? 0 : g->count_include_pad ? pool_h : he - hs;
            if (rf != row_factor) {
                CC_KFN(avg_divisors)(g, OW, rf, pool_w, valid_w, divs, rcps);
                row_factor = rf;
            }
            const int64_t nr = he - hs;
            for (int64_t ow = 0; ow < OW; ow += CC_VW) {
                CC_V sum = CC_VADD(zero, CC_VLOAD(rows[0] + ow));
                if (nr > 1) sum = CC_VADD(sum, CC_VLOAD(rows[1] + ow));
                if (nr > 2) sum = CC_VADD(sum, CC_VLOAD(rows[2] + ow));
                CC_KFN(store_run)(yr + ow, OW - ow,
                                  CC_VQUOT(sum, CC_VLOAD(divs + ow), CC_VLOAD(rcps + ow)));
            }
        }
    }
    return 1;
}

/* 3x3 windows, stride 1, padding 1 left and right (so OW == W), at most 1 top and bottom,
 * dense small planes (rows W apart): each plane is one run of vectors across its row ends,
 * with no per-row work but two scalars. The horizontal 3-sums of the whole plane go into a
 * buffer with a zero row above and below (the lanes at a row's first and last columns,
 * where the vector read the neighbouring row, are remade as scalars); each output is then
 * the sum of three of them W apart, divided. The operations are avg3_s1's, in its order:
 * a window's missing row adds +0 to a sum that starts from 0 and so is never -0, which
 * changes nothing; the results are identical. 0 when it does not apply. */
#define CC_AVG_FLAT ((int64_t)16384 / (int64_t)sizeof(TYPE))
#define CC_AVG_FLAT_W 256
static int CC_KFN(avg3_flat)(const cc_plane_geom *g, const TYPE *xbase, const cc_plane_range *rg,
                             TYPE *ybase)
{
    const int64_t H = g->in_h, W = g->in_w, OH = g->out_h, OW = g->out_w, pt = g->pad_top;
    if (g->pad_left != 1 || g->pad_right != 1 || pt > 1 || g->pad_bottom > 1 ||
        rg->xs_h != W || W < 2 || W > CC_AVG_FLAT_W || H < 1 || H > CC_AVG_FLAT ||
        (H + 2) * W > CC_AVG_FLAT || OH < 1 || OH * OW > CC_AVG_FLAT)
        return 0;
    const int64_t HW = H * W, P = OH * OW;
    const CC_V zero = CC_VZERO();
    CC_ALIGN64 TYPE hb[CC_AVG_FLAT + 2 * CC_VW];
    CC_ALIGN64 TYPE divs[CC_AVG_FLAT + CC_VW], rcps[CC_AVG_FLAT + CC_VW];
    CC_ALIGN64 TYPE pool_w[CC_AVG_FLAT_W + CC_VW], valid_w[CC_AVG_FLAT_W + CC_VW];
    CC_KFN(avg_widths)(g, OW, pool_w, valid_w);
    for (int64_t k = OW; k < OW + CC_VW; ++k) pool_w[k] = valid_w[k] = 1; /* unused lanes */
    for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t hs = oh - pt, he = cc_min64(hs + 3, H + g->pad_bottom);
        const int64_t rf = g->divisor_override ? 0
                           : g->count_include_pad ? he - hs
                                                  : cc_min64(he, H) - cc_max64(hs, 0);
        /* whole vectors: a row's tail is overwritten by the next row's divisors */
        CC_KFN(avg_divisors)(g, OW, rf, pool_w, valid_w, divs + oh * OW, rcps + oh * OW);
    }
    /* the zero rows, and past the last row what the last vectors read */
    for (int64_t k = 0; k < W; ++k) hb[k] = 0;
    for (int64_t k = W + HW; k < 2 * W + HW + 2 * CC_VW; ++k) hb[k] = 0;
    TYPE *h = hb + W;
    for (int64_t t = rg->first; t < rg->first + rg->count; ++t) {
        const TYPE *x = xbase + (t / rg->channels) * rg->xs_n + (t % rg->channels) * rg->xs_c;
        TYPE *y = ybase + t * P;
        for (int64_t p = 0; p < HW; p += CC_VW) {
            const CC_V t0 = p >= 1 && p - 1 + CC_VW <= HW
                                ? CC_VLOAD(x + p - 1)
                                : CC_VLOADR(x + p - 1, p == 0 ? 1 : 0,
                                            (int)cc_min64(CC_VW, HW - p + 1), zero);
            const CC_V t1 = p + CC_VW <= HW ? CC_VLOAD(x + p)
                                            : CC_VLOADR(x + p, 0, (int)(HW - p), zero);
            const CC_V t2 = p + 1 + CC_VW <= HW
                                ? CC_VLOAD(x + p + 1)
                                : CC_VLOADR(x + p + 1, 0, (int)(HW - p - 1), zero);
            CC_VSTORE(h + p, CC_VADD(CC_VADD(t0, t1), t2));
        }
        for (int64_t r = 0; r < HW; r += W) { /* the first and last columns of each row */
            h[r] = ((TYPE)0 + x[r]) + x[r + 1];
            h[r + W - 1] = (x[r + W - 2] + x[r + W - 1]) + (TYPE)0;
        }
        for (int64_t k = HW; k < HW + CC_VW; ++k) h[k] = 0; /* the last vector's lanes */
        const TYPE *hp = hb + (1 - pt) * W;
        for (int64_t q = 0; q < P; q += CC_VW) {
            CC_V sum = CC_VADD(zero, CC_VLOAD(hp + q));
            sum = CC_VADD(sum, CC_VLOAD(hp + q + W));
            sum = CC_VADD(sum, CC_VLOAD(hp + q + 2 * W));
            CC_KFN(store_run)(y + q, P - q,
                              CC_VQUOT(sum, CC_VLOAD(divs + q), CC_VLOAD(rcps + q)));
        }
    }
    return 1;
}
#undef CC_AVG_FLAT
#undef CC_AVG_FLAT_W

static void CC_KFN(avg_plane_simd)(const cc_plane_geom *g, const TYPE *x,
                                   const cc_plane_range *r, TYPE *y)
{
    int done = 0;
    if (r->xs_w == 1 && g->stride_w == 1 && g->stride_h == 1 && g->kernel_h == 3 &&
        g->kernel_w == 3 && g->pad_left <= 1 && g->pad_right <= 1)
        done = CC_KFN(avg3_flat)(g, x, r, y) || CC_KFN(avg3_s1)(g, x, r, y);
    if (!done && r->xs_w == 1 && (g->stride_w == 1 || g->stride_w == 2))
        done = g->stride_w == 1 ? (g->kernel_w == 3 ? CC_KFN(avg_rows)(g, x, r, y, 1, 3)
                                                    : CC_KFN(avg_rows)(g, x, r, y, 1, 0))
                                : (g->kernel_w == 2 ? CC_KFN(avg_rows)(g, x, r, y, 2, 2)
                                                    : CC_KFN(avg_rows)(g, x, r, y, 2, 0));
    if (!done) CC_KFN(avg_plane)(g, x, r, y);
}

#define CC_HAS_PLANE_SIMD 1 /* this target's table lists the SIMD plane kernels */
