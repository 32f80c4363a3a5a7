/* conv2d.template.c - the forward convolution driver for one TYPE: checks, the algorithm
 * choice, and the public entry points cc_conv2d_f32 / cc_conv2d_f64.
 *
 * Algorithms, picked per call:
 *   - C_in / groups == 0: the output is the bias (or zero).
 *   - C_in / groups == 1 and groups > 1 (depthwise, any depth multiplier): a direct
 *     per-plane kernel; parallel over (image, output channel) planes.
 *   - otherwise a GEMM per (image, group), Y[Kg x P] = W_g[Kg x kdim] * X[kdim x P], with
 *     kdim = C_in/groups * kh * kw and P = OH * OW, that never builds the column matrix:
 *     the input is laid out once as zero-padded stride phases (or read in place), in which
 *     every tap of a window row is a dense run; the weights are read in place. See
 *     conv_gemm for the blocking.
 * Threads: one flat task index over (image, group, row block, column block); each task
 * owns disjoint output tiles and every output is one fused multiply-add chain over the
 * whole reduction in a fixed order, so results are bit-identical for every thread count
 * (and for every blocking: the micro-kernels resume each chain from C).
 */

#include "conv_tiling.template.c"
#include "conv_gemm.template.c"

static void CC_FN(fill_bias)(TYPE *y, int64_t planes, int64_t c_out, int64_t plane,
                             const TYPE *bias, int64_t bias_stride, int nt)
{
    int64_t t;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (t = 0; t < planes; ++t) {
        const TYPE v = bias ? bias[(t % c_out) * bias_stride] : (TYPE)0;
        for (int64_t i = 0; i < plane; ++i) y[t * plane + i] = v;
    }
}

static cc_status CC_FN(conv_depthwise)(const cc_conv2d_desc *d, const TYPE *x,
                                       const int64_t xs[4], const int64_t xst[4], const TYPE *w,
                                       const int64_t ws[4], const int64_t wst[4],
                                       const TYPE *bias, int64_t bias_stride, TYPE *y,
                                       const int64_t ys[4], int nt)
{
    const cc_kernels *kern = cc_active_kernels();
    const int64_t c_out = ws[0], mult = c_out / d->groups, plane = ys[2] * ys[3];
    const int64_t planes = ys[0] * c_out;
    cc_plane_geom g;
    int64_t t;
    cc_plane_geom_conv(d, xs, ws, ys, &g);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (t = 0; t < planes; ++t) {
        const int64_t n = t / c_out, k = t % c_out, c = k / mult;
        kern->CC_FN(depthwise)(&g, x + n * xst[0] + c * xst[1], xst[2], xst[3], w + k * wst[0],
                        wst[2], wst[3], bias ? bias[k * bias_stride] : (TYPE)0, y + t * plane);
    }
    return CC_OK;
}

/* 1 when the zero-padded stride-phase layout of conv_gemm stays within a small multiple
 * of the input plus output (it does for every ordinary layer; huge padding or dilation
 * would make it enormous). Computed in double: the sizes may exceed int64. */
static int CC_FN(phase_layout_fits)(const cc_conv2d_desc *d, const int64_t xs[4],
                                    const int64_t ws[4], const int64_t ys[4])
{
    const double kh = (double)ws[2], kw = (double)ws[3];
    const double sh = (double)d->stride_h, sw = (double)d->stride_w;
    const double ph_h = (double)ys[2] + (kh - 1) * (double)d->dilation_h / sh;
    const double ph_w = (double)ys[3] + (kw - 1) * (double)d->dilation_w / sw;
    const double phases = (kh < sh ? kh : sh) * (kw < sw ? kw : sw);
    const double layout = (double)xs[1] * phases * ph_h * ph_w;
    const double io = (double)xs[1] * (double)xs[2] * (double)xs[3] +
                      (double)ys[1] * (double)ys[2] * (double)ys[3];
    return layout <= 4.0 * io + 65536.0;
}

/* cc_conv2d_checked_f32 / _f64 (checked.h): the call once cc_conv2d_check has accepted
 * desc, x_shape and w_shape and written ys; wcache: a float32 caller's cache of
 * Winograd-transformed filters, or NULL. */
cc_status CC_FN(cc_conv2d_checked)(const cc_conv2d_desc *desc, const TYPE *x,
                                   const int64_t x_shape[4], const int64_t x_strides[4],
                                   const TYPE *w, const int64_t w_shape[4],
                                   const int64_t w_strides[4], const TYPE *bias,
                                   int64_t bias_stride, TYPE *y, const int64_t ys[4],
                                   int n_threads, cc_wino_cache *wcache)
{
    if (!x_strides || !w_strides) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    if (ys[0] == 0 || ys[1] == 0) return CC_OK; /* empty output */
    if (!y) return CC_ERR_NULL_POINTER;
    const int64_t plane = ys[2] * ys[3];
    const int nt = cc_resolve_threads(n_threads);
    if (w_shape[1] == 0) { /* no input channels: bias only */
        CC_FN(fill_bias)(y, ys[0] * ys[1], ys[1], plane, bias, bias_stride, nt);
        return CC_OK;
    }
    if (!x || !w) return CC_ERR_NULL_POINTER;
    if (w_shape[1] == 1 && desc->groups > 1)
        return CC_FN(conv_depthwise)(desc, x, x_shape, x_strides, w, w_shape, w_strides, bias,
                                     bias_stride, y, ys, nt);
    if (sizeof(TYPE) == sizeof(float) && cc_winograd_applies(desc, x_shape, w_shape, ys))
        return cc_winograd_conv_f32(desc, (const float *)x, x_shape, x_strides, (const float *)w,
                                    w_shape, w_strides, (const float *)bias, bias_stride,
                                    (float *)y, ys, nt, wcache);
    if (!CC_FN(phase_layout_fits)(desc, x_shape, w_shape, ys))
        return CC_FN(conv_gemm_im2col)(desc, x, x_shape, x_strides, w, w_shape, w_strides, bias,
                                       bias_stride, y, ys, nt);
    return CC_FN(conv_gemm)(desc, x, x_shape, x_strides, w, w_shape, w_strides, bias,
                            bias_stride, y, ys, nt);
}

/* cc_conv2d_f32 / cc_conv2d_f64 (convcore.h) */
cc_status CC_FN(cc_conv2d)(const cc_conv2d_desc *desc, const TYPE *x, const int64_t x_shape[4],
                           const int64_t x_strides[4], const TYPE *w, const int64_t w_shape[4],
                           const int64_t w_strides[4], const TYPE *bias, int64_t bias_stride,
                           TYPE *y, int n_threads)
{
    int64_t ys[4];
    if (!desc || !x_shape || !x_strides || !w_shape || !w_strides) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    const cc_status st = cc_conv2d_check(desc, x_shape, w_shape, ys);
    if (st != CC_OK) return st;
    return CC_FN(cc_conv2d_checked)(desc, x, x_shape, x_strides, w, w_shape, w_strides, bias,
                                    bias_stride, y, ys, n_threads, NULL);
}
