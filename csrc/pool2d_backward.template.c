/* pool2d_backward.template.c - gradients of max and average pooling for one TYPE
 * (cc_max_pool2d_backward_f32 / _f64, cc_avg_pool2d_backward_f32 / _f64).
 * One task per (image, channel) plane: it zeroes its plane of grad_input and adds every
 * output gradient into the window position(s) it came from, in output order, so results
 * do not depend on the thread count. */

/* cc_max_pool2d_backward_f32 / _f64 (convcore.h) */
cc_status CC_FN(cc_max_pool2d_backward)(const TYPE *dy, const int64_t dy_shape[4],
                                        const int64_t dy_strides[4], const int64_t *indices,
                                        const int64_t idx_strides[4], const int64_t x_shape[4],
                                        TYPE *dx, int n_threads)
{
    int64_t t, numel = 1, bad = 0;
    if (!dy_shape || !dy_strides || !idx_strides || !x_shape) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    for (int i = 0; i < 4; ++i) {
        if (x_shape[i] < 0 || dy_shape[i] < 0) return CC_ERR_BAD_SHAPE;
        if (cc_mul_overflow(numel, x_shape[i], &numel)) return CC_ERR_OVERFLOW;
    }
    if (dy_shape[0] != x_shape[0] || dy_shape[1] != x_shape[1]) return CC_ERR_BAD_SHAPE;
    const int64_t C = x_shape[1], planes = x_shape[0] * C, plane = x_shape[2] * x_shape[3];
    const int64_t OH = dy_shape[2], OW = dy_shape[3];
    if (numel == 0) /* an empty plane has no valid index for any gradient element */
        return (plane == 0 && planes > 0 && OH > 0 && OW > 0) ? CC_ERR_BAD_INDEX : CC_OK;
    if (!dx) return CC_ERR_NULL_POINTER;
    if (OH > 0 && OW > 0 && (!dy || !indices)) return CC_ERR_NULL_POINTER;
    const int nt = cc_resolve_threads(n_threads);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(+ : bad)
    for (t = 0; t < planes; ++t) {
        const int64_t n = t / C, c = t % C;
        TYPE *out = dx + t * plane;
        const TYPE *g = dy + n * dy_strides[0] + c * dy_strides[1];
        const int64_t *ix = indices + n * idx_strides[0] + c * idx_strides[1];
        for (int64_t i = 0; i < plane; ++i) out[i] = 0;
        for (int64_t oh = 0; oh < OH; ++oh)
            for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t k = ix[oh * idx_strides[2] + ow * idx_strides[3]];
                if (k < 0 || k >= plane) {
                    ++bad; /* never write outside the plane */
                    continue;
                }
                out[k] += g[oh * dy_strides[2] + ow * dy_strides[3]];
            }
    }
    return bad ? CC_ERR_BAD_INDEX : CC_OK;
}

/* cc_avg_pool2d_backward_checked_f32 / _f64 (checked.h): the call once cc_pool2d_check
 * has accepted desc and x_shape and written ys (the forward output's shape, which dy must
 * have). */
cc_status CC_FN(cc_avg_pool2d_backward_checked)(const cc_pool2d_desc *desc, const TYPE *dy,
                                                const int64_t dy_shape[4],
                                                const int64_t dy_strides[4],
                                                const int64_t x_shape[4], const int64_t ys[4],
                                                TYPE *dx, int n_threads)
{
    int64_t t, numel = 1;
    cc_plane_geom geo;
    if (!dy_shape || !dy_strides) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    if (desc->dilation_h != 1 || desc->dilation_w != 1) return CC_ERR_BAD_DILATION;
    for (int i = 0; i < 4; ++i) {
        if (dy_shape[i] != ys[i]) return CC_ERR_BAD_SHAPE;
        numel *= x_shape[i]; /* bounded by cc_pool2d_check */
    }
    if (numel == 0) return CC_OK;
    if (!dx || !dy) return CC_ERR_NULL_POINTER;
    const int64_t C = x_shape[1], planes = x_shape[0] * C, W = x_shape[3];
    const int64_t plane = x_shape[2] * W;
    const int nt = cc_resolve_threads(n_threads);
    cc_plane_geom_pool(desc, x_shape, ys, &geo);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (t = 0; t < planes; ++t) {
        TYPE *out = dx + t * plane;
        const TYPE *g = dy + (t / C) * dy_strides[0] + (t % C) * dy_strides[1];
        for (int64_t i = 0; i < plane; ++i) out[i] = 0;
        for (int64_t oh = 0; oh < ys[2]; ++oh)
            for (int64_t ow = 0; ow < ys[3]; ++ow) {
                const cc_avg_window win = cc_avg_window_at(&geo, oh, ow);
                if (!win.divisor) continue;
                const TYPE v = g[oh * dy_strides[2] + ow * dy_strides[3]] / (TYPE)win.divisor;
                for (int64_t h = win.h0; h < win.h1; ++h)
                    for (int64_t w = win.w0; w < win.w1; ++w) out[h * W + w] += v;
            }
    }
    return CC_OK;
}

/* cc_avg_pool2d_backward_f32 / _f64 (convcore.h) */
cc_status CC_FN(cc_avg_pool2d_backward)(const cc_pool2d_desc *desc, const TYPE *dy,
                                        const int64_t dy_shape[4], const int64_t dy_strides[4],
                                        const int64_t x_shape[4], TYPE *dx, int n_threads)
{
    int64_t ys[4];
    if (!desc || !dy_shape || !dy_strides || !x_shape) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    if (desc->dilation_h != 1 || desc->dilation_w != 1) return CC_ERR_BAD_DILATION;
    const cc_status st = cc_pool2d_check(desc, x_shape, ys);
    if (st != CC_OK) return st;
    return CC_FN(cc_avg_pool2d_backward_checked)(desc, dy, dy_shape, dy_strides, x_shape, ys,
                                                 dx, n_threads);
}
