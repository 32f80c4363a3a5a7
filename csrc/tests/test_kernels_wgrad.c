/* test_kernels_wgrad.c - the weight-gradient slots of one table (wgrad_f32/f64 .fn, where
 * the target has them), called directly against ref_wgrad: every kernel width 1..7 with
 * cb[kw] != 0, kernel heights 1..3 and 5, every channel count 1..cb[kw] (the kernel's full
 * and half-height blocks), pixel counts that are and are not multiples of the vector
 * width.
 *
 * xe is built as cc_wgrad_geom says from a real input plane (strides, dilations and
 * padding, so that it holds the padding's zeros), in two layouts: a run per tap with gaps
 * between the runs (poisoned under AddressSanitizer), and the rows shared between kernel
 * rows (stride 1: kernel row i starts i * dilation output rows further on), one plane per
 * kernel column. acc starts from nonzero values (accumulated into, never zeroed); after
 * the call the lane sums of its vectors of channels < cb, minus those before, are the
 * taps' gradients: bit-exact with small integers, within the tolerance with random data.
 * The vectors of channels cb .. cb[kw] - 1 are not checked (the kernel may compute
 * channel 0 into them). dy and xe are exactly as large as what may be read. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_kernels_util.h"

typedef struct wcase {
    int64_t kh, kw, oh, ow, sh, sw, dh, dw, pt, pl;
    int cb, shared, mode;
} wcase;

static void wgrad_case(const cc_kernels *K, const char *tn, int f64, const wcase *c, tk_tally *t)
{
    const int vw = f64 ? K->wgrad_f64.vw : K->wgrad_f32.vw;
    const int cbmax = f64 ? K->wgrad_f64.cb[c->kw] : K->wgrad_f32.cb[c->kw];
    const int64_t P = c->oh * c->ow, KH = c->kh, KW = c->kw, cb = c->cb;
    /* the input plane the taps read: every tap of every output lands inside it or in the
     * padding (pt rows above, pl columns to the left) */
    const int64_t H = (c->oh - 1) * c->sh + (KH - 1) * c->dh + 1 - c->pt;
    const int64_t W = (c->ow - 1) * c->sw + (KW - 1) * c->dw + 1 - c->pl;
    double *x = malloc(sizeof(double) * (size_t)((H > 0 ? H : 1) * (W > 0 ? W : 1)));
    for (int64_t e = 0; e < H * W; ++e) x[e] = c->mode == TK_SMALLINT ? (double)tk_int(3) : tk_rnd();
    /* xe */
    int64_t row_off[8], xj_s, nxe;
    const int64_t gap = 3;
    if (c->shared) { /* sh == 1: rows of oh + (KH - 1) * dh output rows per kernel column */
        const int64_t M = c->oh + (KH - 1) * c->dh;
        for (int64_t i = 0; i < KH; ++i) row_off[i] = i * c->dh * c->ow;
        xj_s = M * c->ow + gap;
        nxe = (KW - 1) * xj_s + M * c->ow;
    } else { /* tap (i, j): run (j * KH + i) */
        for (int64_t i = 0; i < KH; ++i) row_off[i] = i * (P + gap);
        xj_s = KH * (P + gap);
        nxe = (KW - 1) * xj_s + (KH - 1) * (P + gap) + P;
    }
    kbuf XE = kb_new(f64, nxe), DY = kb_new(f64, (cb - 1) * (P + 2) + P);
    kbuf ACC = kb_new(f64, KH * cbmax * KW * vw);
    kb_junk(&XE);
    kb_junk(&DY);
    char *used = calloc((size_t)nxe + 1, 1);
    for (int64_t i = 0; i < KH; ++i)
        for (int64_t j = 0; j < KW; ++j)
            for (int64_t p = 0; p < P; ++p) {
                const int64_t a = p / c->ow, q = p % c->ow;
                const int64_t ih = a * c->sh - c->pt + i * c->dh, iw = q * c->sw - c->pl + j * c->dw;
                const double v = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[ih * W + iw] : 0.0;
                const int64_t e = row_off[i] + j * xj_s + p;
                /* shared rows: a later tap finds the value an earlier one wrote */
                if (used[e] && !tk_same(kb_get(&XE, e), (double)(f64 ? v : (double)(float)v))) {
                    CHECK(0, "[%s] wgrad test: xe layout inconsistent", tn);
                }
                kb_set(&XE, e, v);
                used[e] = 1;
            }
    const int64_t dy_cs = P + 2;
    for (int64_t ch = 0; ch < cb; ++ch) kb_fill(&DY, ch * dy_cs, ch * dy_cs + P, c->mode, 3);
    kb_fill(&ACC, 0, ACC.n, c->mode, 3);
    cc_wgrad_geom g;
    g.pixels = P; g.kernel_h = KH; g.kernel_w = KW; g.dy_cs = dy_cs; g.xj_s = xj_s; g.row_off = row_off;
    double *xed = kb_to_double(&XE), *dyd = kb_to_double(&DY), *acc0 = kb_to_double(&ACC);
    const int64_t ng = cb * KH * KW;
    double *grad = malloc(sizeof(double) * (size_t)ng), *scale = malloc(sizeof(double) * (size_t)ng);
    double *want = malloc(sizeof(double) * (size_t)ng), *got = malloc(sizeof(double) * (size_t)ng);
    ref_wgrad(&g, dyd, (int)cb, xed, grad);
    tk_abs(xed, XE.n);
    tk_abs(dyd, DY.n);
    ref_wgrad(&g, dyd, (int)cb, xed, scale);
    /* the taps of channel ch: vectors ((i * cbmax + ch) * KW + j) */
    for (int64_t ch = 0; ch < cb; ++ch)
        for (int64_t i = 0; i < KH; ++i)
            for (int64_t j = 0; j < KW; ++j) {
                const int64_t v = (i * cbmax + ch) * KW + j, o = (ch * KH + i) * KW + j;
                double s0 = 0, a0 = 0;
                for (int l = 0; l < vw; ++l) {
                    s0 += acc0[v * vw + l];
                    a0 += fabs(acc0[v * vw + l]);
                }
                want[o] = s0 + grad[o];
                scale[o] += a0;
            }
    void *start = kb_save(&ACC), *r1 = NULL;
    int ok = 1, same = 1;
    double err = 0;
    for (int run = 0; run < 2; ++run) {
        kb_restore(&ACC, start);
        for (int64_t e = 0; e < nxe;) { /* the gaps between the runs */
            int64_t e1 = e;
            while (e1 < nxe && !used[e1]) ++e1;
            kb_poison(&XE, e, e1);
            e = e1 + 1;
        }
        for (int64_t ch = 0; ch + 1 < cb; ++ch) kb_poison(&DY, ch * dy_cs + P, (ch + 1) * dy_cs);
        if (f64)
            K->wgrad_f64.fn(&g, DY.p, (int)cb, XE.p, ACC.p);
        else
            K->wgrad_f32.fn(&g, DY.p, (int)cb, XE.p, ACC.p);
        kb_unpoison(&XE);
        kb_unpoison(&DY);
        if (run == 0) {
            for (int64_t ch = 0; ch < cb; ++ch)
                for (int64_t i = 0; i < KH; ++i)
                    for (int64_t j = 0; j < KW; ++j) {
                        const int64_t v = (i * cbmax + ch) * KW + j, o = (ch * KH + i) * KW + j;
                        double s = 0;
                        for (int l = 0; l < vw; ++l) s += kb_get(&ACC, v * vw + l);
                        got[o] = s;
                        if (c->mode == TK_SMALLINT && !tk_same(s, want[o])) ok = 0;
                    }
            err = tk_err_scaled(got, want, scale, ng);
            if (c->mode != TK_SMALLINT && !(err <= tk_tol(f64))) ok = 0;
            r1 = kb_save(&ACC);
        } else {
            same = kb_same(&ACC, r1);
        }
    }
    CHECK(ok && same && kb_ok(&XE) && kb_ok(&DY) && kb_ok(&ACC),
          "[%s] wgrad_%s k %lldx%lld cb %lld of %d, pixels %lld (%lldx%lld), s %lld,%lld dil %lld,%lld "
          "pad %lld,%lld, %s xe, %s: err %.3g, repeat %s",
          tn, f64 ? "f64" : "f32", (long long)KH, (long long)KW, (long long)cb, cbmax, (long long)P,
          (long long)c->oh, (long long)c->ow, (long long)c->sh, (long long)c->sw, (long long)c->dh,
          (long long)c->dw, (long long)c->pt, (long long)c->pl, c->shared ? "shared-row" : "per-tap",
          c->mode == TK_SMALLINT ? "int" : "rand", err, same ? "same" : "differs");
    ++t->calls;
    free(x); free(used); free(xed); free(dyd); free(acc0); free(grad); free(scale); free(want);
    free(got); free(start); free(r1);
    kb_free(&XE); kb_free(&DY); kb_free(&ACC);
}

void tk_wgrad(const cc_kernels *K, const char *tn, tk_tally *t)
{
    for (int f64 = 0; f64 <= 1; ++f64) {
        if (f64 ? !K->wgrad_f64.fn : !K->wgrad_f32.fn) continue;
        const int vw = f64 ? K->wgrad_f64.vw : K->wgrad_f32.vw;
        /* pixels as (rows, columns): 1, vw - 1, vw, vw + 1, 3 vw, 2 vw + 2, 35, 8 vw */
        const int64_t pix[][2] = {{1, 1}, {1, vw - 1}, {1, vw}, {1, vw + 1}, {3, vw},
                                  {2, vw + 1}, {5, 7}, {4, 2 * vw}};
        static const int64_t khs[] = {1, 2, 3, 5};
        int turn = 0;
        for (int64_t kw = 1; kw <= CC_WGRAD_KW_MAX; ++kw) {
            const int cbmax = f64 ? K->wgrad_f64.cb[kw] : K->wgrad_f32.cb[kw];
            for (size_t hi = 0; hi < sizeof(khs) / sizeof(khs[0]); ++hi)
                for (int cb = 1; cb <= cbmax; ++cb)
                    for (size_t pi = 0; pi < sizeof(pix) / sizeof(pix[0]); ++pi) {
                        if (pix[pi][1] < 1) continue;
                        if (khs[hi] == 5 && pi % 2) continue; /* the tallest kernel: half of them */
                        const int tt = turn++;
                        wcase c;
                        c.kh = khs[hi]; c.kw = kw; c.oh = pix[pi][0]; c.ow = pix[pi][1];
                        c.shared = tt % 2;
                        c.sh = c.shared ? 1 : 1 + tt % 3;
                        c.sw = 1 + (tt / 2) % 2;
                        c.dh = 1 + (tt / 3) % 2;
                        c.dw = 1 + (tt / 5) % 2;
                        c.pt = (tt / 2) % 3 == 0 ? 0 : 1;
                        c.pl = (tt / 3) % 3 == 1 ? 0 : 1;
                        c.cb = cb;
                        for (int mode = 0; mode <= 1; ++mode) {
                            c.mode = mode;
                            wgrad_case(K, tn, f64, &c, t);
                        }
                    }
        }
    }
}
