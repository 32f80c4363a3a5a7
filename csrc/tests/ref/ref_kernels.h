/* ref_kernels.h - naive references for the kernel slots of the dispatch table (dispatch.h),
 * written from the slots' contracts: every output summed directly in double, in the plain
 * order of the definition. Nothing is shared with the optimised code but the contracts'
 * types (cc_plane_geom, cc_wgrad_geom) from dispatch.h. Used by ../test_kernels_*.c. */
#ifndef CONVCORE_REF_KERNELS_H
#define CONVCORE_REF_KERNELS_H
#include <stdint.h>

#include "dispatch.h"

/* C[i * ldc + j] for i < m, j < n: start + sum over p < k of A(i, p) * B(p, j), where
 * A(i, p) = a[i * a_rs + p * a_cs], B(p, j) = b[p * b_rs + j * b_cs] and start is
 * c0[i * ldc0 + j] (c0 given: accumulate), else bias[i] (bias given), else 0. */
void ref_gemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t a_rs, int64_t a_cs,
              const double *b, int64_t b_rs, int64_t b_cs, const double *bias, const double *c0,
              int64_t ldc0, double *c, int64_t ldc);

/* The packed rows of pack_seg: dst[p * w + col] for col < n from the segments (segment s:
 * seg_len[s] values from b + boff[p] + seg_src[s] into columns seg_col[s] ..), 0 for
 * n <= col < w. */
void ref_pack_seg(int64_t k, const double *b, const int64_t *boff, int nseg,
                  const int64_t *seg_src, const int64_t *seg_col, const int64_t *seg_len,
                  int64_t n, int64_t w, double *dst);

/* Depthwise convolution of one plane (rows xs_h apart, columns xs_w apart) with one
 * kernel_h x kernel_w filter (w[i * ws_h + j * ws_w]): y dense out_h x out_w,
 * y = bias + the sum over the taps inside the input. */
void ref_depthwise_plane(const cc_plane_geom *g, const double *x, int64_t xs_h, int64_t xs_w,
                         const double *w, int64_t ws_h, int64_t ws_w, double bias, double *y);

/* Max pooling of one plane, torch's rule: the taps inside the input in row-major order,
 * a strictly greater value or a NaN replaces the current maximum (so the first maximum
 * stays, and the last NaN wins); idx (may be NULL): ih * in_w + iw of the value chosen,
 * the first tap inside the input while no value has replaced the start of -inf.
 * Returns the number of windows without any tap inside the input (their y is -inf and
 * their idx -1). */
int64_t ref_max_plane(const cc_plane_geom *g, const double *x, int64_t xs_h, int64_t xs_w,
                      double *y, int64_t *idx);

/* Average pooling of one plane, torch's rule: the window clipped to the padded input
 * (pad_bottom, pad_right included) gives the count_include_pad divisor, clipped to the
 * input the other one and the sum; divisor_override replaces both; a window without any
 * input element gives 0. */
void ref_avg_plane(const cc_plane_geom *g, const double *x, int64_t xs_h, int64_t xs_w,
                   double *y);

/* Weight gradient: grad[(c * kernel_h + i) * kernel_w + j] for c < cb = the sum over the
 * pixels p of dy[c * dy_cs + p] * xe[row_off[i] + j * xj_s + p]. */
void ref_wgrad(const cc_wgrad_geom *g, const double *dy, int cb, const double *xe,
               double *grad);

/* Winograd transforms of one tile, from the matrices of the comment at the top of
 * kernels/winograd_simd.template.c. P = 6: F(4x4, 3x3); P = 4: F(2x2, 3x3).
 * input: V = B^T d B, d and V P x P row-major (V[r * P + c] is position xi = r * P + c).
 * output: Y = A^T m A, m P x P, Y (P - 2) x (P - 2), row-major.
 * filter2: U = G g G^T for F(2x2): g 3 x 3 row-major (tap i * 3 + j), U 4 x 4. */
void ref_wino_input(int P, const double *d, double *v);
void ref_wino_output(int P, const double *m, double *y);
void ref_wino_filter2(const double *g, double *u);

#endif
