/* pool2d.template.c - max/avg/global pooling drivers for one TYPE: validate, then one
 * task per (image, channel) plane, each run by the target's plane kernel. */

/* Part t of parts of the planes, as the kernels' plane range. */
static void CC_FN(plane_range)(const int64_t xst[4], int64_t channels, int64_t planes,
                               int64_t parts, int64_t t, cc_plane_range *r)
{
    r->xs_n = xst[0];
    r->xs_c = xst[1];
    r->xs_h = xst[2];
    r->xs_w = xst[3];
    r->channels = channels;
    r->first = t * planes / parts;
    r->count = (t + 1) * planes / parts - r->first;
}

/* The public entry points' checks (desc, shapes, threads): 1 when there is work, with ys
 * written; else 0 and *st (CC_OK for an empty output). */
static int CC_FN(pool_prologue)(const cc_pool2d_desc *desc, const int64_t x_shape[4],
                                const int64_t x_strides[4], int n_threads, int64_t ys[4],
                                cc_status *st)
{
    if (!desc || !x_shape || !x_strides) { *st = CC_ERR_NULL_POINTER; return 0; }
    if (n_threads < 0) { *st = CC_ERR_BAD_THREADS; return 0; }
    *st = cc_pool2d_check(desc, x_shape, ys);
    return *st == CC_OK;
}

/* cc_max_pool2d_checked_f32 / _f64 (checked.h): the call once cc_pool2d_check has accepted
 * desc and x_shape and written ys. */
cc_status CC_FN(cc_max_pool2d_checked)(const cc_pool2d_desc *desc, const TYPE *x,
                                       const int64_t x_shape[4], const int64_t x_strides[4],
                                       const int64_t ys[4], TYPE *y, int64_t *indices,
                                       int n_threads)
{
    int64_t t;
    cc_plane_geom g;
    if (!x_strides) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    if (ys[0] == 0 || ys[1] == 0) return CC_OK;
    if (!x || !y) return CC_ERR_NULL_POINTER;
    /* windows made of padding only, with no index inside the plane to report */
    if (x_shape[2] == 0 || x_shape[3] == 0) return CC_ERR_BAD_SHAPE;
    const cc_kernels *kern = cc_active_kernels();
    const int64_t C = x_shape[1], planes = ys[0] * C;
    const int nt = cc_resolve_threads(n_threads);
    cc_plane_geom_pool(desc, x_shape, ys, &g);
    /* one contiguous range of planes per thread: the kernel's setup is shared by them */
    const int64_t parts = cc_min64(nt, planes);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (t = 0; t < parts; ++t) {
        cc_plane_range r;
        CC_FN(plane_range)(x_strides, C, planes, parts, t, &r);
        kern->CC_FN(max_pool)(&g, x, &r, y, indices);
    }
    return CC_OK;
}

/* cc_max_pool2d_f32 / _f64 (convcore.h) */
cc_status CC_FN(cc_max_pool2d)(const cc_pool2d_desc *desc, const TYPE *x,
                               const int64_t x_shape[4], const int64_t x_strides[4], TYPE *y,
                               int64_t *indices, int n_threads)
{
    int64_t ys[4];
    cc_status st;
    if (!CC_FN(pool_prologue)(desc, x_shape, x_strides, n_threads, ys, &st)) return st;
    return CC_FN(cc_max_pool2d_checked)(desc, x, x_shape, x_strides, ys, y, indices, n_threads);
}

/* cc_avg_pool2d_checked_f32 / _f64 (checked.h): as cc_max_pool2d_checked. */
cc_status CC_FN(cc_avg_pool2d_checked)(const cc_pool2d_desc *desc, const TYPE *x,
                                       const int64_t x_shape[4], const int64_t x_strides[4],
                                       const int64_t ys[4], TYPE *y, int n_threads)
{
    int64_t t;
    cc_plane_geom g;
    if (!x_strides) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    if (desc->dilation_h != 1 || desc->dilation_w != 1) return CC_ERR_BAD_DILATION;
    if (ys[0] == 0 || ys[1] == 0) return CC_OK;
    if (!x || !y) return CC_ERR_NULL_POINTER;
    const cc_kernels *kern = cc_active_kernels();
    const int64_t C = x_shape[1], planes = ys[0] * C;
    const int nt = cc_resolve_threads(n_threads);
    cc_plane_geom_pool(desc, x_shape, ys, &g);
    const int64_t parts = cc_min64(nt, planes);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (t = 0; t < parts; ++t) {
        cc_plane_range r;
        CC_FN(plane_range)(x_strides, C, planes, parts, t, &r);
        kern->CC_FN(avg_pool)(&g, x, &r, y);
    }
    return CC_OK;
}

/* cc_avg_pool2d_f32 / _f64 (convcore.h) */
cc_status CC_FN(cc_avg_pool2d)(const cc_pool2d_desc *desc, const TYPE *x,
                               const int64_t x_shape[4], const int64_t x_strides[4], TYPE *y,
                               int n_threads)
{
    int64_t ys[4];
    cc_status st;
    if (desc && (desc->dilation_h != 1 || desc->dilation_w != 1)) return CC_ERR_BAD_DILATION;
    if (!CC_FN(pool_prologue)(desc, x_shape, x_strides, n_threads, ys, &st)) return st;
    return CC_FN(cc_avg_pool2d_checked)(desc, x, x_shape, x_strides, ys, y, n_threads);
}

/* Global pooling of every (n, c) plane: the mean (accumulated in double: a plane can hold
 * millions of values) or the maximum (NaN propagating), IS_MAX a literal at each call. */
CC_ALWAYS_INLINE cc_status CC_FN(global_pool)(const TYPE *x, const int64_t xs[4],
                                              const int64_t xst[4], TYPE *y, int n_threads,
                                              const int IS_MAX)
{
    int64_t t, numel = 1;
    if (!xs || !xst) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    for (int i = 0; i < 4; ++i) {
        if (xs[i] < 0) return CC_ERR_BAD_SHAPE;
        if (cc_mul_overflow(numel, xs[i], &numel)) return CC_ERR_OVERFLOW;
    }
    if (xs[0] * xs[1] == 0) return CC_OK;
    if (xs[2] * xs[3] == 0) return CC_ERR_EMPTY_OUTPUT;
    if (!x || !y) return CC_ERR_NULL_POINTER;
    const int64_t C = xs[1], planes = xs[0] * C, H = xs[2], W = xs[3];
    const int nt = cc_resolve_threads(n_threads);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (t = 0; t < planes; ++t) {
        const TYPE *p = x + (t / C) * xst[0] + (t % C) * xst[1];
        double sum = 0.0;
        TYPE best = -(TYPE)INFINITY;
        for (int64_t h = 0; h < H; ++h)
            for (int64_t w = 0; w < W; ++w) {
                const TYPE v = p[h * xst[2] + w * xst[3]];
                if (IS_MAX) {
                    if (v > best || v != v) best = v;
                } else {
                    sum += (double)v;
                }
            }
        y[t] = IS_MAX ? best : (TYPE)(sum / ((double)H * (double)W));
    }
    return CC_OK;
}

/* cc_global_avg_pool2d_f32 / _f64 (convcore.h) */
cc_status CC_FN(cc_global_avg_pool2d)(const TYPE *x, const int64_t x_shape[4],
                                      const int64_t x_strides[4], TYPE *y, int n_threads)
{
    return CC_FN(global_pool)(x, x_shape, x_strides, y, n_threads, 0);
}

/* cc_global_max_pool2d_f32 / _f64 (convcore.h) */
cc_status CC_FN(cc_global_max_pool2d)(const TYPE *x, const int64_t x_shape[4],
                                      const int64_t x_strides[4], TYPE *y, int n_threads)
{
    return CC_FN(global_pool)(x, x_shape, x_strides, y, n_threads, 1);
}
