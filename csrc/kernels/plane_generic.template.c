/* plane_generic.template.c - the generic plane kernels (depthwise convolution, max and
 * average pooling) in plain C, written once against TYPE and instantiated per type
 * (TYPE_SUFFIX f32/f64) and per SIMD target (CC_TARGET, with that target's compile flags):
 *   depthwise_plane_{f32,f64}__<target>, max_plane_..., avg_plane_... (and the one-plane
 *   workers max_plane1_..., avg_plane1_...).
 * The base target's table lists them; the AVX targets' SIMD plane kernels
 * (plane_simd.template.c) fall back on them. The GEMM micro-kernels live in
 * gemm_simd.template.c / gemm_generic.template.c.
 *
 * Depthwise plane: per output row, per kernel tap, one contiguous run of outputs whose
 *   input columns are in bounds; the run's bounds are solved once, so the inner loop has
 *   no branches and vectorises when the strides are 1.
 * Pooling planes: the same tap-major order; max keeps the first maximum (strict >) and
 *   lets NaN through (x != x), which is torch's rule.
 */

static void CC_KFN(depthwise_plane)(const cc_plane_geom *g, const TYPE *x, int64_t xs_h, int64_t xs_w,
                             const TYPE *w, int64_t ws_h, int64_t ws_w, TYPE bias, TYPE *y)
{
    const int64_t OH = g->out_h, OW = g->out_w, sw = g->stride_w;
    for (int64_t oh = 0; oh < OH; ++oh) {
        TYPE *CC_RESTRICT yr = y + oh * OW;
        for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = 0;
        for (int64_t kh = 0; kh < g->kernel_h; ++kh) {
            const int64_t ih = oh * g->stride_h - g->pad_top + kh * g->dilation_h;
            if (ih < 0 || ih >= g->in_h) continue;
            const TYPE *xr = x + ih * xs_h;
            for (int64_t kw = 0; kw < g->kernel_w; ++kw) {
                const TYPE wv = w[kh * ws_h + kw * ws_w];
                const int64_t off = kw * g->dilation_w - g->pad_left;
                int64_t lo, hi;
                cc_in_bounds_run(off, sw, g->in_w, OW, &lo, &hi);
                if (sw == 1 && xs_w == 1) {
                    if (lo >= hi) continue;
                    /* based at the first column read: off alone may be far outside */
                    const TYPE *CC_RESTRICT xp = xr + (lo + off);
                    for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xp[ow - lo];
                } else {
                    for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[(ow * sw + off) * xs_w];
                }
            }
        }
        for (int64_t ow = 0; ow < OW; ++ow) yr[ow] = bias + yr[ow];
    }
}

static void CC_KFN(max_plane1)(const cc_plane_geom *g, const TYPE *x, int64_t xs_h, int64_t xs_w,
                              TYPE *y, int64_t *indices)
{
    const int64_t OH = g->out_h, OW = g->out_w, W = g->in_w, sw = g->stride_w;
    for (int64_t oh = 0; oh < OH; ++oh) {
        TYPE *CC_RESTRICT yr = y + oh * OW;
        int64_t *CC_RESTRICT ir = indices ? indices + oh * OW : NULL;
        const int64_t h0 = oh * g->stride_h - g->pad_top;
        /* first in-bounds row of the window: the index of an all -inf window */
        int64_t first_h = h0;
        if (first_h < 0) first_h += cc_ceil_div(-first_h, g->dilation_h) * g->dilation_h;
        if (first_h >= g->in_h) first_h = g->in_h - 1; /* no row in bounds: clamp */
        for (int64_t ow = 0; ow < OW; ++ow) {
            int64_t w0 = ow * sw - g->pad_left;
            if (w0 < 0) w0 += cc_ceil_div(-w0, g->dilation_w) * g->dilation_w;
            if (w0 >= W) w0 = W - 1;
            yr[ow] = -(TYPE)INFINITY;
            if (ir) ir[ow] = first_h * W + w0;
        }
        /* only the taps that land inside the input: a kernel may be huge */
        int64_t kh_lo, kh_hi, kw_lo, kw_hi;
        cc_in_bounds_run(h0, g->dilation_h, g->in_h, g->kernel_h, &kh_lo, &kh_hi);
        cc_in_bounds_run((OW - 1) * sw - g->pad_left, g->dilation_w, W + (OW - 1) * sw, g->kernel_w,
                              &kw_lo, &kw_hi);
        for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
            const int64_t ih = h0 + kh * g->dilation_h;
            const TYPE *xr = x + ih * xs_h;
            for (int64_t kw = kw_lo; kw < kw_hi; ++kw) {
                const int64_t off = kw * g->dilation_w - g->pad_left;
                int64_t lo, hi;
                cc_in_bounds_run(off, sw, W, OW, &lo, &hi);
                if (ir) {
                    for (int64_t ow = lo; ow < hi; ++ow) {
                        const int64_t iw = ow * sw + off;
                        const TYPE v = xr[iw * xs_w];
                        if (v > yr[ow] || v != v) {
                            yr[ow] = v;
                            ir[ow] = ih * W + iw;
                        }
                    }
                } else {
                    for (int64_t ow = lo; ow < hi; ++ow) {
                        const TYPE v = xr[(ow * sw + off) * xs_w];
                        yr[ow] = (v > yr[ow] || v != v) ? v : yr[ow];
                    }
                }
            }
        }
    }
}

static void CC_KFN(avg_plane1)(const cc_plane_geom *g, const TYPE *x, int64_t xs_h, int64_t xs_w,
                              TYPE *y)
{
    const int64_t H = g->in_h, W = g->in_w;
    for (int64_t oh = 0; oh < g->out_h; ++oh) {
        int64_t hs = oh * g->stride_h - g->pad_top;
        int64_t he = cc_min64(hs + g->kernel_h, H + g->pad_bottom);
        const int64_t pool_h = he - hs;
        hs = cc_max64(hs, 0);
        he = cc_min64(he, H);
        for (int64_t ow = 0; ow < g->out_w; ++ow) {
            int64_t ws = ow * g->stride_w - g->pad_left;
            int64_t we = cc_min64(ws + g->kernel_w, W + g->pad_right);
            const int64_t pool_w = we - ws;
            ws = cc_max64(ws, 0);
            we = cc_min64(we, W);
            if (hs >= he || ws >= we) {
                y[oh * g->out_w + ow] = 0;
                continue;
            }
            TYPE sum = 0;
            for (int64_t ih = hs; ih < he; ++ih) {
                const TYPE *xr = x + ih * xs_h;
                for (int64_t iw = ws; iw < we; ++iw) sum += xr[iw * xs_w];
            }
            int64_t divisor;
            if (g->divisor_override) divisor = g->divisor_override;
            else if (g->count_include_pad) divisor = pool_h * pool_w;
            else divisor = (he - hs) * (we - ws);
            y[oh * g->out_w + ow] = sum / (TYPE)divisor;
        }
    }
}

/* The plane-range entry points of the table (dispatch.h): one plane at a time. */
static void CC_KFN(max_plane)(const cc_plane_geom *g, const TYPE *x, const cc_plane_range *r,
                              TYPE *y, int64_t *indices)
{
    const int64_t plane = g->out_h * g->out_w;
    for (int64_t t = r->first; t < r->first + r->count; ++t)
        CC_KFN(max_plane1)(g, x + (t / r->channels) * r->xs_n + (t % r->channels) * r->xs_c,
                           r->xs_h, r->xs_w, y + t * plane, indices ? indices + t * plane : NULL);
}

static void CC_KFN(avg_plane)(const cc_plane_geom *g, const TYPE *x, const cc_plane_range *r,
                              TYPE *y)
{
    const int64_t plane = g->out_h * g->out_w;
    for (int64_t t = r->first; t < r->first + r->count; ++t)
        CC_KFN(avg_plane1)(g, x + (t / r->channels) * r->xs_n + (t % r->channels) * r->xs_c,
                           r->xs_h, r->xs_w, y + t * plane);
}
