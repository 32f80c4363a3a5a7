/* ref.c - naive reference convolution and pooling (see ref.h). */
#include <math.h>

#include "ref.h"

void ref_conv2d(const cc_conv2d_desc *d, const double *x, const int64_t xs[4], const double *w,
                const int64_t ws[4], const double *bias, double *y, const int64_t ys[4])
{
    const int64_t kg = ws[0] / d->groups, cg = ws[1];
    for (int64_t n = 0; n < ys[0]; ++n)
        for (int64_t k = 0; k < ys[1]; ++k)
            for (int64_t oh = 0; oh < ys[2]; ++oh)
                for (int64_t ow = 0; ow < ys[3]; ++ow) {
                    double s = bias ? bias[k] : 0.0;
                    const int64_t g = k / kg;
                    for (int64_t c = 0; c < cg; ++c)
                        for (int64_t i = 0; i < ws[2]; ++i)
                            for (int64_t j = 0; j < ws[3]; ++j) {
                                const int64_t ih = oh * d->stride_h - d->pad_top + i * d->dilation_h;
                                const int64_t iw = ow * d->stride_w - d->pad_left + j * d->dilation_w;
                                if (ih < 0 || ih >= xs[2] || iw < 0 || iw >= xs[3]) continue;
                                s += x[((n * xs[1] + g * cg + c) * xs[2] + ih) * xs[3] + iw] *
                                     w[((k * cg + c) * ws[2] + i) * ws[3] + j];
                            }
                    y[((n * ys[1] + k) * ys[2] + oh) * ys[3] + ow] = s;
                }
}

void ref_max_pool2d(const cc_pool2d_desc *d, const double *x, const int64_t xs[4], double *y,
                    int64_t *idx, const int64_t ys[4])
{
    for (int64_t p = 0; p < ys[0] * ys[1]; ++p)
        for (int64_t oh = 0; oh < ys[2]; ++oh)
            for (int64_t ow = 0; ow < ys[3]; ++ow) {
                double best = -INFINITY;
                int64_t at = -1;
                for (int64_t i = 0; i < d->kernel_h; ++i)
                    for (int64_t j = 0; j < d->kernel_w; ++j) {
                        const int64_t ih = oh * d->stride_h - d->pad_top + i * d->dilation_h;
                        const int64_t iw = ow * d->stride_w - d->pad_left + j * d->dilation_w;
                        if (ih < 0 || ih >= xs[2] || iw < 0 || iw >= xs[3]) continue;
                        const double v = x[(p * xs[2] + ih) * xs[3] + iw];
                        if (at < 0) at = ih * xs[3] + iw;
                        if (v > best || isnan(v)) {
                            best = v;
                            at = ih * xs[3] + iw;
                        }
                    }
                y[(p * ys[2] + oh) * ys[3] + ow] = best;
                idx[(p * ys[2] + oh) * ys[3] + ow] = at;
            }
}

void ref_avg_pool2d(const cc_pool2d_desc *d, const double *x, const int64_t xs[4], double *y,
                    const int64_t ys[4])
{
    for (int64_t p = 0; p < ys[0] * ys[1]; ++p)
        for (int64_t oh = 0; oh < ys[2]; ++oh)
            for (int64_t ow = 0; ow < ys[3]; ++ow) {
                const int64_t h0 = oh * d->stride_h - d->pad_top, w0 = ow * d->stride_w - d->pad_left;
                const int64_t h1 = fmin(h0 + d->kernel_h, xs[2] + d->pad_bottom);
                const int64_t w1 = fmin(w0 + d->kernel_w, xs[3] + d->pad_right);
                double s = 0.0;
                int64_t inside = 0;
                for (int64_t ih = h0; ih < h1; ++ih)
                    for (int64_t iw = w0; iw < w1; ++iw)
                        if (ih >= 0 && ih < xs[2] && iw >= 0 && iw < xs[3]) {
                            s += x[(p * xs[2] + ih) * xs[3] + iw];
                            ++inside;
                        }
                double div = d->divisor_override ? (double)d->divisor_override
                             : d->count_include_pad ? (double)((h1 - h0) * (w1 - w0))
                                                    : (double)inside;
                y[(p * ys[2] + oh) * ys[3] + ow] = inside ? s / div : 0.0;
            }
}
