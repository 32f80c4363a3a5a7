/* conv_gemm.template.c - the forward convolution's blocked loops for one TYPE: the indexed
 * GEMM over the stride-phase layout (conv_gemm, planned by conv_gemm_plan in
 * conv_tiling.template.c) and the packed im2col GEMM for layouts that would dwarf the
 * input (conv_gemm_im2col). Included by conv2d.template.c. */

/* Packs kc rows (offsets boff[0 .. kc-1]) of the tile into dst, nv * vw columns per row
 * (zero past width unless overread, see pack_seg). */
static void CC_FN(pack_tile)(const cc_kernels *kern, const TYPE *bimg, const int64_t *boff,
                             int64_t kc, const CC_FN(segments) *s, int64_t p0, int64_t width,
                             int64_t ow_n, int64_t ph_w, int nv, int vw, int overread, TYPE *dst)
{
    if (s->n <= CC_PACK_SEGS) {
        kern->CC_FN(gemm_sp).pack(kc, bimg, boff, s->n, s->src, s->col, s->len, width, nv,
                                  overread, dst);
        return;
    }
    for (int64_t k = 0; k < kc; ++k)
        for (int64_t col = 0; col < nv * vw; ++col) {
            const int64_t q = ((p0 + col) / ow_n) * ph_w + (p0 + col) % ow_n;
            dst[k * nv * vw + col] = col < width ? bimg[boff[k] + q] : (TYPE)0;
        }
}

/* A tail tile: nv whole vectors and one output more (width = nv * vw + 1), with the
 * target's gemm_tail kernel: the first width - 1 columns packed as usual, the last
 * column's kc values gathered into tailb (consecutive), then every row panel. a, c: the
 * task's first row. */
static void CC_FN(tail_tile)(const cc_kernels *kern, const TYPE *bimg, const int64_t *boff,
                             int64_t kc, int64_t p0, int64_t width, int64_t ow_n, int64_t ph_w,
                             int nv, int vw, int overread, TYPE *bpack, TYPE *tailb,
                             const TYPE *a, int64_t lda, TYPE *c, int64_t ldc, int64_t rows,
                             const TYPE *bias, int accumulate)
{
    const CC_FN(cc_gemm_tail) ukr = kern->CC_FN(gemm_sp).tail[nv - 1];
    const int mrt = kern->CC_FN(gemm_sp).mr_tail;
    const int64_t last = p0 + width - 1, q = (last / ow_n) * ph_w + last % ow_n;
    CC_FN(segments) segs;
    CC_FN(tile_segments)(p0, width - 1, ow_n, ph_w, &segs);
    CC_FN(pack_tile)(kern, bimg, boff, kc, &segs, p0, width - 1, ow_n, ph_w, nv, vw, overread,
                     bpack);
    for (int64_t k = 0; k < kc; ++k) tailb[k] = bimg[boff[k] + q];
    for (int64_t ir = 0; ir < rows; ir += mrt)
        ukr(kc, a + ir * lda, lda, bpack, tailb, c + ir * ldc, ldc, cc_min64(mrt, rows - ir),
            bias ? bias + ir : NULL, accumulate);
}

/* Forward convolution as a GEMM per (image, group) without an im2col matrix:
 *   Y_g[kg x P] = W_g[kg x kdim] * X_g[kdim x P],  kdim = Cg * kh * kw, P = OH * OW.
 * The input is first laid out as zero-padded stride phases (cc_pack_phases), or read in
 * place when it needs neither (stride 1, no padding, dense rows). In that layout the
 * pixels of an output row are consecutive: output (oh, ow) and tap k = (c, i, j) read
 * buf[boff[k] + oh * ph_w + ow]. Row r of W_g is the weights' own row (weights that are
 * not dense along (c, i, j) are copied once), read in place by the micro-kernel.
 * Column tiles: the P outputs in vectors of vw, cut into tiles by tile_count / tile_span.
 * For each k block of a tile the B block is packed
 * (the tile's output rows are runs in the phase planes: a few vector copies per k row),
 * then every mr-row panel of the task's row block runs over it while it sits in L1,
 * accumulating straight into the output (the kernel resumes each chain from C, so every
 * output is one fused chain over the whole reduction and blocking never changes a result).
 * With few output channels (little reuse of a packing) the tiles stay within output rows
 * and the kernel reads B in place instead (direct_b).
 * Threads: images go in rounds (the phase buffers of a round are built first, in
 * parallel); tasks (image, group, row block, column block) are split statically; every
 * output element is written by exactly one task. */
static cc_status CC_FN(conv_gemm)(const cc_conv2d_desc *d, const TYPE *x, const int64_t xs[4],
                                  const int64_t xst[4], const TYPE *w, const int64_t ws[4],
                                  const int64_t wst[4], const TYPE *bias, int64_t bias_stride,
                                  TYPE *y, const int64_t ys[4], int nt)
{
    const cc_kernels *kern = cc_active_kernels();
    CC_FN(conv_plan) pl;
    CC_FN(conv_gemm_plan)(kern, d, xs, xst, ws, wst, ys, nt, &pl);
    const CC_FN(conv_dims) dm = pl.dims;
    const int mr = dm.mr, vw = dm.vw, nvmax = dm.nvmax, nvw = dm.nvw, mrw = dm.mrw;
    const int64_t nrw = dm.nrw, N = dm.N, C = dm.C, H = dm.H, W = dm.W, G = dm.G, cg = dm.cg;
    const int64_t c_out = dm.c_out, kg = dm.kg, kh = dm.kh, kw = dm.kw, taps = dm.taps;
    const int64_t kdim = dm.kdim, OH = dm.OH, OW = dm.OW, P = dm.P;
    const int64_t sh = dm.sh, sw = dm.sw, dil_h = dm.dil_h, dil_w = dm.dil_w;
    const int in_place = pl.in_place, w_dense = pl.w_dense, direct_b = pl.direct_b;
    const int k_outer = pl.k_outer, cache_b = pl.cache_b;
    const int64_t n_ph_h = pl.n_ph_h, n_ph_w = pl.n_ph_w, ph_h = pl.ph_h, ph_w = pl.ph_w;
    const int64_t cs = pl.cs, img_elems = pl.img_elems, round_imgs = pl.round_imgs;
    const int64_t row_tiles = pl.row_tiles, nvec = pl.nvec, tiles = pl.tiles, kc = pl.kc;
    const int64_t bpack_elems = pl.bpack_elems;
    const CC_FN(tiling) tl = pl.tl;
    const CC_FN(gemm_plan) plan = pl.split;
    const int64_t n_ib = plan.n_ib, n_jc = plan.n_jc;
    int64_t *phases = NULL, *boff = NULL;
    TYPE *pbuf = NULL, *tbuf = NULL, *bias_c = NULL, *wcopy = NULL;
    cc_phase_geom pg;
    cc_status status = CC_OK;
    nt = pl.nt;

    if (!in_place) {
        phases = (int64_t *)cc_aligned_alloc((int64_t)sizeof(int64_t) * (n_ph_h + n_ph_w));
        if (!phases) return CC_ERR_NO_MEMORY;
        for (int64_t i = 0; i < n_ph_h; ++i) phases[i] = (i * dil_h) % sh;
        for (int64_t j = 0; j < n_ph_w; ++j) phases[n_ph_h + j] = (j * dil_w) % sw;
        pg.in_h = H; pg.in_w = W; pg.xs_h = xst[2]; pg.xs_w = xst[3];
        pg.stride_h = sh; pg.stride_w = sw; pg.pad_top = d->pad_top; pg.pad_left = d->pad_left;
        pg.ph_h = ph_h; pg.ph_w = ph_w; pg.n_ph_h = n_ph_h; pg.n_ph_w = n_ph_w;
        pg.phase_h = phases; pg.phase_w = phases + n_ph_h;
    }

    boff = (int64_t *)cc_aligned_alloc((int64_t)sizeof(int64_t) * kdim);
    if (!in_place)
        pbuf = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * (round_imgs * img_elems + vw));
    tbuf = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * nt * bpack_elems);
    if (bias) bias_c = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * c_out);
    if (!w_dense) wcopy = (TYPE *)cc_aligned_alloc((int64_t)sizeof(TYPE) * c_out * kdim);
    if (!boff || (!in_place && !pbuf) || !tbuf || (bias && !bias_c) || (!w_dense && !wcopy)) {
        status = CC_ERR_NO_MEMORY;
        goto done;
    }
    if (!in_place) /* the packing may read a little past the last phase plane */
        for (int64_t k = round_imgs * img_elems; k < round_imgs * img_elems + vw; ++k) pbuf[k] = 0;
    if (bias)
        for (int64_t k = 0; k < c_out; ++k) bias_c[k] = bias[k * bias_stride];
    if (!w_dense)
        for (int64_t r = 0; r < c_out; ++r) {
            int64_t k = 0;
            for (int64_t c = 0; c < cg; ++c)
                for (int64_t i = 0; i < kh; ++i)
                    for (int64_t j = 0; j < kw; ++j, ++k)
                        wcopy[r * kdim + k] = w[r * wst[0] + c * wst[1] + i * wst[2] + j * wst[3]];
        }
    const TYPE *wa = w_dense ? w : wcopy;
    const int64_t lda = w_dense ? wst[0] : kdim;
    /* the taps of the first channel (divisions: once per tap), then every other channel's
     * the same, cs further on */
    for (int64_t i = 0, k = 0; i < kh; ++i)
        for (int64_t j = 0; j < kw; ++j, ++k)
            boff[k] = in_place ? i * dil_h * W + j * dil_w
                               : ((i % n_ph_h) * n_ph_w + j % n_ph_w) * ph_h * ph_w +
                                     (i * dil_h / sh) * ph_w + j * dil_w / sw;
    for (int64_t c = 1; c < cg; ++c)
        for (int64_t t = 0; t < taps; ++t) boff[c * taps + t] = boff[t] + c * cs;

    (void)nt;
#pragma omp parallel num_threads(nt)
    {
        TYPE *bpack = tbuf + (int64_t)cc_thread_id() * bpack_elems;
        TYPE *tailb = bpack + bpack_elems - kc;
        CC_FN(segments) segs;
        int64_t cached_n = -1, cached_g = -1, cached_jb = -1;
        for (int64_t n0 = 0; n0 < N; n0 += round_imgs) {
            const int64_t nimg = cc_min64(round_imgs, N - n0);
            int64_t t;
            if (!in_place) {
#pragma omp for schedule(static)
                for (t = 0; t < nimg * C; ++t)
                    CC_FN(cc_pack_phases)(&pg, x + (n0 + t / C) * xst[0] + (t % C) * xst[1],
                                          pbuf + t * cs);
            }
            const int64_t tasks = nimg * G * n_ib * n_jc;
#pragma omp for schedule(static)
            for (t = 0; t < tasks; ++t) {
                int64_t rem = t;
                const int64_t jb = rem % n_jc; rem /= n_jc;
                const int64_t ib = rem % n_ib; rem /= n_ib;
                const int64_t g = rem % G, n = n0 + rem / G;
                const int64_t i0 = ib * plan.panels / n_ib * plan.unit;
                const int64_t rows = cc_min64((ib + 1) * plan.panels / n_ib * plan.unit, kg) - i0;
                if (rows <= 0) continue;
                const TYPE *bimg = in_place ? x + n * xst[0] + g * cg * xst[1]
                                            : pbuf + (n - n0) * img_elems + g * cg * cs;
                const TYPE *ablk = wa + (g * kg + i0) * lda;
                TYPE *yblk = y + (n * c_out + g * kg + i0) * P;
                const TYPE *bblk = bias_c ? bias_c + g * kg + i0 : NULL;
                const int64_t t0 = jb * tiles / n_jc, t1 = (jb + 1) * tiles / n_jc;
                /* B of the whole column block packed once and kept while the thread's next
                 * tasks are other row blocks of it; else packed per (tile, k block) */
                const int fill = cache_b && (n != cached_n || g != cached_g || jb != cached_jb);
                if (direct_b) {
                    for (int64_t tt = t0; tt < t1; ++tt) {
                        const int64_t oh = tt / row_tiles;
                        int64_t v0;
                        int nv;
                        CC_FN(tile_span)(tt % row_tiles, nvec, nvmax, nvw, &v0, &nv);
                        const int64_t ow0 = v0 * vw, width = cc_min64((v0 + nv) * vw, OW) - ow0;
                        const CC_FN(cc_gemm_ind) ukr = kern->CC_FN(gemm_sp).ind[nv - 1];
                        const int mrt = nv > nvmax ? mrw : mr;
                        for (int64_t ir = 0; ir < rows; ir += mrt)
                            ukr(kdim, ablk + ir * lda, lda, bimg + oh * ph_w + ow0, boff,
                                yblk + ir * P + oh * OW + ow0, P, cc_min64(mrt, rows - ir), width,
                                bblk ? bblk + ir : NULL, 0);
                    }
                    continue;
                }
                if (k_outer) {
                    for (int64_t pc = 0; pc < kdim; pc += kc) {
                        const int64_t kcc = cc_min64(kc, kdim - pc);
                        for (int64_t tt = t0; tt < t1; ++tt) {
                            int64_t p0, width;
                            int nv, tail;
                            CC_FN(tile_at)(kern, &tl, tt, P, &p0, &width, &nv, &tail);
                            if (tail) {
                                CC_FN(tail_tile)(kern, bimg, boff + pc, kcc, p0, width, OW, ph_w,
                                                 nv, vw, !in_place, bpack, tailb, ablk + pc, lda,
                                                 yblk + p0, P, rows,
                                                 pc == 0 ? bblk : NULL, pc > 0);
                                continue;
                            }
                            const CC_FN(cc_gemm_sp) ukr = kern->CC_FN(gemm_sp).fn[nv - 1];
                            const int mrt = nv > nvmax ? mrw : mr;
                            CC_FN(tile_segments)(p0, width, OW, ph_w, &segs);
                            CC_FN(pack_tile)(kern, bimg, boff + pc, kcc, &segs, p0, width, OW, ph_w,
                                             nv, vw, !in_place, bpack);
                            for (int64_t ir = 0; ir < rows; ir += mrt)
                                ukr(kcc, ablk + ir * lda + pc, lda, bpack, yblk + ir * P + p0, P,
                                    cc_min64(mrt, rows - ir), width,
                                    (bblk && pc == 0) ? bblk + ir : NULL, pc > 0);
                        }
                    }
                    continue;
                }
                for (int64_t tt = t0; tt < t1; ++tt) {
                    int64_t p0, width;
                    int nv, tail;
                    CC_FN(tile_at)(kern, &tl, tt, P, &p0, &width, &nv, &tail);
                    const CC_FN(cc_gemm_sp) ukr = kern->CC_FN(gemm_sp).fn[nv - 1];
                    const int mrt = nv > nvmax ? mrw : mr;
                    if (tail) {
                        for (int64_t pc = 0; pc < kdim; pc += kc)
                            CC_FN(tail_tile)(kern, bimg, boff + pc, cc_min64(kc, kdim - pc), p0,
                                             width, OW, ph_w, nv, vw, !in_place, bpack, tailb,
                                             ablk + pc, lda, yblk + p0, P, rows,
                                             pc == 0 ? bblk : NULL, pc > 0);
                        continue;
                    }
                    TYPE *btile = cache_b ? bpack + (tt - t0) * kdim * nrw : bpack;
                    if (!cache_b || fill)
                        CC_FN(tile_segments)(p0, width, OW, ph_w, &segs);
                    if (fill)
                        CC_FN(pack_tile)(kern, bimg, boff, kdim, &segs, p0, width, OW, ph_w, nv,
                                         vw, !in_place, btile);
                    for (int64_t pc = 0; pc < kdim; pc += kc) {
                        const int64_t kcc = cc_min64(kc, kdim - pc);
                        const TYPE *bblock = cache_b ? btile + pc * nv * vw : btile;
                        if (!cache_b)
                            CC_FN(pack_tile)(kern, bimg, boff + pc, kcc, &segs, p0, width, OW,
                                             ph_w, nv, vw, !in_place, btile);
                        for (int64_t ir = 0; ir < rows; ir += mrt)
                            ukr(kcc, ablk + ir * lda + pc, lda, bblock, yblk + ir * P + p0, P,
                                cc_min64(mrt, rows - ir), width,
                                (bblk && pc == 0) ? bblk + ir : NULL, pc > 0);
                    }
                }
                cached_n = n;
                cached_g = g;
                cached_jb = jb;
            }
        }
    }
done:
    cc_aligned_free(phases);
    cc_aligned_free(boff);
    cc_aligned_free(pbuf);
    cc_aligned_free(tbuf);
    cc_aligned_free(bias_c);
    cc_aligned_free(wcopy);
    return status;
}

/* The fallback GEMM path, for windows whose zero-padded phase layout would dwarf the
 * input and output (huge padding or dilation): weights packed into MR-row panels, the
 * column matrix packed block by block straight from the input with its bounds checked per
 * element (im2col fused into packing), the table's packed micro-kernel. Every output is
 * summed in a fixed order (CC_GEMM_KC blocks), so results do not depend on the threads.
 *
 * Picks the column block nc and row block mc: as large as the cache budget allows, then
 * halved until there are a few tasks per thread (batch-1 layers need the split). */
static void CC_FN(im2col_blocks)(int64_t batch_groups, int64_t cols, int64_t mpad, int mr, int nr,
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
static cc_status CC_FN(conv_gemm_im2col)(const cc_conv2d_desc *d, const TYPE *x, const int64_t xs[4],
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
    CC_FN(im2col_blocks)(N * G, P, mpad, mr, nr, nt, &nc, &mc);
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
    cc_im2col_geom_init(d, xs, xst, ws, ys[3], &geo);

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
