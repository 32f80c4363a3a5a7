/* pack.h - packing of GEMM operands: weights into MR-row panels, input windows (im2col,
 * fused into packing) into NR-column panels, both zero-filled at the edges (the layouts of
 * the packed micro-kernel in dispatch.h); and the zero-padded stride phases of an input
 * plane that the forward convolution reads its windows from. */
#ifndef CONVCORE_PACK_H
#define CONVCORE_PACK_H

#include "internal.h"

/* K-dimension block of the packed GEMM: a fixed constant, never derived from the thread
 * count, so that every output element sums its products in the same order always.
 * (The forward convolution does not use it: its kernels resume each chain from C, so
 * its k blocks do not change results.) */
#define CC_GEMM_KC 256

/* Geometry of the column matrix of one (image, group): row k = (c, i, j) of the filter,
 * column p = (oh, ow) of the output. */
typedef struct cc_im2col_geom {
    int64_t in_h, in_w, out_w;
    int64_t kernel_h, kernel_w;
    int64_t stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    int64_t xs_c, xs_h, xs_w;     /* input strides in elements */
} cc_im2col_geom;

/* The column-matrix geometry of a convolution call: x_shape and x_strides (NCHW),
 * w_shape (OIHW) and the output width. */
CC_INLINE void cc_im2col_geom_init(const cc_conv2d_desc *d, const int64_t xs[4],
                                   const int64_t xst[4], const int64_t ws[4], int64_t out_w,
                                   cc_im2col_geom *g)
{
    g->in_h = xs[2]; g->in_w = xs[3]; g->out_w = out_w;
    g->kernel_h = ws[2]; g->kernel_w = ws[3];
    g->stride_h = d->stride_h; g->stride_w = d->stride_w;
    g->pad_top = d->pad_top; g->pad_left = d->pad_left;
    g->dilation_h = d->dilation_h; g->dilation_w = d->dilation_w;
    g->xs_c = xst[1]; g->xs_h = xst[2]; g->xs_w = xst[3];
}

/* Weights rows [row0, row0 + rows) of a (C_out, Cg, kh, kw) tensor with strides ws, as
 * the A operand: for each CC_GEMM_KC block of k, ceil(rows / mr) panels of mr x kc
 * (mr values per k step). dst holds round_up(rows, mr) * Cg * kh * kw elements. */
void cc_pack_weights_f32(const float *w, const int64_t ws[4], int64_t cg, int64_t kernel_h,
                         int64_t kernel_w, int64_t row0, int64_t rows, int mr, float *dst);
void cc_pack_weights_f64(const double *w, const int64_t ws[4], int64_t cg, int64_t kernel_h,
                         int64_t kernel_w, int64_t row0, int64_t rows, int mr, double *dst);

/* Rows [k0, k0 + kc) and columns [j0, j0 + jn) of the column matrix of the image whose
 * first channel of the group is at x, as the B operand: ceil(jn / nr) panels of kc x nr
 * (nr values per k step), zero where the window hangs over the padding. */
void cc_pack_im2col_f32(const cc_im2col_geom *g, const float *x, int64_t k0, int64_t kc,
                        int64_t j0, int64_t jn, int nr, float *dst);
void cc_pack_im2col_f64(const cc_im2col_geom *g, const double *x, int64_t k0, int64_t kc,
                        int64_t j0, int64_t jn, int nr, double *dst);

/* The stride phases of one zero-padded input plane. Padded pixel (r, s) = input
 * (r - pad_top, s - pad_left), zero outside. Phase (a, b) holds the padded pixels
 * (u * stride_h + a, v * stride_w + b) for u < ph_h, v < ph_w; only the phases listed in
 * phase_h x phase_w are stored, row-major over that list, each ph_h x ph_w, dense.
 * With them, every tap of a strided convolution window reads a dense run of one phase
 * plane, so output row oh, columns ow = 0.. read consecutive memory. */
typedef struct cc_phase_geom {
    int64_t in_h, in_w, xs_h, xs_w;     /* input plane and its strides (elements) */
    int64_t stride_h, stride_w, pad_top, pad_left;
    int64_t ph_h, ph_w;                 /* size of one phase plane */
    int64_t n_ph_h, n_ph_w;             /* number of phases stored along each axis */
    const int64_t *phase_h, *phase_w;   /* their offsets a (< stride_h), b (< stride_w) */
} cc_phase_geom;

void cc_pack_phases_f32(const cc_phase_geom *g, const float *x, float *dst);
void cc_pack_phases_f64(const cc_phase_geom *g, const double *x, double *dst);

#endif
