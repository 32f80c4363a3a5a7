/* conv2d_backward.template.c - gradients of conv2d for one TYPE: input, weight, bias.
 *
 * All three reuse the packed-GEMM micro-kernel of the forward pass; the data stay in the
 * layout they arrive in (any strides), and only blocks are packed.
 *   grad_bias[k]   = sum over (n, oh, ow) of dy, summed per channel in a fixed order.
 *   grad_weight_g  = sum_n dy_g[n] (Kg x P) * cols_n^T (P x K): one GEMM whose reduction
 *                    runs over the output pixels of every image in turn (n outer, KC blocks
 *                    of p inner). Tasks own disjoint tiles of grad_weight and each loops over
 *                    all images, so the sum order is the same for every thread count.
 *   grad_input     = col2im(W_g^T (K x Kg) * dy_g[n] (Kg x P)): each task owns a block of
 *                    input channels of one image (rows (c, i, j) of the column matrix with c
 *                    in the block), computes those rows of the column gradient for a fixed
 *                    block of pixels, then scatters them back to the input positions. The
 *                    pixel block size is a constant, so the scatter order never changes.
 *   Depthwise (C_in/groups == 1, groups > 1): direct loops, one plane per task.
 */

/* A operand from a strided matrix: rows [0, rows) at row_off[r], reduction index
 * [k0, k0 + kc) at k * k_stride; mr-row panels, zero-filled past rows. */
static void CC_FN(bw_pack_a)(const TYPE *src, const int64_t *row_off, int64_t rows,
                             int64_t k_stride, int64_t k0, int64_t kc, int mr, TYPE *dst)
{
    for (int64_t panel = 0; panel * mr < rows; ++panel) {
        TYPE *out = dst + panel * mr * kc;
        for (int64_t kk = 0; kk < kc; ++kk) {
            const TYPE *col = src + (k0 + kk) * k_stride;
            for (int r = 0; r < mr; ++r) {
                const int64_t row = panel * mr + r;
                out[kk * mr + r] = row < rows ? col[row_off[row]] : (TYPE)0;
            }
        }
    }
}

/* B operand from one image's dy plane stack: reduction rows = channels [k0, k0 + kc)
 * (stride cs), columns = pixels [j0, j0 + jn) of an out_w-wide plane (strides hs, ws). */
static void CC_FN(bw_pack_dy)(const TYPE *dy, int64_t cs, int64_t hs, int64_t ws, int64_t out_w,
                              int64_t k0, int64_t kc, int64_t j0, int64_t jn, int nr, TYPE *dst)
{
    for (int64_t jp = 0; jp < jn; jp += nr) {
        TYPE *panel = dst + jp * kc;
        const int64_t ncols = cc_min64(nr, jn - jp);
        for (int64_t kk = 0; kk < kc; ++kk) {
            const TYPE *plane = dy + (k0 + kk) * cs;
            TYPE *out = panel + kk * nr;
            int64_t q = 0;
            for (; q < ncols; ++q) {
                const int64_t p = j0 + jp + q;
                out[q] = plane[(p / out_w) * hs + (p % out_w) * ws];
            }
            for (; q < nr; ++q) out[q] = 0;
        }
    }
}

/* B operand of the weight gradient: reduction rows = output pixels [p0, p0 + pc) of one
 * image, columns = column-matrix rows (c, i, j) [j0, j0 + jn): the transposed im2col.
 * Filled one column (filter tap) at a time, output row by output row, so each input row
 * is read as one clipped run instead of element by element. */
static void CC_FN(bw_pack_cols_t)(const cc_im2col_geom *g, const TYPE *x, int64_t p0, int64_t pc,
                                  int64_t j0, int64_t jn, int nr, TYPE *dst)
{
    const int64_t taps = g->kernel_h * g->kernel_w, OW = g->out_w, sw = g->stride_w;
    for (int64_t jp = 0; jp < jn; jp += nr) {
        TYPE *panel = dst + jp * pc;
        const int64_t ncols = cc_min64(nr, jn - jp);
        for (int64_t q = 0; q < nr; ++q) {
            TYPE *out = panel + q;
            if (q >= ncols) {
                for (int64_t pp = 0; pp < pc; ++pp) out[pp * nr] = 0;
                continue;
            }
            const int64_t k = j0 + jp + q, c = k / taps, i = (k % taps) / g->kernel_w,
                          j = k % g->kernel_w;
            const TYPE *plane = x + c * g->xs_c;
            const int64_t off = j * g->dilation_w - g->pad_left;
            int64_t lo, hi;
            cc_in_bounds_run(off, sw, g->in_w, OW, &lo, &hi);
            int64_t pp = 0, oh = p0 / OW, ow = p0 % OW;
            while (pp < pc) {
                const int64_t run = cc_min64(OW - ow, pc - pp), end = ow + run;
                const int64_t ih = oh * g->stride_h - g->pad_top + i * g->dilation_h;
                TYPE *o = out + pp * nr - ow * nr; /* o[ow * nr] is this pixel */
                if (ih < 0 || ih >= g->in_h) {
                    for (int64_t t = ow; t < end; ++t) o[t * nr] = 0;
                } else {
                    const TYPE *row = plane + ih * g->xs_h;
                    const int64_t a = cc_max64(ow, cc_min64(lo, end)), b = cc_max64(a, cc_min64(hi, end));
                    int64_t t = ow;
                    for (; t < a; ++t) o[t * nr] = 0;
                    for (; t < b; ++t) o[t * nr] = row[(t * sw + off) * g->xs_w];
                    for (; t < end; ++t) o[t * nr] = 0;
                }
                pp += run;
                ow = 0;
                ++oh;
            }
        }
    }
}

static void CC_FN(bw_bias)(const TYPE *dy, const int64_t ds[4], const int64_t dst[4], TYPE *db,
                           int nt)
{
    int64_t k;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (k = 0; k < ds[1]; ++k) {
        /* rows summed in TYPE (vectorisable), rows accumulated in double; n, then rows:
         * one order for any thread count */
        double sum = 0.0;
        for (int64_t n = 0; n < ds[0]; ++n)
            for (int64_t h = 0; h < ds[2]; ++h) {
                const TYPE *row = dy + n * dst[0] + k * dst[1] + h * dst[2];
                TYPE row_sum = 0;
                if (dst[3] == 1)
                    for (int64_t w = 0; w < ds[3]; ++w) row_sum += row[w];
                else
                    for (int64_t w = 0; w < ds[3]; ++w) row_sum += row[w * dst[3]];
                sum += (double)row_sum;
            }
        db[k] = (TYPE)sum;
    }
}

#define CC_BW_NCB 256 /* pixel block of the input gradient: fixed, see the top comment */
#define CC_BW_CHUNK 16 /* images per partial weight gradient */
#define CC_WG_RUN 512  /* pixels per call of the weight-gradient kernel: fixed, a multiple of
                          every vector width */
#define CC_BW_PARTIAL_MAX ((int64_t)1 << 22) /* elements of all partials together */

/* dw = the sum of the parts partial weight gradients (each w_elems long), added in part
 * order for every element; frees partial. */
static void CC_FN(bw_sum_partials)(TYPE *partial, int64_t parts, int64_t w_elems, TYPE *dw,
                                   int nt)
{
    int64_t e;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (e = 0; e < w_elems; ++e) {
        TYPE sum = partial[e];
        for (int64_t q = 1; q < parts; ++q) sum += partial[q * w_elems + e];
        dw[e] = sum;
    }
    cc_aligned_free(partial);
}

static cc_status CC_FN(bw_gemm)(const cc_conv2d_desc *d, const TYPE *dy, const int64_t ds[4],
                                const int64_t dst[4], const TYPE *x, const int64_t xs[4],
                                const int64_t xst[4], const TYPE *w, const int64_t ws[4],
                                const int64_t wst[4], TYPE *dx, TYPE *dw, int nt)
{
    const cc_kernels *kern = cc_active_kernels();
    const int mr = kern->CC_FN(gemm).mr, nr = kern->CC_FN(gemm).nr;
    const CC_FN(cc_gemm_ukr) ukr = kern->CC_FN(gemm).fn;
    const int64_t N = xs[0], G = d->groups, cg = ws[1], c_out = ws[0], kg = c_out / G;
    const int64_t taps = ws[2] * ws[3], kdim = cg * taps, P = ds[2] * ds[3];
    const int64_t x_plane = xs[2] * xs[3];
    cc_im2col_geom geo;
    cc_im2col_geom_init(d, xs, xst, ws, ds[3], &geo);
    (void)nt;

    if (dw) {
        /* tiles of grad_weight_g (kg x kdim); reduction over (n, p). Small gradients are
         * also split over fixed chunks of CC_BW_CHUNK images, each summed into its own
         * partial, then the partials are added in chunk order: parallel work for small
         * layers, and an order that depends on the shapes only, never on the threads. */
        const int64_t w_elems = c_out * kdim;
        int64_t parts = cc_ceil_div(N, CC_BW_CHUNK);
        if (parts < 2 || w_elems > CC_BW_PARTIAL_MAX / parts) parts = 1;
        int64_t mc = cc_min64(cc_round_up(128, mr), cc_round_up(kg, mr));
        int64_t nc = cc_min64(cc_round_up(512, nr), cc_round_up(kdim, nr));
#define CC_WGRAD_TASKS() (parts * G * cc_ceil_div(kg, mc) * cc_ceil_div(kdim, nc))
        while (nt > 1 && CC_WGRAD_TASKS() < 2 * (int64_t)nt && nc > nr) nc = cc_round_up(nc / 2, nr);
        while (nt > 1 && CC_WGRAD_TASKS() < 2 * (int64_t)nt && mc > mr) mc = cc_round_up(mc / 2, mr);
#undef CC_WGRAD_TASKS
        const int64_t n_ic = cc_ceil_div(kg, mc), n_jc = cc_ceil_div(kdim, nc);
        const int64_t tasks = parts * G * n_ic * n_jc;
        const int64_t a_elems = mc * CC_GEMM_KC, b_elems = (int64_t)CC_GEMM_KC * nc;
        TYPE *abuf = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * nt * (a_elems + b_elems));
        int64_t *row_off = (int64_t *)cc_aligned_alloc((int64_t)sizeof(int64_t) * nt * mc);
        TYPE *partial = parts > 1 ? (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * parts * w_elems)
                                  : dw;
        if (!abuf || !row_off || !partial) {
            cc_aligned_free(abuf);
            cc_aligned_free(row_off);
            if (parts > 1) cc_aligned_free(partial);
            return CC_ERR_NO_MEMORY;
        }
#pragma omp parallel num_threads(nt)
        {
            const int tid = cc_thread_id();
            TYPE *apack = abuf + (int64_t)tid * (a_elems + b_elems), *bpack = apack + a_elems;
            int64_t *roff = row_off + (int64_t)tid * mc, task;
#pragma omp for schedule(static)
            for (task = 0; task < tasks; ++task) {
                const int64_t jb = task % n_jc, ib = (task / n_jc) % n_ic;
                const int64_t g = (task / (n_jc * n_ic)) % G, part = task / (n_jc * n_ic * G);
                const int64_t i0 = ib * mc, in = cc_min64(mc, kg - i0);
                const int64_t j0 = jb * nc, jn = cc_min64(nc, kdim - j0);
                const int64_t n_begin = parts > 1 ? part * CC_BW_CHUNK : 0;
                const int64_t n_end = parts > 1 ? cc_min64(N, n_begin + CC_BW_CHUNK) : N;
                TYPE *tile = partial + part * w_elems + (g * kg + i0) * kdim + j0;
                for (int64_t r = 0; r < in; ++r) roff[r] = (g * kg + i0 + r) * dst[1];
                for (int64_t n = n_begin; n < n_end; ++n) {
                    const TYPE *xg = x + n * xst[0] + g * cg * xst[1];
                    for (int64_t p0 = 0; p0 < P; p0 += CC_GEMM_KC) {
                        const int64_t pc = cc_min64(CC_GEMM_KC, P - p0);
                        /* A: dy rows of this tile over pixels [p0, p0 + pc); pixels are
                         * addressed through (oh, ow), so pack column by column */
                        for (int64_t row = 0; row < cc_round_up(in, mr); ++row) {
                            TYPE *out = apack + (row / mr) * mr * pc + row % mr;
                            if (row >= in) {
                                for (int64_t pp = 0; pp < pc; ++pp) out[pp * mr] = 0;
                                continue;
                            }
                            const TYPE *plane = dy + n * dst[0] + roff[row];
                            if (dst[3] == 1 && dst[2] == ds[3]) { /* dense plane */
                                for (int64_t pp = 0; pp < pc; ++pp) out[pp * mr] = plane[p0 + pp];
                                continue;
                            }
                            int64_t oh = p0 / ds[3], ow = p0 % ds[3];
                            for (int64_t pp = 0; pp < pc; ++pp) {
                                out[pp * mr] = plane[oh * dst[2] + ow * dst[3]];
                                if (++ow == ds[3]) { ow = 0; ++oh; }
                            }
                        }
                        CC_FN(bw_pack_cols_t)(&geo, xg, p0, pc, j0, jn, nr, bpack);
                        const int first = n == n_begin && p0 == 0;
                        for (int64_t jr = 0; jr < jn; jr += nr)
                            for (int64_t ir = 0; ir < in; ir += mr)
                                ukr(pc, apack + ir * pc, bpack + jr * pc, tile + ir * kdim + jr,
                                    kdim, cc_min64(mr, in - ir), cc_min64(nr, jn - jr), NULL,
                                    !first);
                    }
                }
            }
        }
        if (parts > 1) CC_FN(bw_sum_partials)(partial, parts, w_elems, dw, nt);
        cc_aligned_free(abuf);
        cc_aligned_free(row_off);
    }

    if (dx && N > 0) {
        /* tasks: (image, group, block of input channels); rows (c, i, j) of the block */
        int64_t cb = cc_max64(1, 192 / taps);
        if (cb > cg) cb = cg;
        while (nt > 1 && N * G * cc_ceil_div(cg, cb) < 2 * (int64_t)nt && cb > 1) cb = (cb + 1) / 2;
        const int64_t n_cb = cc_ceil_div(cg, cb), tasks = N * G * n_cb;
        const int64_t max_rows = cb * taps, mpad = cc_round_up(max_rows, mr);
        const int64_t ncb = cc_min64(CC_BW_NCB, cc_round_up(P, nr));
        const int64_t a_elems = mpad * kg, b_elems = (int64_t)CC_GEMM_KC * cc_round_up(ncb, nr),
                      c_elems = mpad * ncb;
        const int64_t per_thread = a_elems + b_elems + c_elems;
        TYPE *buf = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * nt * per_thread);
        int64_t *row_off = (int64_t *)cc_aligned_alloc((int64_t)sizeof(int64_t) * nt * mpad);
        if (!buf || !row_off) {
            cc_aligned_free(buf);
            cc_aligned_free(row_off);
            return CC_ERR_NO_MEMORY;
        }
#pragma omp parallel num_threads(nt)
        {
            const int tid = cc_thread_id();
            TYPE *apack = buf + (int64_t)tid * per_thread, *bpack = apack + a_elems,
                 *dcols = bpack + b_elems;
            int64_t *roff = row_off + (int64_t)tid * mpad, task, packed_key = -1;
#pragma omp for schedule(static)
            for (task = 0; task < tasks; ++task) {
                /* images vary fastest, so a thread's consecutive tasks share the packed
                 * weights of one (group, channel block) and pack them once */
                const int64_t n = task % N, cbi = (task / N) % n_cb, g = task / (N * n_cb);
                const int64_t c0 = cbi * cb, cn = cc_min64(cb, cg - c0), rows = cn * taps;
                TYPE *dxn = dx + (n * xs[1] + g * cg + c0) * x_plane;
                for (int64_t i = 0; i < cn * x_plane; ++i) dxn[i] = 0;
                const int64_t rpad = cc_round_up(rows, mr);
                if (g * n_cb + cbi != packed_key) {
                    /* A = W_g^T restricted to these rows, all of the reduction (kg) at
                     * once; packed in KC blocks of the reduction like the forward weights */
                    for (int64_t r = 0; r < rows; ++r) {
                        const int64_t k = c0 * taps + r, c = k / taps, i = (k % taps) / ws[3],
                                      j = k % ws[3];
                        roff[r] = c * wst[1] + i * wst[2] + j * wst[3];
                    }
                    const TYPE *wg = w + g * kg * wst[0];
                    for (int64_t k0 = 0; k0 < kg; k0 += CC_GEMM_KC) {
                        const int64_t kc = cc_min64(CC_GEMM_KC, kg - k0);
                        CC_FN(bw_pack_a)(wg, roff, rows, wst[0], k0, kc, mr, apack + k0 * rpad);
                    }
                    packed_key = g * n_cb + cbi;
                }
                const TYPE *dyg = dy + n * dst[0] + g * kg * dst[1];
                for (int64_t j0 = 0; j0 < P; j0 += ncb) {
                    const int64_t jn = cc_min64(ncb, P - j0);
                    for (int64_t k0 = 0; k0 < kg; k0 += CC_GEMM_KC) {
                        const int64_t kc = cc_min64(CC_GEMM_KC, kg - k0);
                        CC_FN(bw_pack_dy)(dyg, dst[1], dst[2], dst[3], ds[3], k0, kc, j0, jn, nr,
                                          bpack);
                        const TYPE *ablock = apack + k0 * rpad;
                        for (int64_t jr = 0; jr < jn; jr += nr)
                            for (int64_t ir = 0; ir < rows; ir += mr)
                                ukr(kc, ablock + ir * kc, bpack + jr * kc, dcols + ir * ncb + jr,
                                    ncb, cc_min64(mr, rows - ir), cc_min64(nr, jn - jr), NULL,
                                    k0 > 0);
                    }
                    /* col2im: scatter the rows back onto the input planes */
                    for (int64_t r = 0; r < rows; ++r) {
                        const int64_t c = r / taps, i = (r % taps) / ws[3], j = r % ws[3];
                        TYPE *plane = dxn + c * x_plane;
                        const int64_t off = j * d->dilation_w - d->pad_left, sw = d->stride_w;
                        int64_t lo, hi;
                        cc_in_bounds_run(off, sw, xs[3], ds[3], &lo, &hi);
                        int64_t q = 0, oh = j0 / ds[3], ow = j0 % ds[3];
                        while (q < jn) {
                            const int64_t run = cc_min64(ds[3] - ow, jn - q), end = ow + run;
                            const int64_t ih = oh * d->stride_h - d->pad_top + i * d->dilation_h;
                            if (ih >= 0 && ih < xs[2]) {
                                const int64_t a = cc_max64(ow, cc_min64(lo, end));
                                const int64_t b = cc_max64(a, cc_min64(hi, end));
                                /* based at pixel a and its input column: off alone may lie
                                 * far outside the plane */
                                const TYPE *src = dcols + r * ncb + q + (a - ow);
                                TYPE *dst = plane + ih * xs[3] + (a < b ? a * sw + off : 0);
                                if (sw == 1) {
                                    for (int64_t t = 0; t < b - a; ++t) dst[t] += src[t];
                                } else {
                                    for (int64_t t = 0; t < b - a; ++t) dst[t * sw] += src[t];
                                }
                            }
                            q += run;
                            ow = 0;
                            ++oh;
                        }
                    }
                }
            }
        }
        cc_aligned_free(buf);
        cc_aligned_free(row_off);
    }
    return CC_OK;
}

static void CC_FN(bw_depthwise)(const cc_conv2d_desc *d, const TYPE *dy, const int64_t ds[4],
                                const int64_t dst[4], const TYPE *x, const int64_t xs[4],
                                const int64_t xst[4], const TYPE *w, const int64_t ws[4],
                                const int64_t wst[4], TYPE *dx, TYPE *dw, int nt)
{
    const int64_t N = xs[0], C = xs[1], c_out = ws[0], mult = c_out / d->groups;
    const int64_t H = xs[2], W = xs[3], OH = ds[2], OW = ds[3], KH = ws[2], KW = ws[3];
    int64_t t;
    (void)nt;
    if (dx) {
        /* one input plane per task: the sum over its mult output channels and taps */
#pragma omp parallel for schedule(static) num_threads(nt)
        for (t = 0; t < N * C; ++t) {
            const int64_t n = t / C, c = t % C;
            TYPE *plane = dx + t * H * W;
            for (int64_t i = 0; i < H * W; ++i) plane[i] = 0;
            for (int64_t m = 0; m < mult; ++m) {
                const int64_t k = c * mult + m;
                const TYPE *g = dy + n * dst[0] + k * dst[1];
                for (int64_t oh = 0; oh < OH; ++oh)
                    for (int64_t i = 0; i < KH; ++i) {
                        const int64_t ih = oh * d->stride_h - d->pad_top + i * d->dilation_h;
                        if (ih < 0 || ih >= H) continue;
                        for (int64_t j = 0; j < KW; ++j) {
                            const TYPE wv = w[k * wst[0] + i * wst[2] + j * wst[3]];
                            const int64_t off = j * d->dilation_w - d->pad_left;
                            for (int64_t ow = 0; ow < OW; ++ow) {
                                const int64_t iw = ow * d->stride_w + off;
                                if (iw >= 0 && iw < W)
                                    plane[ih * W + iw] += wv * g[oh * dst[2] + ow * dst[3]];
                            }
                        }
                    }
            }
        }
    }
    if (dw) {
        /* one output channel per task; images in order */
#pragma omp parallel for schedule(static) num_threads(nt)
        for (t = 0; t < c_out; ++t) {
            const int64_t c = t / mult;
            for (int64_t i = 0; i < KH; ++i)
                for (int64_t j = 0; j < KW; ++j) {
                    TYPE sum = 0;
                    for (int64_t n = 0; n < N; ++n) {
                        const TYPE *g = dy + n * dst[0] + t * dst[1];
                        const TYPE *xp = x + n * xst[0] + c * xst[1];
                        for (int64_t oh = 0; oh < OH; ++oh) {
                            const int64_t ih = oh * d->stride_h - d->pad_top + i * d->dilation_h;
                            if (ih < 0 || ih >= H) continue;
                            for (int64_t ow = 0; ow < OW; ++ow) {
                                const int64_t iw = ow * d->stride_w - d->pad_left + j * d->dilation_w;
                                if (iw >= 0 && iw < W)
                                    sum += g[oh * dst[2] + ow * dst[3]] * xp[ih * xst[2] + iw * xst[3]];
                            }
                        }
                    }
                    dw[(t * KH + i) * KW + j] = sum;
                }
        }
    }
}

/* Weight gradient by the direct kernel (kernels/wgrad_simd.template.c). Each input plane
 * is expanded once per kernel column and stride phase:
 *     xe[((ph * KW + j) * M + m) * OW + ow] = x[m * sh + ph - pt, ow * sw + j * dil_w - pl]
 * (0 in the padding), so that tap (i, j) of output pixel (oh, ow) reads
 * xe[((ph_i * KW + j) * M + oh + q_i) * OW + ow] with i * dil_h = q_i * sh + ph_i: one run
 * per tap, laid out like dy's pixels, whatever the strides and dilations. The expansion
 * is KW copies of the plane (the GEMM's column matrix is KH * KW), made once per image
 * for all the output channels of a task.
 * Applies when the target has the kernel for this kernel width and dy's planes are dense;
 * returns -1 when it does not apply.
 * Work: tasks (chunk of images, group, input channel, blocks of output channels). Sums:
 * lanes of each tap over the images of one fixed chunk of CC_BW_CHUNK (image, then pixel
 * order), lanes added in order, chunks added in order: the same for any thread count. */
static int CC_FN(bw_wgrad_direct)(const cc_conv2d_desc *d, const TYPE *dy, const int64_t ds[4],
                               const int64_t dst[4], const TYPE *x, const int64_t xs[4],
                               const int64_t xst[4], const int64_t ws[4], TYPE *dw, int nt,
                               cc_status *st)
{
    const cc_kernels *kern = cc_active_kernels();
    const int64_t KH = ws[2], KW = ws[3], OH = ds[2], OW = ds[3], H = xs[2], W = xs[3];
    const int64_t sh = d->stride_h, sw = d->stride_w;
    if (!kern->CC_FN(wgrad).fn || KW > CC_WGRAD_KW_MAX || dst[3] != 1 || dst[2] != OW)
        return -1;
    const int cbmax = kern->CC_FN(wgrad).cb[KW], vw = kern->CC_FN(wgrad).vw;
    if (cbmax == 0) return -1;
    const int64_t N = xs[0], G = d->groups, cg = ws[1], kg = ws[0] / G, P = OH * OW;
    /* where it beats the GEMM (measured): few output channels per group, whose GEMM is
     * mostly packing, or a short reduction per channel (kdim) with a kernel row to reuse
     * the input loads */
    if (!((KW >= 2 && (kg <= 32 || cg * KH * KW <= 160)) || kg <= 16)) return -1;
    /* the expansion holds sh * KW planes of M x OW: bounded before it is sized (strides,
     * dilations and output sizes may be as large as int64 allows) */
    const int64_t lim = (int64_t)1 << 22;
    if (KH > 64 || sh > 64 || OW > lim || OH > lim || (KH - 1) * d->dilation_h / sh > lim)
        return -1;
    const int64_t M = OH + (KH - 1) * d->dilation_h / sh; /* rows of one expanded plane */
    const int64_t xe_elems = sh * KW * M * OW;
    if (xe_elems > lim) return -1;
    const int64_t n_cob = cc_ceil_div(kg, cbmax);
    const int64_t tap_vecs = KH * cbmax * KW * vw; /* one block's accumulators */
    int64_t parts = cc_ceil_div(N, CC_BW_CHUNK);
    const int64_t w_elems = ws[0] * cg * KH * KW;
    if (parts < 2 || w_elems > CC_BW_PARTIAL_MAX / parts) parts = 1;
    /* output-channel blocks per task: all of them (the expansion is made once per image),
     * unless that leaves threads idle */
    int64_t per_task = n_cob;
    while (per_task > 1 && parts * G * cg * cc_ceil_div(n_cob, per_task) < 2 * (int64_t)nt)
        per_task = (per_task + 1) / 2;
    const int64_t n_grp = cc_ceil_div(n_cob, per_task), tasks = parts * G * cg * n_grp;
    const int64_t per_thread = cc_round_up(xe_elems, 16) + per_task * tap_vecs;
    TYPE *buf = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * nt * per_thread);
    TYPE *partial = parts > 1 ? (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * parts * w_elems)
                              : dw;
    if (!buf || !partial) {
        cc_aligned_free(buf);
        if (parts > 1) cc_aligned_free(partial);
        *st = CC_ERR_NO_MEMORY;
        return 0;
    }
    int64_t row_off[64];
    for (int64_t i = 0; i < KH; ++i) {
        const int64_t q = i * d->dilation_h / sh, ph = i * d->dilation_h % sh;
        row_off[i] = ph * KW * M * OW + q * OW;
    }
    cc_wgrad_geom geo;
    geo.pixels = P; geo.kernel_h = KH; geo.kernel_w = KW;
    geo.dy_cs = dst[1]; geo.xj_s = M * OW; geo.row_off = row_off;
    const CC_FN(cc_wgrad) fn = kern->CC_FN(wgrad).fn;
    (void)nt;
#pragma omp parallel num_threads(nt)
    {
        TYPE *xe = buf + (int64_t)cc_thread_id() * per_thread;
        TYPE *acc = xe + cc_round_up(xe_elems, 16);
        int64_t task;
#pragma omp for schedule(static)
        for (task = 0; task < tasks; ++task) {
            const int64_t grp = task % n_grp, c = (task / n_grp) % cg;
            const int64_t g = (task / (n_grp * cg)) % G, part = task / (n_grp * cg * G);
            const int64_t b0 = grp * per_task, b1 = cc_min64(n_cob, b0 + per_task);
            const int64_t n0 = parts > 1 ? part * CC_BW_CHUNK : 0;
            const int64_t n1 = parts > 1 ? cc_min64(N, n0 + CC_BW_CHUNK) : N;
            for (int64_t e = 0; e < (b1 - b0) * tap_vecs; ++e) acc[e] = 0;
            for (int64_t n = n0; n < n1; ++n) {
                const TYPE *xc = x + n * xst[0] + (g * cg + c) * xst[1];
                for (int64_t ph = 0; ph < sh; ++ph)
                    for (int64_t j = 0; j < KW; ++j) {
                        const int64_t off = j * d->dilation_w - d->pad_left;
                        int64_t lo, hi;
                        cc_in_bounds_run(off, sw, W, OW, &lo, &hi);
                        TYPE *plane = xe + (ph * KW + j) * M * OW;
                        for (int64_t m = 0; m < M; ++m) {
                            TYPE *row = plane + m * OW;
                            const int64_t r = m * sh + ph - d->pad_top;
                            if (r < 0 || r >= H) {
                                for (int64_t q = 0; q < OW; ++q) row[q] = 0;
                                continue;
                            }
                            const TYPE *xr = xc + r * xst[2];
                            int64_t q = 0;
                            for (; q < lo; ++q) row[q] = 0;
                            if (sw == 1 && xst[3] == 1 && lo < hi) {
                                /* based at the first column read (off alone may lie far
                                 * outside the row) */
                                const TYPE *src = xr + (lo + off);
                                for (; q < hi; ++q) row[q] = src[q - lo];
                            } else {
                                for (; q < hi; ++q) row[q] = xr[(q * sw + off) * xst[3]];
                            }
                            for (; q < OW; ++q) row[q] = 0;
                        }
                    }
                /* pixels in fixed runs (multiples of the vector width), every block of
                 * output channels per run: the run's dy and inputs stay in cache */
                for (int64_t p0 = 0; p0 < P; p0 += CC_WG_RUN) {
                    cc_wgrad_geom run = geo;
                    run.pixels = cc_min64(CC_WG_RUN, P - p0);
                    for (int64_t b = b0; b < b1; ++b) {
                        const int64_t k0 = b * cbmax;
                        fn(&run, dy + n * dst[0] + (g * kg + k0) * dst[1] + p0,
                           (int)cc_min64(cbmax, kg - k0), xe + p0, acc + (b - b0) * tap_vecs);
                    }
                }
            }
            /* lane sums, pairwise (lanes l and l + h for h = vw/2, vw/4, ..., 1: a
             * fixed tree, and a vectorisable loop), into this chunk's gradient */
            const int64_t vecs = (b1 - b0) * tap_vecs / vw;
            for (int h = vw / 2; h >= 1; h /= 2)
                for (int64_t v = 0; v < vecs; ++v) {
                    TYPE *lane = acc + v * vw;
                    for (int l = 0; l < h; ++l) lane[l] += lane[l + h];
                }
            for (int64_t b = b0; b < b1; ++b) {
                const int64_t k0 = b * cbmax, kn = cc_min64(cbmax, kg - k0);
                const TYPE *a = acc + (b - b0) * tap_vecs;
                for (int64_t k = 0; k < kn; ++k) {
                    TYPE *out = partial + part * w_elems + ((g * kg + k0 + k) * cg + c) * KH * KW;
                    for (int64_t i = 0; i < KH; ++i)
                        for (int64_t j = 0; j < KW; ++j)
                            out[i * KW + j] = a[((i * cbmax + k) * KW + j) * vw];
                }
            }
        }
    }
    if (parts > 1) CC_FN(bw_sum_partials)(partial, parts, w_elems, dw, nt);
    cc_aligned_free(buf);
    *st = CC_OK;
    return 0;
}

/* Input gradient of a convolution with stride 1, as a forward convolution: with s = 1,
 *   dx[n, g*cg + c, h, w] = sum_{k, i, j} dy[n, g*kg + k, h + pt - i*dil_h, w + pl - j*dil_w]
 *                                        * W[g*kg + k, c, i, j],
 * which is conv2d(dy, W') with W'[g*cg + c, k, KH-1-i, KW-1-j] = W[g*kg + k, c, i, j], the
 * same groups and dilation, and padding (K-1)*d - p on each side. The forward path's
 * blocked kernels then do the work, with no column matrix and no scatter. Applies when
 * every one of those paddings is >= 0; returns -1 when it does not apply. The result is the
 * forward convolution's: bit-identical for any thread count. */
static int CC_FN(bw_dx_forward)(const cc_conv2d_desc *d, const TYPE *dy, const int64_t ds[4],
                                const int64_t dst[4], const int64_t xs[4], const TYPE *w,
                                const int64_t ws[4], const int64_t wst[4], TYPE *dx, int nt,
                                cc_status *st)
{
    const int64_t G = d->groups, cg = ws[1], kg = ws[0] / G, KH = ws[2], KW = ws[3];
    const int64_t reach_h = (KH - 1) * d->dilation_h, reach_w = (KW - 1) * d->dilation_w;
    cc_conv2d_desc t;
    if (d->stride_h != 1 || d->stride_w != 1) return -1;
    t.stride_h = t.stride_w = 1;
    t.dilation_h = d->dilation_h;
    t.dilation_w = d->dilation_w;
    t.groups = G;
    t.pad_top = reach_h - d->pad_top;
    t.pad_bottom = reach_h - d->pad_bottom;
    t.pad_left = reach_w - d->pad_left;
    t.pad_right = reach_w - d->pad_right;
    if (t.pad_top < 0 || t.pad_bottom < 0 || t.pad_left < 0 || t.pad_right < 0) return -1;
    const int64_t wt_shape[4] = {G * cg, kg, KH, KW};
    const int64_t wt_strides[4] = {kg * KH * KW, KH * KW, KW, 1};
    const int64_t n_w = ws[0] * cg * KH * KW;
    TYPE *wt = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * (n_w > 0 ? n_w : 1));
    if (!wt) {
        *st = CC_ERR_NO_MEMORY;
        return 0;
    }
    /* written in order; the reads of one c revisit the lines the previous c loaded */
    /* filters transposed in blocks of 16 input channels: the 16 reads of a filter row and
     * the 16 rows written stay within a few cache lines */
    const int64_t taps = KH * KW;
    for (int64_t g = 0; g < G; ++g)
        for (int64_t c0 = 0; c0 < cg; c0 += 16) {
            const int64_t c1 = cc_min64(cg, c0 + 16);
            for (int64_t k = 0; k < kg; ++k) {
                const TYPE *src = w + (g * kg + k) * wst[0];
                TYPE *dst = wt + ((g * cg) * kg + k) * taps + taps - 1;
                if (taps == 1) {
                    for (int64_t c = c0; c < c1; ++c) dst[c * kg] = src[c * wst[1]];
                    continue;
                }
                for (int64_t c = c0; c < c1; ++c)
                    for (int64_t i = 0; i < KH; ++i)
                        for (int64_t j = 0; j < KW; ++j)
                            dst[c * kg * taps - (i * KW + j)] =
                                src[c * wst[1] + i * wst[2] + j * wst[3]];
            }
        }
    *st = CC_FN(cc_conv2d)(&t, dy, ds, dst, wt, wt_shape, wt_strides, NULL, 0, dx, nt);
    cc_aligned_free(wt);
    /* the forward call computes exactly x's spatial size: (OH + pt' + pb') - reach = H */
    (void)xs;
    return 0;
}

/* cc_conv2d_backward_checked_f32 / _f64 (checked.h): the call once cc_conv2d_check has
 * accepted desc, x_shape and w_shape and written ys (the forward output's shape, which dy
 * must have). */
cc_status CC_FN(cc_conv2d_backward_checked)(const cc_conv2d_desc *desc, const TYPE *dy,
                                            const int64_t dy_shape[4],
                                            const int64_t dy_strides[4], const TYPE *x,
                                            const int64_t x_shape[4],
                                            const int64_t x_strides[4], const TYPE *w,
                                            const int64_t w_shape[4],
                                            const int64_t w_strides[4], const int64_t ys[4],
                                            TYPE *dx, TYPE *dw, TYPE *db, int n_threads)
{
    if (!dy_shape || !dy_strides || !x_strides || !w_strides) return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    for (int i = 0; i < 4; ++i)
        if (dy_shape[i] != ys[i]) return CC_ERR_BAD_SHAPE;
    const int nt = cc_resolve_threads(n_threads);
    const int64_t n_dy = ys[0] * ys[1] * ys[2] * ys[3];
    const int64_t n_dx = x_shape[0] * x_shape[1] * x_shape[2] * x_shape[3];
    const int64_t n_dw = w_shape[0] * w_shape[1] * w_shape[2] * w_shape[3];
    if ((n_dy && !dy) || (dx && n_dx && !w) || (dw && n_dw && !x)) return CC_ERR_NULL_POINTER;
    if (db) {
        if (n_dy) CC_FN(bw_bias)(dy, ys, dy_strides, db, nt);
        else for (int64_t k = 0; k < w_shape[0]; ++k) db[k] = 0;
    }
    if (n_dy == 0 || w_shape[1] == 0) { /* nothing flows: zero gradients */
        if (dx) for (int64_t i = 0; i < n_dx; ++i) dx[i] = 0;
        if (dw) for (int64_t i = 0; i < n_dw; ++i) dw[i] = 0;
        return CC_OK;
    }
    if (dx && n_dx == 0) { /* x has an empty plane (padding gave dy its pixels) */
        dx = NULL;
        if (!dw) return CC_OK;
    }
    if (dx) {
        cc_status dx_st = CC_OK;
        if (CC_FN(bw_dx_forward)(desc, dy, ys, dy_strides, x_shape, w, w_shape, w_strides, dx, nt,
                                 &dx_st) == 0) {
            if (dx_st != CC_OK) return dx_st;
            dx = NULL; /* done */
            if (!dw) return CC_OK;
        }
    }
    if (dw) {
        cc_status dw_st = CC_OK;
        if (CC_FN(bw_wgrad_direct)(desc, dy, ys, dy_strides, x, x_shape, x_strides, w_shape, dw, nt,
                                &dw_st) == 0) {
            if (dw_st != CC_OK) return dw_st;
            dw = NULL; /* done */
            if (!dx) return CC_OK;
        }
    }
    if (w_shape[1] == 1 && desc->groups > 1) {
        CC_FN(bw_depthwise)(desc, dy, ys, dy_strides, x, x_shape, x_strides, w, w_shape,
                            w_strides, dx, dw, nt);
        return CC_OK;
    }
    return CC_FN(bw_gemm)(desc, dy, ys, dy_strides, x, x_shape, x_strides, w, w_shape, w_strides,
                          dx, dw, nt);
}

/* cc_conv2d_backward_f32 / _f64 (convcore.h) */
cc_status CC_FN(cc_conv2d_backward)(const cc_conv2d_desc *desc, const TYPE *dy,
                                    const int64_t dy_shape[4], const int64_t dy_strides[4],
                                    const TYPE *x, const int64_t x_shape[4],
                                    const int64_t x_strides[4], const TYPE *w,
                                    const int64_t w_shape[4], const int64_t w_strides[4],
                                    TYPE *dx, TYPE *dw, TYPE *db, int n_threads)
{
    int64_t ys[4];
    if (!desc || !dy_shape || !dy_strides || !x_shape || !x_strides || !w_shape || !w_strides)
        return CC_ERR_NULL_POINTER;
    if (n_threads < 0) return CC_ERR_BAD_THREADS;
    const cc_status st = cc_conv2d_check(desc, x_shape, w_shape, ys);
    if (st != CC_OK) return st;
    return CC_FN(cc_conv2d_backward_checked)(desc, dy, dy_shape, dy_strides, x, x_shape,
                                             x_strides, w, w_shape, w_strides, ys, dx, dw, db,
                                             n_threads);
}
