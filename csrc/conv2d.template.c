/* conv2d.template.c - the forward convolution driver for one TYPE.
 *
 * Algorithms, picked per call:
 *   - C_in / groups == 0: the output is the bias (or zero).
 *   - C_in / groups == 1 and groups > 1 (depthwise, any depth multiplier): a direct
 *     per-plane kernel; parallel over (image, output channel) planes.
 *   - otherwise a packed GEMM per (image, group): Y[Kg x P] = W_g[Kg x K] * cols[K x P]
 *     with K = C_in/groups * kh * kw and P = OH * OW. The column matrix is never built
 *     whole: each task packs a CC_GEMM_KC x nc block of it straight from the input
 *     (im2col fused into packing; for 1x1 unpadded stride-1 it is a plain copy). The
 *     weights are packed once per call into MR-row panels.
 * Loop order inside a task (BLIS): k blocks (pc) -> pack B block -> nr column panels (jr)
 * -> mr row panels (ir) -> micro-kernel; the B panel stays in L1 across the ir loop.
 * Threads: one flat task index over (image, group, column block, row block); each task
 * owns disjoint output tiles and sums k in a fixed order, so results are bit-identical
 * for every thread count. Block sizes may follow the thread count; KC never does.
 */

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
    memset(&g, 0, sizeof(g));
    g.in_h = xs[2]; g.in_w = xs[3]; g.out_h = ys[2]; g.out_w = ys[3];
    g.kernel_h = ws[2]; g.kernel_w = ws[3];
    g.stride_h = d->stride_h; g.stride_w = d->stride_w;
    g.pad_top = d->pad_top; g.pad_bottom = d->pad_bottom;
    g.pad_left = d->pad_left; g.pad_right = d->pad_right;
    g.dilation_h = d->dilation_h; g.dilation_w = d->dilation_w;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (t = 0; t < planes; ++t) {
        const int64_t n = t / c_out, k = t % c_out, c = k / mult;
        kern->CC_FN(dw).fn(&g, x + n * xst[0] + c * xst[1], xst[2], xst[3], w + k * wst[0],
                        wst[2], wst[3], bias ? bias[k * bias_stride] : (TYPE)0, y + t * plane);
    }
    return CC_OK;
}

/* Picks the column block nc and row block mc: as large as the cache budget allows, then
 * halved until there are a few tasks per thread (batch-1 layers need the split). */
static void CC_FN(gemm_blocks)(int64_t batch_groups, int64_t cols, int64_t mpad, int mr, int nr,
                               int nt, int64_t *nc_out, int64_t *mc_out)
{
    const int64_t nc_max = cc_round_up(512, nr), mc_max = cc_round_up(128, mr);
    int64_t nc = cc_min64(nc_max, cc_round_up(cols, nr));
    int64_t mc = cc_min64(mc_max, mpad);
    const int64_t want = 4 * (int64_t)nt;
#define CC_TASKS() (batch_groups * cc_ceil_div(cols, nc) * cc_ceil_div(mpad, mc))
    while (nt > 1 && CC_TASKS() < want && nc > 4 * nr) nc = cc_round_up(nc / 2, nr);
    while (nt > 1 && CC_TASKS() < want && mc > 2 * mr) mc = cc_round_up(mc / 2, mr);
#undef CC_TASKS
    *nc_out = nc;
    *mc_out = mc;
}

static cc_status CC_FN(conv_gemm)(const cc_conv2d_desc *d, const TYPE *x, const int64_t xs[4],
                                  const int64_t xst[4], const TYPE *w, const int64_t ws[4],
                                  const int64_t wst[4], const TYPE *bias, int64_t bias_stride,
                                  TYPE *y, const int64_t ys[4], int nt)
{
    const cc_kernels *kern = cc_active_kernels();
    const int mr = kern->CC_FN(gemm).mr, nr = kern->CC_FN(gemm).nr;
    const CC_FN(cc_gemm_ukr) ukr = kern->CC_FN(gemm).fn;
    const int64_t N = xs[0], G = d->groups, cg = ws[1], kg = ws[0] / G, c_out = ws[0];
    const int64_t kdim = cg * ws[2] * ws[3], P = ys[2] * ys[3];
    const int64_t mpad = cc_round_up(kg, mr);
    int64_t nc, mc, t;
    CC_FN(gemm_blocks)(N * G, P, mpad, mr, nr, nt, &nc, &mc);
    const int64_t n_jc = cc_ceil_div(P, nc), n_ic = cc_ceil_div(mpad, mc);
    const int64_t tasks = N * G * n_jc * n_ic;
    const int64_t b_elems = (int64_t)CC_GEMM_KC * nc;

    TYPE *packed_w = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * G * mpad * kdim);
    TYPE *packed_b = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * nt * b_elems);
    TYPE *bias_c = bias ? (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * (c_out + mr)) : NULL;
    if (!packed_w || !packed_b || (bias && !bias_c)) {
        cc_aligned_free(packed_w);
        cc_aligned_free(packed_b);
        cc_aligned_free(bias_c);
        return CC_ERR_NO_MEMORY;
    }
    if (bias)
        for (int64_t k = 0; k < c_out; ++k) bias_c[k] = bias[k * bias_stride];

    cc_im2col_geom geo;
    geo.in_h = xs[2]; geo.in_w = xs[3]; geo.out_w = ys[3];
    geo.kernel_h = ws[2]; geo.kernel_w = ws[3];
    geo.stride_h = d->stride_h; geo.stride_w = d->stride_w;
    geo.pad_top = d->pad_top; geo.pad_left = d->pad_left;
    geo.dilation_h = d->dilation_h; geo.dilation_w = d->dilation_w;
    geo.xs_c = xst[1]; geo.xs_h = xst[2]; geo.xs_w = xst[3];

    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (t = 0; t < G; ++t)
        CC_FN(cc_pack_weights)(w, wst, cg, ws[2], ws[3], t * kg, kg, mr, packed_w + t * mpad * kdim);

#pragma omp parallel num_threads(nt)
    {
        TYPE *bbuf = packed_b + (int64_t)cc_thread_id() * b_elems;
        int64_t task;
#pragma omp for schedule(static)
        for (task = 0; task < tasks; ++task) {
            int64_t rem = task;
            const int64_t ib = rem % n_ic; rem /= n_ic;
            const int64_t jb = rem % n_jc; rem /= n_jc;
            const int64_t g = rem % G, n = rem / G;
            const int64_t j0 = jb * nc, jn = cc_min64(nc, P - j0);
            const int64_t i0 = ib * mc, in = cc_min64(mc, kg - i0);
            if (in <= 0) continue; /* a row block wholly in the panel padding */
            const TYPE *xg = x + n * xst[0] + g * cg * xst[1];
            const TYPE *wg = packed_w + g * mpad * kdim;
            TYPE *yg = y + (n * c_out + g * kg) * P;
            for (int64_t pc = 0; pc < kdim; pc += CC_GEMM_KC) {
                const int64_t kc = cc_min64(CC_GEMM_KC, kdim - pc);
                CC_FN(cc_pack_im2col)(&geo, xg, pc, kc, j0, jn, nr, bbuf);
                const TYPE *ablock = wg + pc * mpad;
                for (int64_t jr = 0; jr < jn; jr += nr) {
                    const TYPE *bpanel = bbuf + jr * kc;
                    for (int64_t ir = 0; ir < in; ir += mr) {
                        const int64_t row = i0 + ir;
                        ukr(kc, ablock + row * kc, bpanel, yg + row * P + j0 + jr, P,
                            cc_min64(mr, in - ir), cc_min64(nr, jn - jr),
                            bias_c ? bias_c + g * kg + row : NULL, pc > 0);
                    }
                }
            }
        }
    }
    cc_aligned_free(packed_w);
    cc_aligned_free(packed_b);
    cc_aligned_free(bias_c);
    return CC_OK;
}

cc_status CC_FN(cc_conv2d)(const cc_conv2d_desc *desc, const TYPE *x, const int64_t x_shape[4],
                           const int64_t x_strides[4], const TYPE *w, const int64_t w_shape[4],
                           const int64_t w_strides[4], const TYPE *bias, int64_t bias_stride,
                           TYPE *y, int n_threads)
{
    int64_t ys[4], plane;
    cc_status st;
    if (!desc || !x_shape || !x_strides || !w_shape || !w_strides) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    st = cc_conv2d_check(desc, x_shape, w_shape, ys);
    if (st != CC_OK) return st;
    if (ys[0] == 0 || ys[1] == 0) return CC_OK; /* empty output */
    if (!y) return CC_ERR_NULL_POINTER;
    plane = ys[2] * ys[3];
    const int nt = cc_resolve_threads(n_threads);
    if (w_shape[1] == 0) { /* no input channels: bias only */
        CC_FN(fill_bias)(y, ys[0] * ys[1], ys[1], plane, bias, bias_stride, nt);
        return CC_OK;
    }
    if (!x || !w) return CC_ERR_NULL_POINTER;
    if (w_shape[1] == 1 && desc->groups > 1)
        return CC_FN(conv_depthwise)(desc, x, x_shape, x_strides, w, w_shape, w_strides, bias,
                                     bias_stride, y, ys, nt);
    return CC_FN(conv_gemm)(desc, x, x_shape, x_strides, w, w_shape, w_strides, bias,
                            bias_stride, y, ys, nt);
}
