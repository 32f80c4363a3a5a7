/* winograd.h - float32 3x3 stride-1 convolution by Winograd F(4x4, 3x3) or F(2x2, 3x3)
 * (winograd.c). */
#ifndef CONVCORE_WINOGRAD_H
#define CONVCORE_WINOGRAD_H

#include "internal.h"

/* Whether float32 3x3 stride-1 convolutions may use Winograd (default 1); process-wide. */
void cc_set_winograd(int enabled);
int cc_get_winograd(void);

/* 1 when cc_winograd_conv_f32 takes this (already validated) call: Winograd is enabled, the active target
 * has the transforms, groups 1, 3x3, stride 1, dilation 1, enough channels, and output tiles
 * mostly inside the output. F(4x4) where its transformed filters fit in cache, or fit the
 * last-level cache with at least 96 input channels and 40 tiles of 4x4 per image; else
 * F(2x2) with at least 32 channels in and out and 40 tiles of 2x2 per image. Independent
 * of the batch size and the threads. */
int cc_winograd_applies(const cc_conv2d_desc *d, const int64_t xs[4], const int64_t ws[4],
                        const int64_t ys[4]);
/* The output tile of the variant that takes it: 4 (F(4x4)), 2 (F(2x2)) or 0 (none). */
int cc_winograd_tile(const cc_conv2d_desc *d, const int64_t xs[4], const int64_t ws[4],
                     const int64_t ys[4]);

/* A caller's cache of transformed filters (a layer keeps one across calls), in memory the
 * caller owns:
 *   state[0]: 0 when empty, else 1 + the SIMD target the filters were transformed for;
 *   state[1]: 1 while a call uses the cache (taken atomically; a concurrent call with the
 *             same cache transforms its own filters instead, as without a cache);
 *   w: w_elems = C_out * C_in * 9 values, the weights (k, c, i, j order) u was made from;
 *   u: u_elems values (cc_winograd_filter_elems), the transformed, packed filters.
 * A call reuses u only when the target is the same and its weights equal w bit for bit;
 * else it transforms them into u and copies them into w. So a cache is never stale. */
typedef struct cc_wino_cache {
    int64_t *state;
    float *w, *u;
    int64_t w_elems, u_elems;
} cc_wino_cache;

/* Values of u for weights of shape ws under the active kernels; 0 when no call with
 * such weights goes to Winograd (not 3x3, too few or too many channels, or off). */
int64_t cc_winograd_filter_elems(const int64_t ws[4]);

/* y (C-contiguous, ys) = conv2d(x, w) + bias for a call cc_winograd_applies accepted;
 * cache: NULL, or a cache as above for these weights' shape (F(4x4) only; F(2x2) calls
 * ignore it). */
cc_status cc_winograd_conv_f32(const cc_conv2d_desc *d, const float *x, const int64_t xs[4],
                               const int64_t xst[4], const float *w, const int64_t ws[4],
                               const int64_t wst[4], const float *bias, int64_t bias_stride,
                               float *y, const int64_t ys[4], int nt, cc_wino_cache *cache);

#endif
