/* ref.h - naive reference loops for the C tests: every output element summed directly in
 * double, nothing shared with the optimised code but the public header. */
#ifndef CONVCORE_REF_H
#define CONVCORE_REF_H
#include "convcore/convcore.h"

/* x, w dense NCHW / OIHW doubles; y dense, shape from the caller. */
void ref_conv2d(const cc_conv2d_desc *d, const double *x, const int64_t xs[4], const double *w,
                const int64_t ws[4], const double *bias, double *y, const int64_t ys[4]);
void ref_max_pool2d(const cc_pool2d_desc *d, const double *x, const int64_t xs[4], double *y,
                    int64_t *idx, const int64_t ys[4]);
void ref_avg_pool2d(const cc_pool2d_desc *d, const double *x, const int64_t xs[4], double *y,
                    const int64_t ys[4]);
#endif
