/* test_kernels_plane.c - the plane slots of one table, called directly: depthwise_f32/f64
 * (one plane and one filter), max_pool_f32/f64 (with and without indices) and
 * avg_pool_f32/f64 (count_include_pad, divisor_override) over plane ranges, against
 * ref_depthwise_plane / ref_max_plane / ref_avg_plane.
 *
 * The geometries: a sweep of kernel sizes 1..5 (square and not), strides 1..3, paddings
 * (symmetric and not), dilations (max and depthwise), widths around the multiples of the
 * vector width, floor and ceiling output sizes, three input layouts (planes apart with
 * gaps; channels interleaved, so a column stride other than 1; dense rows) and plane
 * ranges starting past 0; then the shapes that reach each fast path of
 * plane_simd.template.c: depthwise3_s1 (3x3, stride 1: two rows at a time, single rows at
 * the borders, rows without a kernel row inside, and the fallback of wide padding),
 * max_s2 (stride-2 columns, windows 2 or 3 wide: 3 rows by 2, 2 rows by 2, other
 * heights), avg3_flat (3x3 stride 1, padding 1 left and right, dense small planes),
 * avg3_s1 (the same where avg3_flat does not apply), the ring of padded rows and the
 * rows read in place (no left padding), and rows too wide for the ring (the generic
 * kernels take over).
 *
 * Max pooling is exact: values bit for bit (the first maximum in row-major order stays,
 * so a +0 after a -0 does not replace it; a NaN always replaces) and indices; the data
 * are small integers with ties, signed zeros, NaN and -inf. Depthwise and average
 * pooling: bit-exact with small integers (the reference rounded once to the type),
 * within the tolerance with random data. Every output element written (the outputs start
 * as the sentinel), nothing before plane `first` written, inputs outside the planes of the
 * range and the gaps between elements poisoned under AddressSanitizer; the same bits from
 * a second call. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_kernels_util.h"

enum { L_GAPS = 0, L_INTERLEAVED = 1, L_DENSE = 2 };

typedef struct pcase {
    cc_plane_geom g;
    int layout;
    int64_t colstep;         /* L_GAPS: the column stride (1, 2, 3) */
    int64_t images, channels, first;
} pcase;

typedef struct pstrides {
    int64_t n, c, h, w, elems; /* strides, and the elements from x to the last one read */
} pstrides;

static pstrides strides_of(const pcase *c)
{
    const cc_plane_geom *g = &c->g;
    pstrides s;
    if (c->layout == L_INTERLEAVED) {
        s.c = 1;
        s.w = c->channels;
        s.h = g->in_w * c->channels;
        s.n = g->in_h * s.h;
    } else if (c->layout == L_DENSE) {
        s.w = 1;
        s.h = g->in_w;
        s.c = g->in_h * g->in_w + 3;
        s.n = c->channels * s.c;
    } else {
        s.w = c->colstep;
        s.h = g->in_w * c->colstep + 2;
        s.c = g->in_h * s.h + 5;
        s.n = c->channels * s.c + 1;
    }
    const int64_t last = c->images * c->channels - 1;
    s.elems = (last / c->channels) * s.n + (last % c->channels) * s.c + (g->in_h - 1) * s.h +
              (g->in_w - 1) * s.w + 1;
    return s;
}

static int64_t plane_at(const pcase *c, const pstrides *s, int64_t t)
{
    return (t / c->channels) * s->n + (t % c->channels) * s->c;
}

/* The input elements the planes [first, images * channels) consist of. */
static char *used_of(const pcase *c, const pstrides *s)
{
    char *u = calloc((size_t)s->elems + 1, 1);
    for (int64_t t = c->first; t < c->images * c->channels; ++t)
        for (int64_t h = 0; h < c->g.in_h; ++h)
            for (int64_t w = 0; w < c->g.in_w; ++w) u[plane_at(c, s, t) + h * s->h + w * s->w] = 1;
    return u;
}

static void poison_unused(kbuf *b, const char *used)
{
    for (int64_t e = 0; e < b->n;) {
        int64_t e1 = e;
        while (e1 < b->n && !used[e1]) ++e1;
        kb_poison(b, e, e1);
        e = e1 + 1;
    }
}

/* ------------------------------------------------------------------ data */

/* Max pooling data: small integers (ties), zeros of either sign, and with `specials`
 * NaN and -inf now and then; or random values. */
static void fill_max(kbuf *b, const char *used, int mode)
{
    for (int64_t e = 0; e < b->n; ++e) {
        if (!used[e]) continue;
        if (mode == 2) {
            kb_set(b, e, tk_rnd());
            continue;
        }
        const int64_t r = tk_int(40);
        double v = (double)(r % 3);
        if (v == 0 && (r & 1)) v = -0.0;
        if (mode == 1 && r == 40) v = NAN;
        if (mode == 1 && (r == -40 || r == -39)) v = -INFINITY;
        kb_set(b, e, v);
    }
}

static void fill_used(kbuf *b, const char *used, int mode)
{
    for (int64_t e = 0; e < b->n; ++e)
        if (used[e]) kb_fill(b, e, e + 1, mode, 3);
}

/* The reference rounded to the result type (exact mode: what a correctly rounded kernel
 * gives from exact sums). */
static void round_to(int f64, double *v, int64_t n)
{
    if (!f64)
        for (int64_t i = 0; i < n; ++i) v[i] = (double)(float)v[i];
}

static const char *layout_name(int l) { return l == L_INTERLEAVED ? "interleaved" : l == L_DENSE ? "dense" : "gaps"; }

#define GEOM_FMT "in %lldx%lld out %lldx%lld k %lldx%lld s %lld,%lld pad %lld,%lld,%lld,%lld dil %lld,%lld"
#define GEOM_ARGS(g)                                                                        \
    (long long)(g).in_h, (long long)(g).in_w, (long long)(g).out_h, (long long)(g).out_w,       \
        (long long)(g).kernel_h, (long long)(g).kernel_w, (long long)(g).stride_h,              \
        (long long)(g).stride_w, (long long)(g).pad_top, (long long)(g).pad_bottom,             \
        (long long)(g).pad_left, (long long)(g).pad_right, (long long)(g).dilation_h,           \
        (long long)(g).dilation_w

/* ------------------------------------------------------------------ depthwise */

/* One plane (the range's first plane of the layout) with one filter; weights dense,
 * transposed or with gaps. */
static void depthwise_case(const cc_kernels *K, const char *tn, int f64, const pcase *c, int mode,
                           int wlayout, tk_tally *t)
{
    const cc_plane_geom *g = &c->g;
    pcase one = *c;
    one.images = 1;
    one.channels = 1;
    one.first = 0;
    const pstrides s = strides_of(&one);
    const int64_t KH = g->kernel_h, KW = g->kernel_w, P = g->out_h * g->out_w;
    int64_t ws_h = KW, ws_w = 1;
    if (wlayout == 1) { ws_h = 1; ws_w = KH; }
    if (wlayout == 2) { ws_h = KW + 2; ws_w = 1; }
    const int64_t nw = (KH - 1) * ws_h + (KW - 1) * ws_w + 1;
    kbuf X = kb_new(f64, s.elems), Wt = kb_new(f64, nw), Y = kb_new(f64, P), B = kb_new(f64, 1);
    char *used = used_of(&one, &s);
    kb_junk(&X);
    kb_junk(&Wt);
    fill_used(&X, used, mode);
    for (int64_t i = 0; i < KH; ++i)
        for (int64_t j = 0; j < KW; ++j) kb_fill(&Wt, i * ws_h + j * ws_w, i * ws_h + j * ws_w + 1, mode, 3);
    kb_fill(&B, 0, 1, mode, 3);
    double *xd = kb_to_double(&X), *wd = kb_to_double(&Wt), *want = malloc(sizeof(double) * (size_t)P);
    double *scale = malloc(sizeof(double) * (size_t)P), *got = malloc(sizeof(double) * (size_t)P);
    const double bias = kb_get(&B, 0);
    ref_depthwise_plane(g, xd, s.h, s.w, wd, ws_h, ws_w, bias, want);
    tk_abs(xd, X.n);
    tk_abs(wd, Wt.n);
    ref_depthwise_plane(g, xd, s.h, s.w, wd, ws_h, ws_w, fabs(bias), scale);
    if (mode == TK_SMALLINT) round_to(f64, want, P);
    void *r1 = NULL;
    int ok = 1, same = 1, unwritten = 0;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        for (int64_t e = 0; e < P; ++e) kb_set_sentinel(&Y, e);
        poison_unused(&X, used);
        if (f64)
            K->depthwise_f64(g, X.p, s.h, s.w, Wt.p, ws_h, ws_w, ((double *)B.p)[0], Y.p);
        else
            K->depthwise_f32(g, X.p, s.h, s.w, Wt.p, ws_h, ws_w, ((float *)B.p)[0], Y.p);
        kb_unpoison(&X);
        if (run == 0) {
            for (int64_t e = 0; e < P; ++e) {
                unwritten += kb_is_sentinel(&Y, e);
                got[e] = kb_get(&Y, e);
                if (mode == TK_SMALLINT && !tk_same(got[e], want[e])) ok = 0;
            }
            err = tk_err_scaled(got, want, scale, P);
            if (mode != TK_SMALLINT && !(err <= tk_tol(f64))) ok = 0;
            r1 = kb_save(&Y);
        } else {
            same = kb_same(&Y, r1);
        }
    }
    CHECK(ok && same && !unwritten && kb_ok(&X) && kb_ok(&Wt) && kb_ok(&Y),
          "[%s] depthwise_%s " GEOM_FMT " xs %lld,%lld ws %lld,%lld %s: err %.3g, %d unwritten, repeat %s",
          tn, f64 ? "f64" : "f32", GEOM_ARGS(*g), (long long)s.h, (long long)s.w, (long long)ws_h,
          (long long)ws_w, mode == TK_SMALLINT ? "int" : "rand", err, unwritten, same ? "same" : "differs");
    ++t->calls;
    free(used); free(xd); free(wd); free(want); free(scale); free(got); free(r1);
    kb_free(&X); kb_free(&Wt); kb_free(&Y); kb_free(&B);
}

/* ------------------------------------------------------------------ pooling */

/* Both pooling ops over the planes [first, images * channels): max (indices or not) or
 * avg. The output and indices buffers hold every plane up to the last; the planes
 * before `first` must stay as they were. */
static void pool_case(const cc_kernels *K, const char *tn, int f64, const pcase *c, int op,
                      int mode, tk_tally *t)
{
    enum { OP_MAX = 0, OP_MAX_IDX = 1, OP_AVG = 2 };
    const cc_plane_geom *g = &c->g;
    const pstrides s = strides_of(c);
    const int64_t planes = c->images * c->channels, P = g->out_h * g->out_w, ny = planes * P;
    const cc_plane_range r = {s.n, s.c, s.h, s.w, c->channels, c->first, planes - c->first};
    kbuf X = kb_new(f64, s.elems), Y = kb_new(f64, ny);
    int64_t *idx = op == OP_MAX_IDX ? malloc(sizeof(int64_t) * (size_t)ny) : NULL;
    int64_t *widx = malloc(sizeof(int64_t) * (size_t)ny);
    char *used = used_of(c, &s);
    kb_junk(&X);
    if (op == OP_AVG) fill_used(&X, used, mode);
    else fill_max(&X, used, mode);
    double *xd = kb_to_double(&X), *want = calloc((size_t)ny, sizeof(double));
    double *scale = calloc((size_t)ny, sizeof(double)), *got = calloc((size_t)ny, sizeof(double));
    /* widx: also for avg pooling, where -1 marks the windows without an input element */
    int64_t empty = 0;
    for (int64_t p = c->first; p < planes; ++p) {
        empty += ref_max_plane(g, xd + plane_at(c, &s, p), s.h, s.w, want + p * P, widx + p * P);
        if (op == OP_AVG) ref_avg_plane(g, xd + plane_at(c, &s, p), s.h, s.w, want + p * P);
    }
    const int exact = op != OP_AVG || mode == TK_SMALLINT;
    if (op == OP_AVG) {
        tk_abs(xd, X.n);
        for (int64_t p = c->first; p < planes; ++p)
            ref_avg_plane(g, xd + plane_at(c, &s, p), s.h, s.w, scale + p * P);
        if (exact) round_to(f64, want, ny);
    }
    void *r1 = NULL;
    int64_t *i1 = idx ? malloc(sizeof(int64_t) * (size_t)ny) : NULL;
    const int64_t isent = (int64_t)0x5a5a5a5a5a5a5a5all;
    int ok = 1, same = 1, before = 0, unwritten = 0, idx_bad = 0;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        for (int64_t e = 0; e < ny; ++e) {
            kb_set_sentinel(&Y, e);
            if (idx) idx[e] = isent;
        }
        poison_unused(&X, used);
        kb_poison(&Y, 0, c->first * P);
        if (op == OP_AVG) {
            if (f64) K->avg_pool_f64(g, X.p, &r, Y.p);
            else K->avg_pool_f32(g, X.p, &r, Y.p);
        } else {
            if (f64) K->max_pool_f64(g, X.p, &r, Y.p, idx);
            else K->max_pool_f32(g, X.p, &r, Y.p, idx);
        }
        kb_unpoison(&X);
        kb_unpoison(&Y);
        if (run == 0) {
            for (int64_t e = 0; e < c->first * P; ++e)
                before += !kb_is_sentinel(&Y, e) || (idx && idx[e] != isent);
            for (int64_t e = c->first * P; e < ny; ++e) {
                unwritten += kb_is_sentinel(&Y, e);
                got[e] = kb_get(&Y, e);
                /* an average over no element is 0; the SIMD kernels give -0 for it with a
                 * negative divisor_override, the generic ones +0 (only the kernels, called
                 * directly, take such windows: the drivers refuse that padding) */
                const int either_zero = op == OP_AVG && widx[e] < 0 && got[e] == 0 && want[e] == 0;
                if (exact && !tk_same(got[e], want[e]) && !either_zero) ok = 0;
                /* an index where the window has an element (else the contract is silent) */
                if (idx && widx[e] >= 0 && idx[e] != widx[e]) ++idx_bad;
            }
            if (!exact) {
                err = tk_err_scaled(got + c->first * P, want + c->first * P, scale + c->first * P,
                                    ny - c->first * P);
                if (!(err <= tk_tol(f64))) ok = 0;
            }
            r1 = kb_save(&Y);
            if (idx) memcpy(i1, idx, sizeof(int64_t) * (size_t)ny);
        } else {
            same = kb_same(&Y, r1) && (!idx || memcmp(i1, idx, sizeof(int64_t) * (size_t)ny) == 0);
        }
    }
    static const char *const names[] = {"max_pool", "max_pool(indices)", "avg_pool"};
    CHECK(ok && same && !before && !unwritten && !idx_bad && kb_ok(&X) && kb_ok(&Y),
          "[%s] %s_%s " GEOM_FMT " cip %d div %lld, %s layout, planes %lld..%lld of %lldx%lld, "
          "mode %d: err %.3g, %d unwritten, %d before first, %d indices differ (%lld windows "
          "without input), repeat %s",
          tn, names[op], f64 ? "f64" : "f32", GEOM_ARGS(*g), g->count_include_pad,
          (long long)g->divisor_override, layout_name(c->layout), (long long)c->first,
          (long long)planes - 1, (long long)c->images, (long long)c->channels, mode, err,
          unwritten, before, idx_bad, (long long)empty, same ? "same" : "differs");
    ++t->calls;
    free(idx); free(widx); free(used); free(xd); free(want); free(scale); free(got); free(r1); free(i1);
    kb_free(&X); kb_free(&Y);
}

/* ------------------------------------------------------------------ geometries */

/* Output size along one axis (0 when no window fits); ceil: torch's ceiling mode (one
 * more window where it starts inside the input or the left padding). */
static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t p0, int64_t p1, int64_t d, int ceil)
{
    const int64_t span = in + p0 + p1 - d * (k - 1) - 1;
    if (span < 0) return 0;
    int64_t o = span / s + 1;
    if (ceil && span % s != 0 && o * s < in + p0) ++o;
    return o;
}

/* The input size that gives about `out` outputs (at least 1 element). */
static int64_t in_for(int64_t out, int64_t k, int64_t s, int64_t p0, int64_t p1, int64_t d)
{
    const int64_t in = (out - 1) * s + d * (k - 1) + 1 - p0 - p1;
    return in < 1 ? 1 : in;
}

/* Fills g from the window parameters and the wanted output size; 0 when no output. */
static int make_geom(cc_plane_geom *g, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                     const int64_t pad[4], int64_t dh, int64_t dw, int64_t oh, int64_t ow, int ceil)
{
    memset(g, 0, sizeof(*g));
    g->kernel_h = kh; g->kernel_w = kw; g->stride_h = sh; g->stride_w = sw;
    g->pad_top = pad[0]; g->pad_bottom = pad[1]; g->pad_left = pad[2]; g->pad_right = pad[3];
    g->dilation_h = dh; g->dilation_w = dw;
    g->in_h = in_for(oh, kh, sh, pad[0], pad[1], dh);
    g->in_w = in_for(ow, kw, sw, pad[2], pad[3], dw);
    g->out_h = out_size(g->in_h, kh, sh, pad[0], pad[1], dh, ceil);
    g->out_w = out_size(g->in_w, kw, sw, pad[2], pad[3], dw, ceil);
    return g->out_h > 0 && g->out_w > 0;
}

/* Pooling takes torch's padding rule (at most half the kernel); depthwise any. */
static int pool_pads_ok(const cc_plane_geom *g)
{
    return 2 * g->pad_top <= g->kernel_h && 2 * g->pad_bottom <= g->kernel_h &&
           2 * g->pad_left <= g->kernel_w && 2 * g->pad_right <= g->kernel_w;
}

/* The plane ranges: (images, channels, first) in turn. */
static void set_range(pcase *c, int which)
{
    static const int64_t rr[][3] = {{1, 1, 0}, {2, 3, 1}, {1, 3, 2}, {2, 2, 0}, {3, 1, 2}};
    const int i = which % 5;
    c->images = rr[i][0];
    c->channels = rr[i][1];
    c->first = rr[i][2];
}

enum { OPS_DW = 1, OPS_MAX = 2, OPS_AVG = 4, OPS_ALL = 7, OPS_ANYPAD = 8 };

typedef struct plane_ctx {
    const cc_kernels *K;
    const char *tn;
    int f64;
    tk_tally *t;
    int turn; /* rotates the layouts, ranges, modes and options over the cases */
} plane_ctx;

/* One geometry through the ops it suits: depthwise (any padding), max pooling with and
 * without indices (torch's padding rule), average pooling (no dilation; the options in
 * turn). */
static void run_geom(plane_ctx *x, const cc_plane_geom *g, int layout, int ops)
{
    pcase c;
    c.g = *g;
    c.layout = layout;
    c.colstep = 1 + x->turn % 3;
    if (layout != L_GAPS) c.colstep = 1;
    set_range(&c, x->turn);
    const int turn = x->turn++;
    if (ops & 1) depthwise_case(x->K, x->tn, x->f64, &c, turn % 2, turn % 3, x->t);
    const int pads_ok = (ops & OPS_ANYPAD) || pool_pads_ok(g);
    if ((ops & 2) && pads_ok) {
        pool_case(x->K, x->tn, x->f64, &c, 0, turn % 3, x->t);
        pool_case(x->K, x->tn, x->f64, &c, 1, (turn + 1) % 3, x->t);
    }
    if ((ops & 4) && pads_ok && g->dilation_h == 1 && g->dilation_w == 1) {
        static const int64_t divs[] = {0, 0, 7, -3, 0};
        c.g.count_include_pad = (turn / 2) % 2;
        c.g.divisor_override = divs[turn % 5];
        pool_case(x->K, x->tn, x->f64, &c, 2, turn % 2, x->t);
        c.g.count_include_pad = !c.g.count_include_pad; /* the other rule, the other data */
        pool_case(x->K, x->tn, x->f64, &c, 2, (turn + 1) % 2, x->t);
    }
}

static void sweep(plane_ctx *x, int vw)
{
    static const int64_t ks[][2] = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {1, 3},
                                    {3, 1}, {2, 3}, {3, 2}, {5, 2}, {2, 5}};
    static const int64_t ss[][2] = {{1, 1}, {2, 2}, {3, 3}, {1, 2}, {2, 1}, {1, 3}};
    static const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {1, 0, 2, 1}, {2, 2, 2, 2}, {0, 1, 0, 1}};
    static const int64_t dils[][2] = {{1, 1}, {2, 2}, {2, 1}};
    const int64_t ows[] = {1, vw - 1, vw, vw + 1, 2 * vw + 1, 3 * vw - 1, 2 * vw};
    const int64_t ohs[] = {1, 2, 5, 3};
    int w = 0;
    for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ++ki)
        for (size_t si = 0; si < sizeof(ss) / sizeof(ss[0]); ++si)
            for (size_t pi = 0; pi < sizeof(pads) / sizeof(pads[0]); ++pi)
                for (size_t di = 0; di < sizeof(dils) / sizeof(dils[0]); ++di)
                    for (int rep = 0; rep < 2; ++rep, ++w) {
                        cc_plane_geom g;
                        const int64_t ow = ows[w % 7] < 1 ? 1 : ows[w % 7], oh = ohs[w % 4];
                        if (!make_geom(&g, ks[ki][0], ks[ki][1], ss[si][0], ss[si][1], pads[pi],
                                       dils[di][0], dils[di][1], oh, ow, (w / 7) % 2))
                            continue;
                        run_geom(x, &g, w % 3, OPS_ALL);
                    }
}

/* The shapes of the fast paths, each at every width of the list. */
static void fast_paths(plane_ctx *x, int vw)
{
    const int64_t ows[] = {1, 2, vw - 1, vw, vw + 1, 2 * vw - 1, 2 * vw, 2 * vw + 1, 3 * vw + 1, 4 * vw + 3};
    const int nows = (int)(sizeof(ows) / sizeof(ows[0]));
    cc_plane_geom g;
    /* depthwise3_s1: two rows at a time inside, single rows at the borders (odd heights,
     * top and bottom padding up to the 3 rows where no kernel row is inside: bias only) */
    {
        static const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}, {1, 0, 1, 0},
                                          {0, 1, 0, 1}, {3, 3, 1, 1}, {2, 0, 0, 2}};
        static const int64_t ohs[] = {1, 2, 3, 5, 8};
        for (size_t pi = 0; pi < sizeof(pads) / sizeof(pads[0]); ++pi)
            for (int wi = 0; wi < nows; ++wi)
                for (size_t hi = 0; hi < sizeof(ohs) / sizeof(ohs[0]); ++hi) {
                    if (ows[wi] < 1) continue;
                    if (make_geom(&g, 3, 3, 1, 1, pads[pi], 1, 1, ohs[hi], ows[wi], 0))
                        run_geom(x, &g, hi % 2 ? L_DENSE : L_GAPS, OPS_DW);
                }
        /* padding wider than four vectors: more edge vectors than it handles (fallback) */
        const int64_t wide[4] = {1, 1, 5 * vw, 5 * vw};
        if (make_geom(&g, 3, 3, 1, 1, wide, 1, 1, 4, 12 * vw, 0)) run_geom(x, &g, L_DENSE, OPS_DW);
    }
    /* max_s2: stride-2 columns, windows 2 or 3 wide, heights 1..4 by 1, 2, 3 (3 by 2 and
     * 2 by 2 have their own loops); no dilation */
    {
        static const int64_t pads[][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 1, 0}, {1, 0, 0, 1}};
        for (int64_t kw = 2; kw <= 3; ++kw)
            for (int64_t kh = 1; kh <= 4; ++kh)
                for (int64_t sh = 1; sh <= 3; ++sh)
                    for (size_t pi = 0; pi < sizeof(pads) / sizeof(pads[0]); ++pi)
                        for (int wi = 0; wi < nows; ++wi) {
                            if (ows[wi] < 1) continue;
                            if (make_geom(&g, kh, kw, sh, 2, pads[pi], 1, 1, 2 + wi % 5, ows[wi], wi % 2))
                                run_geom(x, &g, wi % 2 ? L_DENSE : L_GAPS, OPS_MAX);
                        }
    }
    /* avg3_flat (3x3 stride 1, padding 1 left and right, at most 1 top and bottom, dense
     * rows of 2..256 columns, small planes) and avg3_s1 where it does not apply: rows
     * apart (gaps), no left or right padding, wider rows */
    {
        static const int64_t pads[][4] = {{1, 1, 1, 1}, {0, 0, 1, 1}, {1, 0, 1, 1}, {0, 1, 1, 1},
                                          {1, 1, 0, 1}, {1, 1, 1, 0}, {0, 0, 0, 0}};
        static const int64_t ohs[] = {1, 2, 3, 7};
        for (size_t pi = 0; pi < sizeof(pads) / sizeof(pads[0]); ++pi)
            for (int wi = 0; wi < nows; ++wi)
                for (size_t hi = 0; hi < sizeof(ohs) / sizeof(ohs[0]); ++hi) {
                    if (ows[wi] < 1) continue;
                    if (make_geom(&g, 3, 3, 1, 1, pads[pi], 1, 1, ohs[hi], ows[wi], 0))
                        run_geom(x, &g, hi % 3 == 2 ? L_GAPS : L_DENSE, OPS_AVG);
                }
        const int64_t p1[4] = {1, 1, 1, 1};
        if (make_geom(&g, 3, 3, 1, 1, p1, 1, 1, 2, 256, 0)) run_geom(x, &g, L_DENSE, OPS_AVG);
        if (make_geom(&g, 3, 3, 1, 1, p1, 1, 1, 2, 300, 0)) run_geom(x, &g, L_DENSE, OPS_AVG);
        if (make_geom(&g, 3, 3, 1, 1, p1, 1, 1, 40, 100, 0)) run_geom(x, &g, L_DENSE, OPS_AVG);
    }
    /* rows wider than the ring of padded rows (and than the row buffers of the average
     * and stride-2 kernels): the generic kernels take over; without left padding the
     * rows are read in place and need no ring */
    {
        static const int64_t pads[][4] = {{1, 1, 1, 1}, {0, 0, 0, 0}};
        static const int64_t kk[][4] = {{3, 3, 1, 1}, {3, 3, 1, 2}, {2, 2, 2, 2}, {5, 5, 1, 1}, {3, 2, 1, 2}};
        for (size_t pi = 0; pi < 2; ++pi)
            for (size_t ki = 0; ki < sizeof(kk) / sizeof(kk[0]); ++ki)
                if (make_geom(&g, kk[ki][0], kk[ki][1], kk[ki][2], kk[ki][3], pads[pi], 1, 1, 2, 3000, 0))
                    run_geom(x, &g, L_DENSE, OPS_ALL);
    }
    /* windows taller than the ring (dilated) or with more taps than the depthwise kernel
     * holds: the generic kernels */
    {
        const int64_t p[4] = {2, 2, 2, 2};
        if (make_geom(&g, 5, 5, 1, 1, p, 4, 1, 3, 2 * vw + 1, 0)) run_geom(x, &g, L_DENSE, OPS_DW | OPS_MAX);
        const int64_t p4[4] = {4, 4, 4, 4};
        if (make_geom(&g, 9, 9, 1, 1, p4, 1, 1, 3, 2 * vw + 1, 0)) run_geom(x, &g, L_DENSE, OPS_ALL);
        const int64_t p21[4] = {2, 2, 1, 1};
        if (make_geom(&g, 17, 3, 1, 1, p21, 1, 1, 2, vw + 1, 0)) run_geom(x, &g, L_GAPS, OPS_ALL);
    }
    /* pooling windows wholly in the padding (the drivers refuse padding past half the
     * window; the kernels take any): average 0, maximum -inf */
    {
        static const int64_t pads[][4] = {{2, 2, 2, 2}, {3, 0, 0, 3}, {0, 0, 4, 1}, {3, 3, 1, 1}};
        static const int64_t kk[][4] = {{2, 2, 1, 1}, {2, 2, 2, 2}, {3, 3, 1, 1}, {1, 2, 1, 2}, {3, 3, 2, 2}};
        for (size_t pi = 0; pi < sizeof(pads) / sizeof(pads[0]); ++pi)
            for (size_t ki = 0; ki < sizeof(kk) / sizeof(kk[0]); ++ki)
                for (int wi = 0; wi < 3; ++wi)
                    if (make_geom(&g, kk[ki][0], kk[ki][1], kk[ki][2], kk[ki][3], pads[pi], 1, 1, 3,
                                  wi == 0 ? 3 : wi == 1 ? vw + 1 : 2 * vw + 3, 0))
                        run_geom(x, &g, (int)(wi % 3), OPS_MAX | OPS_AVG | OPS_ANYPAD);
    }
}

void tk_plane(const cc_kernels *K, const char *tn, tk_tally *t)
{
    for (int f64 = 0; f64 <= 1; ++f64) {
        plane_ctx x = {K, tn, f64, t, 0};
        const int vw = f64 ? K->gemm_sp_f64.vw : K->gemm_sp_f32.vw;
        sweep(&x, vw);
        fast_paths(&x, vw);
    }
}
