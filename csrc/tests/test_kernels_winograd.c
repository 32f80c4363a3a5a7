/* test_kernels_winograd.c - the Winograd slots of one table (float only, where the target
 * has them), called directly against the transforms written in double from the matrices
 * at the top of kernels/winograd_simd.template.c (ref_wino_input / _output / _filter2):
 *   .in / .out      F(4x4, 3x3): V = B^T d B over a 6x6 patch, Y = A^T m A (+ bias) to 4x4;
 *   .in2 / .out2    F(2x2, 3x3): the same over 4x4 to 2x2;
 *   .filter2        U = G g G^T, output channels in the lanes;
 *   .tr             the transpose the driver's layout copies use.
 * Channel counts off the vector width (1, vw - 1, vw, vw + 1, 3 vw + 5), strides with
 * gaps and without, bias NULL and not; bit-exact with small integers, within 1e-5 with
 * random data; every element of the outputs written, nothing between them (the gaps keep
 * the sentinel; read gaps poisoned under AddressSanitizer); the same bits twice. And the
 * lane rule of the template (every lane the same operations in the same order): with the
 * same data in every channel, every channel's result has the same bits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_kernels_util.h"

/* Elements of b the call may touch are marked in `used`; the rest is poisoned (inputs)
 * or checked to keep the sentinel (outputs). */
static void poison_unused(kbuf *b, const char *used)
{
    for (int64_t e = 0; e < b->n;) {
        int64_t e1 = e;
        while (e1 < b->n && !used[e1]) ++e1;
        kb_poison(b, e, e1);
        e = e1 + 1;
    }
}

static int untouched_outside(const kbuf *b, const char *used)
{
    int n = 0;
    for (int64_t e = 0; e < b->n; ++e)
        if (!used[e] && !kb_is_sentinel(b, e)) ++n;
    return n;
}

/* got against want (n values): bit-exact or within the tolerance */
static int close_enough(const double *got, const double *want, int64_t n, int exact, double *err)
{
    *err = tk_err(got, want, n);
    if (!exact) return *err <= tk_tol(0);
    for (int64_t i = 0; i < n; ++i)
        if (!tk_same(got[i], want[i])) return 0;
    return 1;
}

/* Fills the used elements of an input: small integers or random values. */
static void fill_input(kbuf *b, const char *used, int mode)
{
    for (int64_t e = 0; e < b->n; ++e)
        if (used[e]) kb_fill(b, e, e + 1, mode, 3);
}

/* ------------------------------------------------------------------ input transforms */

static void wino_in_case(const cc_kernels *K, const char *tn, int P, int64_t C, int gaps,
                         int mode, int same, tk_tally *t)
{
    const int64_t col_s = C + (gaps ? 2 : 0), row_s = P * col_s + (gaps ? 1 : 0);
    const int64_t xi_s = C + (gaps ? 3 : 0), PP = P * P;
    const int64_t nx = (P - 1) * row_s + (P - 1) * col_s + C, nv = (PP - 1) * xi_s + C;
    kbuf X = kb_new(0, nx), V = kb_new(0, nv);
    char *ux = calloc((size_t)nx, 1), *uv = calloc((size_t)nv, 1);
    for (int r = 0; r < P; ++r)
        for (int j = 0; j < P; ++j) memset(ux + r * row_s + j * col_s, 1, (size_t)C);
    for (int64_t xi = 0; xi < PP; ++xi) memset(uv + xi * xi_s, 1, (size_t)C);
    kb_junk(&X);
    fill_input(&X, ux, mode);
    if (same) /* element (r, j, c) the same for every channel c */
        for (int r = 0; r < P; ++r)
            for (int j = 0; j < P; ++j)
                for (int64_t c = 1; c < C; ++c)
                    kb_set(&X, r * row_s + j * col_s + c, kb_get(&X, r * row_s + j * col_s));
    double *want = malloc(sizeof(double) * (size_t)(PP * C)), *got = malloc(sizeof(double) * (size_t)(PP * C));
    double d[36], v[36];
    for (int64_t c = 0; c < C; ++c) {
        for (int r = 0; r < P; ++r)
            for (int j = 0; j < P; ++j) d[r * P + j] = kb_get(&X, r * row_s + j * col_s + c);
        ref_wino_input(P, d, v);
        for (int64_t xi = 0; xi < PP; ++xi) want[xi * C + c] = v[xi];
    }
    void *r1 = NULL;
    int ok = 0, rep = 1, outside = 0, lanes = 1;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        for (int64_t e = 0; e < nv; ++e) kb_set_sentinel(&V, e);
        poison_unused(&X, ux);
        (P == 6 ? K->winograd_f32.in : K->winograd_f32.in2)(X.p, row_s, col_s, C, V.p, xi_s);
        kb_unpoison(&X);
        if (run == 0) {
            for (int64_t xi = 0; xi < PP; ++xi)
                for (int64_t c = 0; c < C; ++c) got[xi * C + c] = kb_get(&V, xi * xi_s + c);
            ok = close_enough(got, want, PP * C, mode == TK_SMALLINT, &err);
            outside = untouched_outside(&V, uv);
            if (same)
                for (int64_t xi = 0; xi < PP; ++xi)
                    for (int64_t c = 1; c < C; ++c) lanes &= tk_same(got[xi * C + c], got[xi * C]);
            r1 = kb_save(&V);
        } else {
            rep = kb_same(&V, r1);
        }
    }
    CHECK(ok && rep && !outside && lanes && kb_ok(&X) && kb_ok(&V),
          "[%s] winograd %s channels %lld %s %s%s: err %.3g, %d written outside, lanes %s, repeat %s",
          tn, P == 6 ? "in (F4x4)" : "in2 (F2x2)", (long long)C, gaps ? "gaps" : "dense",
          mode == TK_SMALLINT ? "int" : "rand", same ? " same-per-channel" : "", err, outside,
          lanes ? "agree" : "differ", rep ? "same" : "differs");
    ++t->calls;
    free(ux); free(uv); free(want); free(got); free(r1);
    kb_free(&X); kb_free(&V);
}

/* ------------------------------------------------------------------ output transforms */

static void wino_out_case(const cc_kernels *K, const char *tn, int P, int64_t C, int gaps,
                          int with_bias, int mode, int same, tk_tally *t)
{
    const int Q = P - 2;
    const int64_t PP = P * P, xi_s = C + (gaps ? 1 : 0);
    const int64_t col_s = C + (gaps ? 2 : 0), row_s = Q * col_s + (gaps ? 3 : 0);
    const int64_t nm = (PP - 1) * xi_s + C, ny = (Q - 1) * row_s + (Q - 1) * col_s + C;
    kbuf M = kb_new(0, nm), B = kb_new(0, C), Y = kb_new(0, ny);
    char *um = calloc((size_t)nm, 1), *uy = calloc((size_t)ny, 1), *ub = malloc((size_t)C);
    memset(ub, 1, (size_t)C);
    for (int64_t xi = 0; xi < PP; ++xi) memset(um + xi * xi_s, 1, (size_t)C);
    for (int i = 0; i < Q; ++i)
        for (int j = 0; j < Q; ++j) memset(uy + i * row_s + j * col_s, 1, (size_t)C);
    kb_junk(&M);
    fill_input(&M, um, mode);
    fill_input(&B, ub, mode);
    if (same) {
        for (int64_t xi = 0; xi < PP; ++xi)
            for (int64_t c = 1; c < C; ++c) kb_set(&M, xi * xi_s + c, kb_get(&M, xi * xi_s));
        for (int64_t c = 1; c < C; ++c) kb_set(&B, c, kb_get(&B, 0));
    }
    const int64_t nq = Q * Q * C;
    double *want = malloc(sizeof(double) * (size_t)nq), *got = malloc(sizeof(double) * (size_t)nq);
    double m[36], y[16];
    for (int64_t c = 0; c < C; ++c) {
        for (int64_t xi = 0; xi < PP; ++xi) m[xi] = kb_get(&M, xi * xi_s + c);
        ref_wino_output(P, m, y);
        for (int q = 0; q < Q * Q; ++q) want[q * C + c] = y[q] + (with_bias ? kb_get(&B, c) : 0.0);
    }
    if (mode == TK_SMALLINT)
        for (int64_t e = 0; e < nq; ++e) want[e] = (double)(float)want[e];
    void *r1 = NULL;
    int ok = 0, rep = 1, outside = 0, lanes = 1;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        for (int64_t e = 0; e < ny; ++e) kb_set_sentinel(&Y, e);
        poison_unused(&M, um);
        (P == 6 ? K->winograd_f32.out : K->winograd_f32.out2)(M.p, xi_s, C, with_bias ? B.p : NULL,
                                                              Y.p, row_s, col_s);
        kb_unpoison(&M);
        if (run == 0) {
            for (int i = 0; i < Q; ++i)
                for (int j = 0; j < Q; ++j)
                    for (int64_t c = 0; c < C; ++c)
                        got[(i * Q + j) * C + c] = kb_get(&Y, i * row_s + j * col_s + c);
            ok = close_enough(got, want, nq, mode == TK_SMALLINT, &err);
            outside = untouched_outside(&Y, uy);
            if (same)
                for (int q = 0; q < Q * Q; ++q)
                    for (int64_t c = 1; c < C; ++c) lanes &= tk_same(got[q * C + c], got[q * C]);
            r1 = kb_save(&Y);
        } else {
            rep = kb_same(&Y, r1);
        }
    }
    CHECK(ok && rep && !outside && lanes && kb_ok(&M) && kb_ok(&B) && kb_ok(&Y),
          "[%s] winograd %s channels %lld %s bias%d %s%s: err %.3g, %d written outside, lanes %s, "
          "repeat %s", tn, P == 6 ? "out (F4x4)" : "out2 (F2x2)", (long long)C, gaps ? "gaps" : "dense",
          with_bias, mode == TK_SMALLINT ? "int" : "rand", same ? " same-per-channel" : "", err,
          outside, lanes ? "agree" : "differ", rep ? "same" : "differs");
    ++t->calls;
    free(um); free(uy); free(ub); free(want); free(got); free(r1);
    kb_free(&M); kb_free(&B); kb_free(&Y);
}

/* ------------------------------------------------------------------ filter transform */

static void wino_filter_case(const cc_kernels *K, const char *tn, int64_t C, int64_t width,
                             int gaps, int mode, int same, tk_tally *t)
{
    const int64_t g_ld = width + (gaps ? 3 : 0), xi_s = C * width + (gaps ? 5 : 0);
    const int64_t ng = (C * 9 - 1) * g_ld + width, nu = 15 * xi_s + C * width;
    kbuf G = kb_new(0, ng), U = kb_new(0, nu);
    char *ug = calloc((size_t)ng, 1), *uu = calloc((size_t)nu, 1);
    for (int64_t r = 0; r < C * 9; ++r) memset(ug + r * g_ld, 1, (size_t)width);
    for (int64_t xi = 0; xi < 16; ++xi) memset(uu + xi * xi_s, 1, (size_t)(C * width));
    kb_junk(&G);
    fill_input(&G, ug, mode);
    if (same) /* one filter per input channel, the same for every output channel k */
        for (int64_t r = 0; r < C * 9; ++r)
            for (int64_t k = 1; k < width; ++k) kb_set(&G, r * g_ld + k, kb_get(&G, r * g_ld));
    const int64_t n = 16 * C * width;
    double *want = malloc(sizeof(double) * (size_t)n), *got = malloc(sizeof(double) * (size_t)n);
    double gg[9], u[16];
    for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < width; ++k) {
            for (int tap = 0; tap < 9; ++tap) gg[tap] = kb_get(&G, (c * 9 + tap) * g_ld + k);
            ref_wino_filter2(gg, u);
            for (int xi = 0; xi < 16; ++xi) want[(xi * C + c) * width + k] = u[xi];
        }
    if (mode == TK_SMALLINT)
        for (int64_t e = 0; e < n; ++e) want[e] = (double)(float)want[e];
    void *r1 = NULL;
    int ok = 0, rep = 1, outside = 0, lanes = 1;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        for (int64_t e = 0; e < nu; ++e) kb_set_sentinel(&U, e);
        poison_unused(&G, ug);
        K->winograd_f32.filter2(G.p, g_ld, C, width, U.p, xi_s);
        kb_unpoison(&G);
        if (run == 0) {
            for (int xi = 0; xi < 16; ++xi)
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t k = 0; k < width; ++k)
                        got[(xi * C + c) * width + k] = kb_get(&U, xi * xi_s + c * width + k);
            ok = close_enough(got, want, n, mode == TK_SMALLINT, &err);
            outside = untouched_outside(&U, uu);
            if (same)
                for (int64_t e = 0; e < n; ++e) lanes &= tk_same(got[e], got[e - e % width]);
            r1 = kb_save(&U);
        } else {
            rep = kb_same(&U, r1);
        }
    }
    CHECK(ok && rep && !outside && lanes && kb_ok(&G) && kb_ok(&U),
          "[%s] winograd filter2 channels %lld width %lld %s %s%s: err %.3g, %d written outside, "
          "lanes %s, repeat %s", tn, (long long)C, (long long)width, gaps ? "gaps" : "dense",
          mode == TK_SMALLINT ? "int" : "rand", same ? " same-per-channel" : "", err, outside,
          lanes ? "agree" : "differ", rep ? "same" : "differs");
    ++t->calls;
    free(ug); free(uu); free(want); free(got); free(r1);
    kb_free(&G); kb_free(&U);
}

/* ------------------------------------------------------------------ transpose */

static void wino_tr_case(const cc_kernels *K, const char *tn, int64_t rows, int64_t cols, int gaps,
                         tk_tally *t)
{
    const int64_t src_ld = cols + (gaps ? 2 : 0), dst_ld = rows + (gaps ? 1 : 0);
    const int64_t ns = (rows - 1) * src_ld + cols, nd = (cols - 1) * dst_ld + rows;
    kbuf S = kb_new(0, ns), D = kb_new(0, nd);
    char *us = calloc((size_t)ns, 1), *ud = calloc((size_t)nd, 1);
    for (int64_t i = 0; i < rows; ++i) memset(us + i * src_ld, 1, (size_t)cols);
    for (int64_t j = 0; j < cols; ++j) memset(ud + j * dst_ld, 1, (size_t)rows);
    kb_junk(&S);
    fill_input(&S, us, TK_RANDOM);
    int bad = 0, outside = 0;
    poison_unused(&S, us);
    K->winograd_f32.tr(S.p, src_ld, rows, cols, D.p, dst_ld);
    kb_unpoison(&S);
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
            bad += !tk_same(kb_get(&D, j * dst_ld + i), kb_get(&S, i * src_ld + j));
    outside = untouched_outside(&D, ud);
    CHECK(!bad && !outside && kb_ok(&S) && kb_ok(&D),
          "[%s] winograd tr %lld x %lld %s: %d differ, %d written outside", tn, (long long)rows,
          (long long)cols, gaps ? "gaps" : "dense", bad, outside);
    ++t->calls;
    free(us); free(ud);
    kb_free(&S); kb_free(&D);
}

void tk_winograd(const cc_kernels *K, const char *tn, tk_tally *t)
{
    const int vw = K->gemm_sp_f32.vw; /* the transforms run on the float vectors */
    const int64_t cs[] = {1, vw - 1, vw, vw + 1, 3 * vw + 5};
    const int ncs = (int)(sizeof(cs) / sizeof(cs[0]));
    for (int ci = 0; ci < ncs; ++ci) {
        const int64_t C = cs[ci];
        if (C < 1) continue;
        for (int gaps = 0; gaps <= 1; ++gaps)
            for (int mode = 0; mode <= 1; ++mode)
                for (int same = 0; same <= 1; ++same) {
                    if (K->winograd_f32.in) wino_in_case(K, tn, 6, C, gaps, mode, same, t);
                    if (K->winograd_f32.in2) wino_in_case(K, tn, 4, C, gaps, mode, same, t);
                    for (int with_bias = 0; with_bias <= 1; ++with_bias) {
                        if (K->winograd_f32.out)
                            wino_out_case(K, tn, 6, C, gaps, with_bias, mode, same, t);
                        if (K->winograd_f32.out2)
                            wino_out_case(K, tn, 4, C, gaps, with_bias, mode, same, t);
                    }
                    if (K->winograd_f32.filter2)
                        for (int64_t wv = 1; wv <= 3; ++wv)
                            wino_filter_case(K, tn, C, wv * vw, gaps, mode, same, t);
                }
        if (K->winograd_f32.tr)
            for (int cj = 0; cj < ncs; ++cj)
                if (cs[cj] >= 1)
                    for (int gaps = 0; gaps <= 1; ++gaps) wino_tr_case(K, tn, C, cs[cj], gaps, t);
    }
}
