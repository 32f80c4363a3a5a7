/* ref_kernels.c - naive references for the kernel slots (see ref_kernels.h). */
#include <math.h>

#include "ref_kernels.h"

void ref_gemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t a_rs, int64_t a_cs,
              const double *b, int64_t b_rs, int64_t b_cs, const double *bias, const double *c0,
              int64_t ldc0, double *c, int64_t ldc)
{
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            double s = c0 ? c0[i * ldc0 + j] : bias ? bias[i] : 0.0;
            for (int64_t p = 0; p < k; ++p) s += a[i * a_rs + p * a_cs] * b[p * b_rs + j * b_cs];
            c[i * ldc + j] = s;
        }
}

void ref_pack_seg(int64_t k, const double *b, const int64_t *boff, int nseg,
                  const int64_t *seg_src, const int64_t *seg_col, const int64_t *seg_len,
                  int64_t n, int64_t w, double *dst)
{
    for (int64_t p = 0; p < k; ++p) {
        double *row = dst + p * w;
        for (int64_t col = n; col < w; ++col) row[col] = 0.0;
        for (int s = 0; s < nseg; ++s)
            for (int64_t e = 0; e < seg_len[s]; ++e)
                row[seg_col[s] + e] = b[boff[p] + seg_src[s] + e];
    }
}

/* Input coordinate of a tap, or -1 outside [0, size). */
static int64_t tap_at(int64_t o, int64_t stride, int64_t pad, int64_t t, int64_t dil,
                      int64_t size)
{
    const int64_t at = o * stride - pad + t * dil;
    return at >= 0 && at < size ? at : -1;
}

void ref_depthwise_plane(const cc_plane_geom *g, const double *x, int64_t xs_h, int64_t xs_w,
                         const double *w, int64_t ws_h, int64_t ws_w, double bias, double *y)
{
    for (int64_t oh = 0; oh < g->out_h; ++oh)
        for (int64_t ow = 0; ow < g->out_w; ++ow) {
            double s = 0.0;
            for (int64_t i = 0; i < g->kernel_h; ++i) {
                const int64_t ih = tap_at(oh, g->stride_h, g->pad_top, i, g->dilation_h, g->in_h);
                if (ih < 0) continue;
                for (int64_t j = 0; j < g->kernel_w; ++j) {
                    const int64_t iw =
                        tap_at(ow, g->stride_w, g->pad_left, j, g->dilation_w, g->in_w);
                    if (iw < 0) continue;
                    s += w[i * ws_h + j * ws_w] * x[ih * xs_h + iw * xs_w];
                }
            }
            y[oh * g->out_w + ow] = bias + s;
        }
}

int64_t ref_max_plane(const cc_plane_geom *g, const double *x, int64_t xs_h, int64_t xs_w,
                      double *y, int64_t *idx)
{
    int64_t empty = 0;
    for (int64_t oh = 0; oh < g->out_h; ++oh)
        for (int64_t ow = 0; ow < g->out_w; ++ow) {
            double best = -INFINITY;
            int64_t at = -1;
            for (int64_t i = 0; i < g->kernel_h; ++i) {
                const int64_t ih = tap_at(oh, g->stride_h, g->pad_top, i, g->dilation_h, g->in_h);
                if (ih < 0) continue;
                for (int64_t j = 0; j < g->kernel_w; ++j) {
                    const int64_t iw =
                        tap_at(ow, g->stride_w, g->pad_left, j, g->dilation_w, g->in_w);
                    if (iw < 0) continue;
                    const double v = x[ih * xs_h + iw * xs_w];
                    if (at < 0) at = ih * g->in_w + iw;
                    if (v > best || isnan(v)) {
                        best = v;
                        at = ih * g->in_w + iw;
                    }
                }
            }
            if (at < 0) ++empty;
            y[oh * g->out_w + ow] = best;
            if (idx) idx[oh * g->out_w + ow] = at;
        }
    return empty;
}

void ref_avg_plane(const cc_plane_geom *g, const double *x, int64_t xs_h, int64_t xs_w,
                   double *y)
{
    for (int64_t oh = 0; oh < g->out_h; ++oh)
        for (int64_t ow = 0; ow < g->out_w; ++ow) {
            const int64_t h0 = oh * g->stride_h - g->pad_top, w0 = ow * g->stride_w - g->pad_left;
            int64_t h1 = h0 + g->kernel_h, w1 = w0 + g->kernel_w;
            if (h1 > g->in_h + g->pad_bottom) h1 = g->in_h + g->pad_bottom;
            if (w1 > g->in_w + g->pad_right) w1 = g->in_w + g->pad_right;
            double s = 0.0;
            int64_t inside = 0;
            for (int64_t ih = h0; ih < h1; ++ih)
                for (int64_t iw = w0; iw < w1; ++iw)
                    if (ih >= 0 && ih < g->in_h && iw >= 0 && iw < g->in_w) {
                        s += x[ih * xs_h + iw * xs_w];
                        ++inside;
                    }
            const double div = g->divisor_override ? (double)g->divisor_override
                               : g->count_include_pad ? (double)((h1 - h0) * (w1 - w0))
                                                      : (double)inside;
            y[oh * g->out_w + ow] = inside ? s / div : 0.0;
        }
}

void ref_wgrad(const cc_wgrad_geom *g, const double *dy, int cb, const double *xe,
               double *grad)
{
    for (int c = 0; c < cb; ++c)
        for (int64_t i = 0; i < g->kernel_h; ++i)
            for (int64_t j = 0; j < g->kernel_w; ++j) {
                double s = 0.0;
                for (int64_t p = 0; p < g->pixels; ++p)
                    s += dy[c * g->dy_cs + p] * xe[g->row_off[i] + j * g->xj_s + p];
                grad[(c * g->kernel_h + i) * g->kernel_w + j] = s;
            }
}

/* F(4x4, 3x3) (points 0, +-1, +-2) and F(2x2, 3x3) (points 0, +-1). */
static const double BT6[6][6] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
static const double AT6[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1},
};
static const double BT4[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
static const double AT4[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
static const double G4[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

void ref_wino_input(int P, const double *d, double *v)
{
    for (int r = 0; r < P; ++r)
        for (int c = 0; c < P; ++c) {
            double s = 0.0;
            for (int a = 0; a < P; ++a)
                for (int b = 0; b < P; ++b) {
                    const double br = P == 6 ? BT6[r][a] : BT4[r][a];
                    const double bc = P == 6 ? BT6[c][b] : BT4[c][b];
                    s += br * d[a * P + b] * bc;
                }
            v[r * P + c] = s;
        }
}

void ref_wino_output(int P, const double *m, double *y)
{
    const int Q = P - 2;
    for (int i = 0; i < Q; ++i)
        for (int j = 0; j < Q; ++j) {
            double s = 0.0;
            for (int a = 0; a < P; ++a)
                for (int b = 0; b < P; ++b) {
                    const double ai = P == 6 ? AT6[i][a] : AT4[i][a];
                    const double aj = P == 6 ? AT6[j][b] : AT4[j][b];
                    s += ai * m[a * P + b] * aj;
                }
            y[i * Q + j] = s;
        }
}

void ref_wino_filter2(const double *g, double *u)
{
    for (int r = 0; r < 4; ++r)
        for (int s = 0; s < 4; ++s) {
            double t = 0.0;
            for (int i = 0; i < 3; ++i)
                for (int j = 0; j < 3; ++j) t += G4[r][i] * g[i * 3 + j] * G4[s][j];
            u[r * 4 + s] = t;
        }
}
