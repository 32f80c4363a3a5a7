/* winograd.h - float32 3x3 stride-1 convolution by Winograd F(4x4, 3x3) (winograd.c). */
#ifndef CONVCORE_WINOGRAD_H
#define CONVCORE_WINOGRAD_H

#include "internal.h"

/* Whether float32 3x3 stride-1 convolutions may use Winograd (default 1); process-wide. */
void cc_set_winograd(int enabled);
int cc_get_winograd(void);

/* 1 when cc_winograd_conv_f32 takes this (already validated) call: Winograd is enabled, the active target
 * has the transforms, groups 1, 3x3, stride 1, dilation 1, enough channels, and output tiles
 * mostly inside the output. */
int cc_winograd_applies(const cc_conv2d_desc *d, const int64_t xs[4], const int64_t ws[4],
                        const int64_t ys[4]);

/* y (C-contiguous, ys) = conv2d(x, w) + bias for a call cc_winograd_applies accepted. */
cc_status cc_winograd_conv_f32(const cc_conv2d_desc *d, const float *x, const int64_t xs[4],
                               const int64_t xst[4], const float *w, const int64_t ws[4],
                               const int64_t wst[4], const float *bias, int64_t bias_stride,
                               float *y, const int64_t ys[4], int nt);

#endif
