/* test_kernels_gemm.c - the GEMM slots of one table, called directly: the packed
 * micro-kernels (gemm_f32/f64 .fn), the forward kernels with strided A (gemm_sp .fn[v],
 * every v the table has, with mr or mr_wide rows), their in-place B variants (.ind[v]),
 * the packing of B (.pack: pack_seg) and the kernels with one extra column (.tail[v]).
 * Every call against ref_gemm / ref_pack_seg: bit-exact with small integers, within the
 * type's tolerance with random data; C written only in its m x n corner (the rest keeps
 * the sentinel), nothing read past what the contract allows (exact buffers and poisoned
 * gaps under AddressSanitizer, NaN in the elements a kernel may read but must not use);
 * the same bits from a second call. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_kernels_util.h"

/* The values of one case: A, B (and the tail column), the bias, the start of C. Small
 * integers keep every sum exact in float (|sum| <= 300 * 9 + 3). */
static void fill_vals(kbuf *b, int64_t i0, int64_t i1, int mode) { kb_fill(b, i0, i1, mode, 3); }

/* Rows [0, rows - 1) of a row-major buffer of stride ld use ld's first `used` elements:
 * the rest of each row is poisoned (the last row ends the buffer). */
static void poison_rows(kbuf *b, int64_t rows, int64_t ld, int64_t used)
{
    for (int64_t i = 0; i + 1 < rows; ++i) kb_poison(b, i * ld + used, (i + 1) * ld);
}

/* C after a call: the m x n corner against want (m x n, dense), bit for bit when exact,
 * else within the tolerance; every other element the sentinel; the guards intact.
 * Returns 1 when all holds; *err gets the error. */
static int check_c(const kbuf *c, int64_t ldc, int64_t m, int64_t n, const double *want,
                   const double *scale, int exact, double *err, int *outside)
{
    double *got = malloc(sizeof(double) * (size_t)(m * n));
    int ok = 1;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            got[i * n + j] = kb_get(c, i * ldc + j);
            if (exact && !tk_same(got[i * n + j], want[i * n + j])) ok = 0;
        }
    *err = tk_err_scaled(got, want, scale, m * n);
    if (!exact && !(*err <= tk_tol(c->f64))) ok = 0;
    *outside = 0;
    for (int64_t e = 0; e < c->n; ++e)
        if (e % ldc >= n && !kb_is_sentinel(c, e)) ++*outside;
    if (*outside || !kb_ok(c)) ok = 0;
    free(got);
    return ok;
}

/* The reference from the absolute values of the same operands: the scale of the error. */
static double *abs_gemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t a_rs,
                        int64_t a_cs, int64_t na, const double *b, int64_t b_rs, int64_t b_cs,
                        int64_t nb, const double *bias, const double *c0, int64_t ldc0, int64_t nc)
{
    double *aa = malloc(sizeof(double) * (size_t)na), *ab = malloc(sizeof(double) * (size_t)nb);
    double *abias = malloc(sizeof(double) * (size_t)(m + 1)), *ac = malloc(sizeof(double) * (size_t)(nc + 1));
    double *out = malloc(sizeof(double) * (size_t)(m * n));
    memcpy(aa, a, sizeof(double) * (size_t)na);
    memcpy(ab, b, sizeof(double) * (size_t)nb);
    tk_abs(aa, na);
    tk_abs(ab, nb);
    if (bias) {
        memcpy(abias, bias, sizeof(double) * (size_t)m);
        tk_abs(abias, m);
    }
    if (c0) {
        memcpy(ac, c0, sizeof(double) * (size_t)nc);
        tk_abs(ac, nc);
    }
    ref_gemm(m, n, k, aa, a_rs, a_cs, ab, b_rs, b_cs, bias ? abias : NULL, c0 ? ac : NULL, ldc0,
             out, n);
    free(aa); free(ab); free(abias); free(ac);
    return out;
}

static const char *mode_name(int mode) { return mode == TK_SMALLINT ? "int" : "rand"; }

/* ------------------------------------------------------------------ packed A and B */

static void gemm_packed(const cc_kernels *K, const char *tn, int f64, int64_t k, int64_t m,
                        int64_t n, int accumulate, int with_bias, int mode, tk_tally *t)
{
    const int MR = f64 ? K->gemm_f64.mr : K->gemm_f32.mr, NR = f64 ? K->gemm_f64.nr : K->gemm_f32.nr;
    const int64_t ldc = n + 3;
    kbuf A = kb_new(f64, k * MR), B = kb_new(f64, k * NR), C = kb_new(f64, (m - 1) * ldc + n);
    kbuf bias = kb_new(f64, m); /* read for i < m only */
    /* A: k x MR (column p at p * MR), zero past m; B: k x NR (row p at p * NR), zero past n */
    for (int64_t p = 0; p < k; ++p) {
        for (int64_t i = 0; i < MR; ++i) {
            if (i < m) fill_vals(&A, p * MR + i, p * MR + i + 1, mode);
            else kb_set(&A, p * MR + i, 0.0);
        }
        for (int64_t j = 0; j < NR; ++j) {
            if (j < n) fill_vals(&B, p * NR + j, p * NR + j + 1, mode);
            else kb_set(&B, p * NR + j, 0.0);
        }
    }
    fill_vals(&bias, 0, m, mode);
    if (accumulate)
        for (int64_t i = 0; i < m; ++i) fill_vals(&C, i * ldc, i * ldc + n, mode);
    double *ad = kb_to_double(&A), *bd = kb_to_double(&B), *cd = kb_to_double(&C);
    double *biasd = kb_to_double(&bias), *want = malloc(sizeof(double) * (size_t)(m * n));
    ref_gemm(m, n, k, ad, 1, MR, bd, NR, 1, with_bias ? biasd : NULL, accumulate ? cd : NULL,
             ldc, want, n);
    double *scale = abs_gemm(m, n, k, ad, 1, MR, A.n, bd, NR, 1, B.n, with_bias ? biasd : NULL,
                             accumulate ? cd : NULL, ldc, C.n);
    void *c0 = kb_save(&C), *r1 = NULL;
    int same = 1, ok = 1, outside = 0;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        kb_restore(&C, c0);
        poison_rows(&C, m, ldc, n);
        if (f64)
            K->gemm_f64.fn(k, A.p, B.p, C.p, ldc, m, n, with_bias ? bias.p : NULL, accumulate);
        else
            K->gemm_f32.fn(k, A.p, B.p, C.p, ldc, m, n, with_bias ? bias.p : NULL, accumulate);
        kb_unpoison(&C);
        if (run == 0) {
            ok = check_c(&C, ldc, m, n, want, scale, mode == TK_SMALLINT, &err, &outside);
            r1 = kb_save(&C);
        } else {
            same = kb_same(&C, r1);
        }
    }
    CHECK(ok && same && kb_ok(&A) && kb_ok(&B) && kb_ok(&bias),
          "[%s] gemm_%s packed k%lld m%lld n%lld acc%d bias%d %s: err %.3g, %d written outside, "
          "repeat %s", tn, f64 ? "f64" : "f32", (long long)k, (long long)m, (long long)n,
          accumulate, with_bias, mode_name(mode), err, outside, same ? "same" : "differs");
    ++t->calls;
    free(ad); free(bd); free(cd); free(biasd); free(want); free(scale); free(c0); free(r1);
    kb_free(&A); kb_free(&B); kb_free(&C); kb_free(&bias);
}

/* ------------------------------------------------------------------ strided A */

/* fn[v - 1] (B packed v * VW wide) or, ind, ind[v - 1] (B row p at b + boff[p]). */
static void gemm_sp(const cc_kernels *K, const char *tn, int f64, int v, int ind, int64_t k,
                    int64_t m, int64_t n, int accumulate, int with_bias, int mode, tk_tally *t)
{
    const int vw = f64 ? K->gemm_sp_f64.vw : K->gemm_sp_f32.vw;
    const int64_t W = (int64_t)v * vw, lda = k + 2, ldc = n + 1;
    kbuf A = kb_new(f64, (m - 1) * lda + k), C = kb_new(f64, (m - 1) * ldc + n);
    kbuf bias = kb_new(f64, m);
    int64_t *boff = malloc(sizeof(int64_t) * (size_t)k);
    int64_t nb;
    if (ind) { /* rows anywhere in a span, overlapping or not; the last one ends the buffer */
        int64_t hi = 0;
        for (int64_t p = 0; p < k; ++p) {
            boff[p] = tk_int(2 * W) + 2 * W;
            hi = boff[p] > hi ? boff[p] : hi;
        }
        if (k > 1) boff[k / 2] = hi; /* a row in the middle at the end of the buffer */
        nb = hi + n;
    } else {
        for (int64_t p = 0; p < k; ++p) boff[p] = p * W;
        nb = k * W;
    }
    kbuf B = kb_new(f64, nb);
    kb_junk(&A);
    kb_junk(&B); /* packed: columns past n may hold anything (a pack that over-read) */
    for (int64_t i = 0; i < m; ++i) fill_vals(&A, i * lda, i * lda + k, mode);
    for (int64_t p = 0; p < k; ++p) fill_vals(&B, boff[p], boff[p] + n, mode); /* shared values stay */
    fill_vals(&bias, 0, m, mode);
    if (accumulate)
        for (int64_t i = 0; i < m; ++i) fill_vals(&C, i * ldc, i * ldc + n, mode);
    /* under ASan, every B element that no row's first n columns cover is poisoned (ind);
     * packed, columns past n may be read (they are part of the packed rows) */
    char *used = calloc((size_t)nb + 1, 1);
    for (int64_t p = 0; p < k; ++p) memset(used + boff[p], 1, (size_t)n);
    double *ad = kb_to_double(&A), *bd = kb_to_double(&B), *cd = kb_to_double(&C);
    double *biasd = kb_to_double(&bias), *want = malloc(sizeof(double) * (size_t)(m * n));
    double *bdense = malloc(sizeof(double) * (size_t)(k * n));
    for (int64_t p = 0; p < k; ++p)
        for (int64_t j = 0; j < n; ++j) bdense[p * n + j] = bd[boff[p] + j];
    ref_gemm(m, n, k, ad, lda, 1, bdense, n, 1, with_bias ? biasd : NULL,
             accumulate ? cd : NULL, ldc, want, n);
    double *scale = abs_gemm(m, n, k, ad, lda, 1, A.n, bdense, n, 1, k * n,
                             with_bias ? biasd : NULL, accumulate ? cd : NULL, ldc, C.n);
    void *c0 = kb_save(&C), *r1 = NULL;
    int same = 1, ok = 1, outside = 0;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        kb_restore(&C, c0);
        poison_rows(&C, m, ldc, n);
        poison_rows(&A, m, lda, k);
        if (ind)
            for (int64_t e = 0; e < nb;) {
                int64_t e1 = e;
                while (e1 < nb && !used[e1]) ++e1;
                kb_poison(&B, e, e1);
                e = e1 + 1;
            }
        const void *bp = with_bias ? bias.p : NULL;
        if (f64) {
            if (ind)
                K->gemm_sp_f64.ind[v - 1](k, A.p, lda, B.p, boff, C.p, ldc, m, n, bp, accumulate);
            else
                K->gemm_sp_f64.fn[v - 1](k, A.p, lda, B.p, C.p, ldc, m, n, bp, accumulate);
        } else {
            if (ind)
                K->gemm_sp_f32.ind[v - 1](k, A.p, lda, B.p, boff, C.p, ldc, m, n, bp, accumulate);
            else
                K->gemm_sp_f32.fn[v - 1](k, A.p, lda, B.p, C.p, ldc, m, n, bp, accumulate);
        }
        kb_unpoison(&C);
        kb_unpoison(&A);
        kb_unpoison(&B);
        if (run == 0) {
            ok = check_c(&C, ldc, m, n, want, scale, mode == TK_SMALLINT, &err, &outside);
            r1 = kb_save(&C);
        } else {
            same = kb_same(&C, r1);
        }
    }
    CHECK(ok && same && kb_ok(&A) && kb_ok(&B) && kb_ok(&bias),
          "[%s] gemm_sp_%s %s[%d] k%lld m%lld n%lld acc%d bias%d %s: err %.3g, %d written "
          "outside, repeat %s", tn, f64 ? "f64" : "f32", ind ? "ind" : "fn", v - 1, (long long)k,
          (long long)m, (long long)n, accumulate, with_bias, mode_name(mode), err, outside,
          same ? "same" : "differs");
    ++t->calls;
    free(ad); free(bd); free(cd); free(biasd); free(want); free(scale); free(bdense); free(c0); free(r1);
    free(used); free(boff);
    kb_free(&A); kb_free(&B); kb_free(&C); kb_free(&bias);
}

/* tail[v - 1]: B packed v * VW wide plus one column (tail[0 .. k-1]); C gets v * VW + 1
 * columns in each of its m <= mr_tail rows. */
static void gemm_tail(const cc_kernels *K, const char *tn, int f64, int v, int64_t k, int64_t m,
                      int accumulate, int with_bias, int mode, tk_tally *t)
{
    const int vw = f64 ? K->gemm_sp_f64.vw : K->gemm_sp_f32.vw;
    const int64_t W = (int64_t)v * vw, n = W + 1, lda = k + 1, ldc = n + 2;
    kbuf A = kb_new(f64, (m - 1) * lda + k), B = kb_new(f64, k * W), T = kb_new(f64, k);
    kbuf C = kb_new(f64, (m - 1) * ldc + n), bias = kb_new(f64, m);
    kb_junk(&A);
    for (int64_t i = 0; i < m; ++i) fill_vals(&A, i * lda, i * lda + k, mode);
    fill_vals(&B, 0, k * W, mode);
    fill_vals(&T, 0, k, mode);
    fill_vals(&bias, 0, m, mode);
    if (accumulate)
        for (int64_t i = 0; i < m; ++i) fill_vals(&C, i * ldc, i * ldc + n, mode);
    double *ad = kb_to_double(&A), *bd = kb_to_double(&B), *td = kb_to_double(&T);
    double *cd = kb_to_double(&C), *biasd = kb_to_double(&bias);
    double *want = malloc(sizeof(double) * (size_t)(m * n));
    double *bdense = malloc(sizeof(double) * (size_t)(k * n));
    for (int64_t p = 0; p < k; ++p) {
        for (int64_t j = 0; j < W; ++j) bdense[p * n + j] = bd[p * W + j];
        bdense[p * n + W] = td[p];
    }
    ref_gemm(m, n, k, ad, lda, 1, bdense, n, 1, with_bias ? biasd : NULL,
             accumulate ? cd : NULL, ldc, want, n);
    double *scale = abs_gemm(m, n, k, ad, lda, 1, A.n, bdense, n, 1, k * n,
                             with_bias ? biasd : NULL, accumulate ? cd : NULL, ldc, C.n);
    void *c0 = kb_save(&C), *r1 = NULL;
    int same = 1, ok = 1, outside = 0;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        kb_restore(&C, c0);
        poison_rows(&C, m, ldc, n);
        poison_rows(&A, m, lda, k);
        const void *bp = with_bias ? bias.p : NULL;
        if (f64)
            K->gemm_sp_f64.tail[v - 1](k, A.p, lda, B.p, T.p, C.p, ldc, m, bp, accumulate);
        else
            K->gemm_sp_f32.tail[v - 1](k, A.p, lda, B.p, T.p, C.p, ldc, m, bp, accumulate);
        kb_unpoison(&C);
        kb_unpoison(&A);
        if (run == 0) {
            ok = check_c(&C, ldc, m, n, want, scale, mode == TK_SMALLINT, &err, &outside);
            r1 = kb_save(&C);
        } else {
            same = kb_same(&C, r1);
        }
    }
    CHECK(ok && same && kb_ok(&A) && kb_ok(&B) && kb_ok(&T) && kb_ok(&bias),
          "[%s] gemm_sp_%s tail[%d] k%lld m%lld acc%d bias%d %s: err %.3g, %d written outside, "
          "repeat %s", tn, f64 ? "f64" : "f32", v - 1, (long long)k, (long long)m, accumulate,
          with_bias, mode_name(mode), err, outside, same ? "same" : "differs");
    ++t->calls;
    free(ad); free(bd); free(td); free(cd); free(biasd); free(want); free(scale); free(bdense);
    free(c0); free(r1);
    kb_free(&A); kb_free(&B); kb_free(&T); kb_free(&C); kb_free(&bias);
}

/* ------------------------------------------------------------------ pack_seg */

#define PACK_SEGS_MAX (CC_PACK_SEGS + 4)

/* k packed rows of w = nv * VW columns from nseg segments of the given lengths (tiling
 * [0, n) in order); segment s of row p starts at b + boff[p] + seg_src[s]. The source
 * holds exactly what may be read (each segment, plus VW - 1 past it with overread; NaN
 * there, which must not reach a column < n), dst the packed rows plus the VW of slack the
 * contract asks for. Columns < n: the source values, bit for bit; columns [n, w): +0
 * without overread. With overread the SIMD packs leave source values past the last
 * segment in columns [n, w) (pack_seg's comment promises zeros there); only the columns
 * < n are checked then: gemm_sp never stores a column >= n (tested above with NaN there). */
static void pack_case(const cc_kernels *K, const char *tn, int f64, int nv, int64_t k, int nseg,
                     const int64_t *len, int overread, int gap, int mode, tk_tally *t)
{
    const int vw = f64 ? K->gemm_sp_f64.vw : K->gemm_sp_f32.vw;
    const int64_t w = (int64_t)nv * vw, over = overread ? vw - 1 : 0;
    int64_t seg_src[PACK_SEGS_MAX], seg_col[PACK_SEGS_MAX], n = 0;
    for (int s = 0; s < nseg; ++s) {
        seg_col[s] = n;
        n += len[s];
    }
    /* segments: runs of consecutive source rows (a phase plane's rows, gap apart) */
    int64_t src_end = 0;
    for (int s = 0; s < nseg; ++s) {
        seg_src[s] = (s == 0 ? 0 : seg_src[s - 1] + len[s - 1] + over) + gap;
        src_end = seg_src[s] + len[s] + over;
    }
    int64_t *boff = malloc(sizeof(int64_t) * (size_t)k), hi = 0;
    for (int64_t p = 0; p < k; ++p) {
        boff[p] = p % 3 == 2 ? tk_int(src_end) + src_end : p * (src_end / 2 + 1);
        hi = boff[p] > hi ? boff[p] : hi;
    }
    if (k > 2) boff[1] = hi; /* a row in the middle reads the buffer's end */
    const int64_t nb = hi + src_end;
    kbuf B = kb_new(f64, nb), D = kb_new(f64, k * w + vw);
    kb_junk(&B);
    char *used = calloc((size_t)nb + 1, 1);
    for (int64_t p = 0; p < k; ++p)
        for (int s = 0; s < nseg; ++s) {
            fill_vals(&B, boff[p] + seg_src[s], boff[p] + seg_src[s] + len[s], mode);
            memset(used + boff[p] + seg_src[s], 1, (size_t)(len[s] + over));
        }
    /* rows overlap: the reference reads the buffer as the last fill left it */
    double *bd = kb_to_double(&B), *want = malloc(sizeof(double) * (size_t)(k * w));
    ref_pack_seg(k, bd, boff, nseg, seg_src, seg_col, len, n, w, want);
    void *r1 = NULL;
    int ok = 1, same = 1, zero_tail = 1, bad = 0;
    for (int run = 0; run < 2; ++run) {
        for (int64_t e = 0; e < D.n; ++e) kb_set_sentinel(&D, e);
        for (int64_t e = 0; e < nb;) {
            int64_t e1 = e;
            while (e1 < nb && !used[e1]) ++e1;
            kb_poison(&B, e, e1);
            e = e1 + 1;
        }
        if (f64)
            K->gemm_sp_f64.pack(k, B.p, boff, nseg, seg_src, seg_col, len, n, nv, overread, D.p);
        else
            K->gemm_sp_f32.pack(k, B.p, boff, nseg, seg_src, seg_col, len, n, nv, overread, D.p);
        kb_unpoison(&B);
        if (run == 0) {
            for (int64_t p = 0; p < k; ++p)
                for (int64_t c = 0; c < w; ++c) {
                    const double g = kb_get(&D, p * w + c);
                    if (c < n) {
                        if (!tk_same(g, want[p * w + c])) ++bad;
                    } else if (!tk_same(g, 0.0)) {
                        zero_tail = 0;
                    }
                }
            ok = bad == 0 && (overread || zero_tail) && kb_ok(&D);
            r1 = kb_save(&D);
        } else {
            same = kb_same(&D, r1);
        }
    }
    char lens[128];
    int at = 0;
    for (int s = 0; s < nseg && at < 100; ++s)
        at += snprintf(lens + at, sizeof(lens) - (size_t)at, "%s%lld", s ? "," : "", (long long)len[s]);
    CHECK(ok && same && kb_ok(&B), "[%s] pack_seg_%s nv%d k%lld segs [%s] n%lld overread%d: %d "
          "columns < n differ, columns past n %s, repeat %s", tn, f64 ? "f64" : "f32", nv,
          (long long)k, lens, (long long)n, overread, bad, zero_tail ? "zero" : "not zero",
          same ? "same" : "differs");
    ++t->calls;
    free(boff); free(used); free(bd); free(want); free(r1);
    kb_free(&B); kb_free(&D);
}

/* The segment lists of a case (also more than CC_PACK_SEGS, which pack_seg takes on a
 * path of its own): one whole row (the copy fast path), segments of exactly
 * one vector (the single-piece path), short ones, long ones, and random splits of n. */
static void pack_all(const cc_kernels *K, const char *tn, int f64, tk_tally *t)
{
    const int vw = f64 ? K->gemm_sp_f64.vw : K->gemm_sp_f32.vw;
    const int nvw = f64 ? K->gemm_sp_f64.nv_wide : K->gemm_sp_f32.nv_wide;
    for (int nv = 1; nv <= nvw; ++nv) {
        const int64_t w = (int64_t)nv * vw;
        for (int overread = 0; overread <= 1; ++overread)
            for (int mode = 0; mode <= 1; ++mode) {
                int64_t len[PACK_SEGS_MAX];
                len[0] = w; /* one segment over the whole row */
                pack_case(K, tn, f64, nv, 5, 1, len, overread, 0, mode, t);
                for (int s = 0; s < nv && s < CC_PACK_SEGS; ++s) len[s] = vw; /* whole vectors */
                pack_case(K, tn, f64, nv, 4, nv < CC_PACK_SEGS ? nv : CC_PACK_SEGS, len,
                          overread, 3, mode, t);
                for (int64_t n = 1; n <= w; n += (n < 2 * vw + 2 ? 1 : vw - 1)) {
                    /* a random split into up to CC_PACK_SEGS segments (and once more),
                     * one row or several */
                    for (int rep = 0; rep < 3; ++rep) {
                        int nseg = rep == 2 ? PACK_SEGS_MAX : 1 + (int)((tk_int(1000) + 1000) % CC_PACK_SEGS);
                        if (nseg > n) nseg = (int)n;
                        int64_t left = n;
                        for (int s = 0; s < nseg; ++s) {
                            const int64_t rest = nseg - 1 - s; /* each later one needs 1 */
                            len[s] = s == nseg - 1 ? left
                                                   : 1 + (tk_int(1000) + 1000) % (left - rest);
                            left -= len[s];
                        }
                        pack_case(K, tn, f64, nv, rep ? 7 : 1, nseg, len, overread,
                                  (int)(rep * 5), mode, t);
                    }
                    /* segments of at most one vector each: the single-piece path */
                    if (n <= (int64_t)CC_PACK_SEGS * vw) {
                        int nseg = (int)((n + vw - 1) / vw);
                        for (int s = 0; s < nseg; ++s) len[s] = s < nseg - 1 ? vw : n - (int64_t)s * vw;
                        pack_case(K, tn, f64, nv, 3, nseg, len, overread, 1, mode, t);
                    }
                }
            }
    }
}

/* ------------------------------------------------------------------ all of them */

/* n from 1 to w: all of them, or those around the multiples of the vector width */
static int n_list(int64_t w, int vw, int all, int64_t *out)
{
    int c = 0;
    for (int64_t n = 1; n <= w; ++n) {
        const int64_t r = n % vw;
        if (all || n <= 2 || r == 0 || r == 1 || r == vw - 1) out[c++] = n;
    }
    return c;
}

void tk_gemm(const cc_kernels *K, const char *tn, tk_tally *t)
{
    static const int64_t ks[] = {1, 7, 64, 300};
    int64_t ns[256];
    for (int f64 = 0; f64 <= 1; ++f64) {
        /* the packed micro-kernel */
        const int MR = f64 ? K->gemm_f64.mr : K->gemm_f32.mr, NR = f64 ? K->gemm_f64.nr : K->gemm_f32.nr;
        const int vw = f64 ? K->gemm_sp_f64.vw : K->gemm_sp_f32.vw;
        for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ++ki) {
            const int64_t k = ks[ki];
            const int nn = n_list(NR, vw, k == 1, ns);
            for (int64_t m = 1; m <= MR; ++m) {
                if (k == 300 && m != 1 && m != MR - 1 && m != MR) continue;
                for (int ni = 0; ni < nn; ++ni)
                    for (int v = 0; v < 8; ++v)
                        gemm_packed(K, tn, f64, k, m, ns[ni], v & 1, (v >> 1) & 1, v >> 2, t);
            }
        }
        /* the strided-A kernels, every width, B packed and in place */
        const int nv = f64 ? K->gemm_sp_f64.nv : K->gemm_sp_f32.nv;
        const int nvw = f64 ? K->gemm_sp_f64.nv_wide : K->gemm_sp_f32.nv_wide;
        for (int v = 1; v <= nvw; ++v) {
            const int R = v <= nv ? (f64 ? K->gemm_sp_f64.mr : K->gemm_sp_f32.mr)
                                  : (f64 ? K->gemm_sp_f64.mr_wide : K->gemm_sp_f32.mr_wide);
            for (size_t ki = 0; ki < sizeof(ks) / sizeof(ks[0]); ++ki) {
                const int64_t k = ks[ki];
                const int nn = n_list((int64_t)v * vw, vw, k == 1, ns);
                for (int64_t m = 1; m <= R; ++m) {
                    if (k >= 64 && m != 1 && m != R - 1 && m != R) continue;
                    for (int ni = 0; ni < nn; ++ni)
                        for (int c = 0; c < 8; ++c)
                            for (int ind = 0; ind <= 1; ++ind)
                                gemm_sp(K, tn, f64, v, ind, k, m, ns[ni], c & 1, (c >> 1) & 1,
                                        c >> 2, t);
                }
            }
        }
        /* the tail kernels, where the target has them */
        const int mrt = f64 ? K->gemm_sp_f64.mr_tail : K->gemm_sp_f32.mr_tail;
        for (int v = 1; v <= CC_GEMM_NV_MAX; ++v) {
            if (f64 ? !K->gemm_sp_f64.tail[v - 1] : !K->gemm_sp_f32.tail[v - 1]) break;
            const int64_t tks[] = {1, 2, vw - 1, vw, vw + 1, 2 * vw + 3, 64, 300};
            for (size_t ki = 0; ki < sizeof(tks) / sizeof(tks[0]); ++ki)
                for (int64_t m = 1; m <= mrt; ++m)
                    for (int c = 0; c < 8; ++c)
                        gemm_tail(K, tn, f64, v, tks[ki], m, c & 1, (c >> 1) & 1, c >> 2, t);
        }
        pack_all(K, tn, f64, t);
    }
}
