/* test_main.c - the C core's own test driver: shape arithmetic (64-bit edges), every
 * entry point against the naive reference for each SIMD target this CPU runs, thread-count
 * determinism, adjoint (dot-product) checks of the gradients, and (test_kernels*.c) every
 * kernel slot of every supported target's table called directly. Prints
 * "N passed, N failed"; exits non-zero on any failure. No Python involved. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convcore/convcore.h"
#include "check.h"
#include "ref/ref.h"
#include "test_kernels.h"

int cc_test_passed, cc_test_failed;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double rnd(void) /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / (double)(1ull << 52) - 1.0;
}

static int64_t numel(const int64_t s[4]) { return s[0] * s[1] * s[2] * s[3]; }
static void dense_strides(const int64_t s[4], int64_t st[4])
{
    st[3] = 1;
    st[2] = s[3];
    st[1] = s[2] * s[3];
    st[0] = s[1] * st[1];
}

static cc_conv2d_desc conv_desc(int64_t s, int64_t pt, int64_t pb, int64_t pl, int64_t pr,
                                int64_t dil, int64_t g)
{
    cc_conv2d_desc d = {s, s, pt, pb, pl, pr, dil, dil, g};
    return d;
}

static void test_status_strings(void)
{
    for (int s = 0; s >= -17; --s) {
        const char *m = cc_status_string((cc_status)s);
        CHECK(m && strlen(m) > 3 && strcmp(m, "unknown status") != 0, "status %d has no string", s);
        for (int t = s + 1; t <= 0; ++t)
            CHECK(strcmp(m, cc_status_string((cc_status)t)) != 0, "statuses %d and %d share a string", s, t);
    }
    CHECK(strcmp(cc_status_string((cc_status)-999), "unknown status") == 0, "unknown status string");
}

static void test_shapes(void)
{
    int64_t oh = 0, ow = 0, ys[4];
    cc_conv2d_desc d = conv_desc(1, 0, 0, 0, 0, 1, 1);
    CHECK(cc_conv2d_output_size(&d, 5, 7, 3, 3, &oh, &ow) == CC_OK && oh == 3 && ow == 5, "valid 3x3");
    d = conv_desc(2, 1, 2, 0, 1, 2, 1);
    /* (10 + 3 - 2*2 - 1) / 2 + 1 = 5 ; (9 + 1 - 5) / 2 + 1 = 3 */
    CHECK(cc_conv2d_output_size(&d, 10, 9, 3, 3, &oh, &ow) == CC_OK && oh == 5 && ow == 3, "asym %lld %lld", (long long)oh, (long long)ow);
    d = conv_desc(1, 0, 0, 0, 0, 1, 1);
    CHECK(cc_conv2d_output_size(&d, 2, 2, 3, 3, &oh, &ow) == CC_ERR_EMPTY_OUTPUT, "empty output");
    d.stride_h = 0;
    CHECK(cc_conv2d_output_size(&d, 5, 5, 3, 3, &oh, &ow) == CC_ERR_BAD_STRIDE, "stride 0");
    d = conv_desc(1, -1, 0, 0, 0, 1, 1);
    CHECK(cc_conv2d_output_size(&d, 5, 5, 3, 3, &oh, &ow) == CC_ERR_BAD_PADDING, "negative pad");
    d = conv_desc(1, 0, 0, 0, 0, 0, 1);
    CHECK(cc_conv2d_output_size(&d, 5, 5, 3, 3, &oh, &ow) == CC_ERR_BAD_DILATION, "dilation 0");
    /* 64-bit edges: sizes near 2^31 work, sums and products past 2^63 are refused */
    d = conv_desc(1, 1, 1, 1, 1, 1, 1);
    CHECK(cc_conv2d_output_size(&d, (int64_t)1 << 31, ((int64_t)1 << 31) + 7, 3, 3, &oh, &ow) == CC_OK &&
              oh == (int64_t)1 << 31 && ow == ((int64_t)1 << 31) + 7, "2^31 sizes");
    d = conv_desc(1, 2, 2, 0, 0, 1, 1);
    CHECK(cc_conv2d_output_size(&d, INT64_MAX - 1, 1, 1, 1, &oh, &ow) == CC_ERR_OVERFLOW, "in + pad overflow");
    d = conv_desc(1, 0, 0, 0, 0, (int64_t)1 << 62, 1);
    CHECK(cc_conv2d_output_size(&d, 5, 5, 5, 1, &oh, &ow) == CC_ERR_OVERFLOW, "dilation * kernel overflow");
    {
        int64_t xs[4] = {(int64_t)1 << 32, (int64_t)1 << 32, 1, 1}, ws[4] = {1, (int64_t)1 << 32, 1, 1};
        d = conv_desc(1, 0, 0, 0, 0, 1, 1);
        CHECK(cc_conv2d_check(&d, xs, ws, ys) == CC_ERR_OVERFLOW, "numel overflow");
    }
    {
        int64_t xs[4] = {1, 4, 5, 5}, ws[4] = {6, 3, 3, 3};
        d = conv_desc(1, 0, 0, 0, 0, 1, 1);
        CHECK(cc_conv2d_check(&d, xs, ws, ys) == CC_ERR_CHANNEL_MISMATCH, "channel mismatch");
        d.groups = 3;
        ws[1] = 1; /* 1 * 3 != 4 */
        CHECK(cc_conv2d_check(&d, xs, ws, ys) == CC_ERR_BAD_GROUPS, "groups not dividing");
    }
    /* pooling: TESTING.md case 1 and case 9 */
    cc_pool2d_desc p;
    memset(&p, 0, sizeof(p));
    p.kernel_h = p.kernel_w = 1; p.stride_h = p.stride_w = 2; p.dilation_h = p.dilation_w = 1; p.ceil_mode = 1;
    CHECK(cc_pool2d_output_size(&p, 2, 2, &oh, &ow) == CC_OK && oh == 1 && ow == 1, "k1 s2 ceil on 2x2");
    CHECK(cc_pool2d_output_size(&p, 6, 7, &oh, &ow) == CC_OK && oh == 3 && ow == 4, "k1 s2 ceil on 6x7");
    p.kernel_h = p.kernel_w = 3; p.stride_h = p.stride_w = 3; p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
    CHECK(cc_pool2d_output_size(&p, 5, 5, &oh, &ow) == CC_OK && oh == 2 && ow == 2, "k3 s3 p1 ceil on 5x5");
    p.pad_left = 2;
    CHECK(cc_pool2d_output_size(&p, 5, 5, &oh, &ow) == CC_ERR_POOL_PADDING, "pool pad > k/2");
    memset(&p, 0, sizeof(p));
    p.kernel_h = p.kernel_w = 1; p.stride_h = p.stride_w = 1; p.dilation_h = p.dilation_w = 1;
    CHECK(cc_pool2d_output_size(&p, 1, ((int64_t)1 << 24) + 1, &oh, &ow) == CC_OK && ow == ((int64_t)1 << 24) + 1, "k1 keeps 2^24+1");
    p.kernel_h = p.kernel_w = (int64_t)1 << 32;
    CHECK(cc_pool2d_output_size(&p, 5, 5, &oh, &ow) == CC_ERR_OVERFLOW, "kernel area overflow");
    /* a dilated window of 2^63 - 7 over 3 columns: the span is near -2^63 and the floor
     * division by a stride near 2^62 used to overflow (and, wrapped, give 2 outputs) */
    p.kernel_h = 1; p.kernel_w = 9; p.dilation_w = ((int64_t)1 << 60) - 1;
    for (int ceil = 0; ceil <= 1; ++ceil) {
        p.ceil_mode = ceil;
        for (int64_t s = (int64_t)1 << 62; s >= 1; s >>= 20) {
            p.stride_w = s;
            CHECK(cc_pool2d_output_size(&p, 1, 3, &oh, &ow) == CC_ERR_EMPTY_OUTPUT, "huge window, stride %lld, ceil %d", (long long)s, ceil);
        }
    }
    /* floor and ceiling divisions with numerators near +-2^63 */
    memset(&p, 0, sizeof(p));
    p.kernel_h = p.kernel_w = 1; p.dilation_h = p.dilation_w = 1; p.ceil_mode = 1;
    p.stride_h = 1; p.stride_w = ((int64_t)1 << 62) + 1;
    CHECK(cc_pool2d_output_size(&p, 1, ((int64_t)1 << 62) + 2, &oh, &ow) == CC_OK && ow == 2, "ceil with a stride near 2^62: %lld", (long long)ow);
    CHECK(cc_pool2d_output_size(&p, 1, ((int64_t)1 << 62) + 1, &oh, &ow) == CC_OK && ow == 1, "ceil, last window in the padding: %lld", (long long)ow);
}

/* max |a - b| relative to max(1, max |b|) */
static double rel_err_f(const float *a, const double *b, int64_t n)
{
    double e = 0, m = 1;
    for (int64_t i = 0; i < n; ++i) {
        e = fmax(e, fabs((double)a[i] - b[i]));
        m = fmax(m, fabs(b[i]));
    }
    return e / m;
}
static double rel_err_d(const double *a, const double *b, int64_t n)
{
    double e = 0, m = 1;
    for (int64_t i = 0; i < n; ++i) {
        e = fmax(e, fabs(a[i] - b[i]));
        m = fmax(m, fabs(b[i]));
    }
    return e / m;
}

typedef struct { int64_t n, c, h, w, k, kh, kw, s, pt, pb, pl, pr, dil, g; } conv_case;

static void test_conv_case(const conv_case *cs, const char *target)
{
    cc_conv2d_desc d = conv_desc(cs->s, cs->pt, cs->pb, cs->pl, cs->pr, cs->dil, cs->g);
    int64_t xs[4] = {cs->n, cs->c, cs->h, cs->w}, ws[4] = {cs->k, cs->c / cs->g, cs->kh, cs->kw};
    int64_t ys[4], xst[4], wst[4];
    if (cc_conv2d_check(&d, xs, ws, ys) != CC_OK) {
        CHECK(0, "bad test case");
        return;
    }
    dense_strides(xs, xst);
    dense_strides(ws, wst);
    const int64_t nx = numel(xs), nw = numel(ws), ny = numel(ys);
    double *x = malloc(sizeof(double) * nx), *w = malloc(sizeof(double) * nw),
           *b = malloc(sizeof(double) * cs->k), *yr = malloc(sizeof(double) * ny),
           *yd = malloc(sizeof(double) * ny), *yd3 = malloc(sizeof(double) * ny);
    float *xf = malloc(sizeof(float) * nx), *wf = malloc(sizeof(float) * nw),
          *bf = malloc(sizeof(float) * cs->k), *yf = malloc(sizeof(float) * ny);
    for (int64_t i = 0; i < nx; ++i) xf[i] = (float)(x[i] = rnd());
    for (int64_t i = 0; i < nw; ++i) wf[i] = (float)(w[i] = rnd());
    for (int64_t i = 0; i < cs->k; ++i) bf[i] = (float)(b[i] = rnd());
    ref_conv2d(&d, x, xs, w, ws, b, yr, ys);
    CHECK(cc_conv2d_f64(&d, x, xs, xst, w, ws, wst, b, 1, yd, 1) == CC_OK, "conv f64 status");
    CHECK(rel_err_d(yd, yr, ny) <= 1e-12, "[%s] conv f64 err %.3g (c%lld k%lld %lldx%lld s%lld g%lld)", target,
          rel_err_d(yd, yr, ny), (long long)cs->c, (long long)cs->k, (long long)cs->kh, (long long)cs->kw,
          (long long)cs->s, (long long)cs->g);
    CHECK(cc_conv2d_f64(&d, x, xs, xst, w, ws, wst, b, 1, yd3, 3) == CC_OK &&
              memcmp(yd, yd3, sizeof(double) * ny) == 0, "[%s] conv f64 differs at 3 threads", target);
    CHECK(cc_conv2d_f32(&d, xf, xs, xst, wf, ws, wst, bf, 1, yf, 2) == CC_OK, "conv f32 status");
    CHECK(rel_err_f(yf, yr, ny) <= 1e-4, "[%s] conv f32 err %.3g", target, rel_err_f(yf, yr, ny));

    /* adjoint checks: <conv(x), dy> = <x, dx> and = <w, dw> (no bias) */
    double *dy = malloc(sizeof(double) * ny), *dx = malloc(sizeof(double) * nx),
           *dw = malloc(sizeof(double) * nw), *db = malloc(sizeof(double) * cs->k);
    int64_t dyst[4];
    dense_strides(ys, dyst);
    for (int64_t i = 0; i < ny; ++i) dy[i] = rnd();
    ref_conv2d(&d, x, xs, w, ws, NULL, yr, ys);
    CHECK(cc_conv2d_backward_f64(&d, dy, ys, dyst, x, xs, xst, w, ws, wst, dx, dw, db, 2) == CC_OK, "backward status");
    double lhs = 0, rx = 0, rw = 0, rb = 0, sb = 0;
    for (int64_t i = 0; i < ny; ++i) lhs += yr[i] * dy[i];
    for (int64_t i = 0; i < nx; ++i) rx += x[i] * dx[i];
    for (int64_t i = 0; i < nw; ++i) rw += w[i] * dw[i];
    for (int64_t i = 0; i < ny; ++i) sb += dy[i];
    for (int64_t i = 0; i < cs->k; ++i) rb += db[i];
    CHECK(fabs(lhs - rx) <= 1e-9 * (1 + fabs(lhs)), "[%s] <Ax,dy> %.12g != <x,A^T dy> %.12g", target, lhs, rx);
    CHECK(fabs(lhs - rw) <= 1e-9 * (1 + fabs(lhs)), "[%s] <Ax,dy> %.12g != <w,dW> %.12g", target, lhs, rw);
    CHECK(fabs(sb - rb) <= 1e-9 * (1 + fabs(sb)), "[%s] sum db %.12g != sum dy %.12g", target, rb, sb);
    free(dy); free(dx); free(dw); free(db);
    free(x); free(w); free(b); free(yr); free(yd); free(yd3); free(xf); free(wf); free(bf); free(yf);
}

static void test_pools(const char *target)
{
    int64_t xs[4] = {2, 3, 9, 11}, xst[4], ys[4];
    dense_strides(xs, xst);
    const int64_t nx = numel(xs);
    double *x = malloc(sizeof(double) * nx);
    for (int64_t i = 0; i < nx; ++i) x[i] = rnd();
    x[7] = NAN;
    for (int ceil = 0; ceil < 2; ++ceil)
        for (int64_t k = 1; k <= 4; ++k)
            for (int64_t s = 1; s <= 3; ++s)
                for (int64_t pad = 0; pad <= k / 2; ++pad) {
                    cc_pool2d_desc p;
                    memset(&p, 0, sizeof(p));
                    p.kernel_h = k; p.kernel_w = k + 1 > 4 ? k : k + 1;
                    p.stride_h = s; p.stride_w = s;
                    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = pad;
                    p.dilation_h = p.dilation_w = 1;
                    p.ceil_mode = ceil;
                    p.count_include_pad = (int)(k % 2);
                    if (pad > p.kernel_w / 2) continue;
                    if (cc_pool2d_check(&p, xs, ys) != CC_OK) continue;
                    const int64_t ny = numel(ys);
                    double *yr = malloc(sizeof(double) * ny), *y = malloc(sizeof(double) * ny);
                    int64_t *ir = malloc(sizeof(int64_t) * ny), *iy = malloc(sizeof(int64_t) * ny);
                    ref_max_pool2d(&p, x, xs, yr, ir, ys);
                    CHECK(cc_max_pool2d_f64(&p, x, xs, xst, y, iy, 2) == CC_OK, "max status");
                    int same = 1;
                    for (int64_t i = 0; i < ny; ++i)
                        if (!((isnan(y[i]) && isnan(yr[i])) || y[i] == yr[i]) || iy[i] != ir[i]) same = 0;
                    CHECK(same, "[%s] max pool k%lld s%lld p%lld ceil%d differs", target, (long long)k, (long long)s, (long long)pad, ceil);
                    ref_avg_pool2d(&p, x, xs, yr, ys);
                    CHECK(cc_avg_pool2d_f64(&p, x, xs, xst, y, 3) == CC_OK, "avg status");
                    double e = 0;
                    int nan_ok = 1;
                    for (int64_t i = 0; i < ny; ++i) {
                        if (isnan(yr[i]) || isnan(y[i])) nan_ok &= isnan(yr[i]) && isnan(y[i]);
                        else e = fmax(e, fabs(y[i] - yr[i]));
                    }
                    CHECK(nan_ok && e <= 1e-12, "[%s] avg pool k%lld s%lld p%lld ceil%d err %.3g", target, (long long)k, (long long)s, (long long)pad, ceil, e);
                    free(yr); free(y); free(ir); free(iy);
                }
    free(x);
    /* an empty plane with padding: windows, but no element to take the maximum of (the
     * kernel used to write -inf and index -1); nothing is written */
    {
        const int64_t es[4] = {1, 2, 0, 3}, est[4] = {6, 3, 3, 1};
        double ey[2 * 1 * 2] = {7, 7, 7, 7};
        int64_t ei[4] = {7, 7, 7, 7}, eys[4];
        cc_pool2d_desc p;
        memset(&p, 0, sizeof(p));
        p.kernel_h = p.kernel_w = 2; p.stride_h = p.stride_w = 2;
        p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1; p.dilation_h = p.dilation_w = 1;
        CHECK(cc_pool2d_check(&p, es, eys) == CC_OK && eys[2] == 1 && eys[3] == 2, "[%s] empty plane shape", target);
        CHECK(cc_max_pool2d_f64(&p, &ey[0], es, est, ey, ei, 2) == CC_ERR_BAD_SHAPE &&
                  ey[0] == 7 && ei[3] == 7, "[%s] max pool of an empty plane", target);
        double none = 0;
        const cc_status ast = cc_avg_pool2d_f64(&p, &none, es, est, ey, 2);
        CHECK(ast == CC_OK, "[%s] avg pool of an empty plane: %s", target, cc_status_string(ast));
        CHECK(ey[0] == 0 && ey[1] == 0 && ey[2] == 0 && ey[3] == 0, "[%s] avg pool of an empty plane: %g %g %g %g", target, ey[0], ey[1], ey[2], ey[3]);
    }
}

int main(void)
{
    static const conv_case cases[] = {
        {2, 3, 9, 10, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1},
        {1, 17, 7, 13, 33, 3, 3, 2, 1, 0, 2, 1, 1, 1},
        {2, 8, 6, 6, 16, 1, 1, 1, 0, 0, 0, 0, 1, 1},
        {1, 6, 11, 11, 6, 3, 3, 1, 2, 2, 2, 2, 2, 3},
        {2, 4, 8, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 4},
        {1, 3, 20, 21, 5, 7, 5, 3, 3, 2, 1, 3, 1, 1},
        {1, 1, 1, 1, 3, 4, 4, 1, 2, 1, 2, 1, 1, 1},
        {3, 40, 5, 5, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1},
        /* a stride of 2^63 - 1 over padding of 2^61 with a dilation of 2^61: one output,
         * whose middle tap is the only one inside the input. The in-bounds run of a tap
         * computed (-offset + stride - 1) / stride, which overflows int64 here. */
        {2, 2, 5, 3, 2, 1, 3, INT64_MAX, 0, 0, (int64_t)1 << 61, (int64_t)1 << 61, (int64_t)1 << 61, 1},
        {2, 2, 5, 3, 2, 1, 3, INT64_MAX, 0, 0, (int64_t)1 << 61, (int64_t)1 << 61, (int64_t)1 << 61, 2},
    };
    test_status_strings();
    test_shapes();
    const int saved = cc_get_target();
    for (int t = 0; t < CC_TARGET_COUNT; ++t) {
        if (!cc_target_compiled(t) || !cc_target_supported(t)) continue;
        CHECK(cc_set_target(t) == CC_OK, "set target %d", t);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i)
            test_conv_case(&cases[i], cc_target_name(t));
        test_pools(cc_target_name(t));
    }
    cc_set_target(saved);
    test_kernels();
    printf("target in use: %s, cpu features: %s, openmp: %d\n", cc_target_name(cc_get_target()),
           cc_cpu_features(), cc_openmp_enabled());
    if (cc_test_failed > CC_TEST_SHOW_MAX)
        printf("(%d more failures not shown)\n", cc_test_failed - CC_TEST_SHOW_MAX);
    printf("%d passed, %d failed\n", cc_test_passed, cc_test_failed);
    return cc_test_failed ? 1 : 0;
}
