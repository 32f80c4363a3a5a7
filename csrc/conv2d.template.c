/* conv2d.template.c - the forward convolution driver for one TYPE.
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

static int64_t CC_FN(gcd64)(int64_t a, int64_t b)
{
    while (b) {
        const int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Bytes of packed B a thread may keep for a column block that several of its tasks (row
 * blocks) use in turn. */
#define CC_B_CACHE_BYTES ((int64_t)4 * 1024 * 1024)

/* The runs of output rows in a column tile [p0, p0 + width) of the P outputs: run s starts
 * at flat phase-plane column src[s] (oh * ph_w + ow) and fills tile columns col[s] ..
 * col[s] + len[s] - 1. n > CC_PACK_SEGS: too many to list (very narrow outputs). */
typedef struct CC_FN(segments) {
    int n;
    int64_t src[CC_PACK_SEGS], col[CC_PACK_SEGS], len[CC_PACK_SEGS];
} CC_FN(segments);

static void CC_FN(tile_segments)(int64_t p0, int64_t width, int64_t ow_n, int64_t ph_w,
                                 CC_FN(segments) *s)
{
    s->n = 0;
    for (int64_t col = 0, oh = p0 / ow_n, ow = p0 % ow_n; col < width; ++oh, ow = 0) {
        const int64_t len = cc_min64(ow_n - ow, width - col), src = oh * ph_w + ow;
        if (s->n > 0 && s->n <= CC_PACK_SEGS && s->src[s->n - 1] + s->len[s->n - 1] == src) {
            s->len[s->n - 1] += len; /* rows that follow each other in memory: one run */
        } else {
            if (s->n < CC_PACK_SEGS) {
                s->src[s->n] = src;
                s->col[s->n] = col;
                s->len[s->n] = len;
            }
            ++s->n;
        }
        col += len;
    }
}

/* Packs kc rows (offsets boff[0 .. kc-1]) of the tile into dst, nv * vw columns per row
 * (zero past width). overread: see pack_seg. */
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

/* Work split of the indexed GEMM of one round of images (see conv_gemm). */
typedef struct CC_FN(gemm_plan) {
    int64_t unit, panels;  /* row blocks are made of whole units of rows; units per group */
    int64_t n_ib;          /* row blocks per group: block b holds units [b*panels/n_ib, ..) */
    int64_t n_jc;          /* column blocks per (image, group, row block) */
} CC_FN(gemm_plan);

/* Row blocks: as many rows as keep the block's weights (mc x kdim) within CC_A_BLOCK_BYTES
 * (they are reused from L2 by every column tile), at most CC_MC_MAX; the mr-row panels are
 * spread over the blocks as evenly as they go (so the threads get equal rows).
 * When the (image, group) units do not divide evenly among the threads (batch-1 layers),
 * each unit is also split, along whichever operand is smaller to duplicate: by columns
 * when the weights (kg x kdim) are smaller than the unit's B (kdim x P), since every
 * column block reads all the weights; else by rows, since every row block packs all of B.
 * The count is chosen so that the tasks divide evenly among the threads. whole_rows: no
 * L2 budget for the weights (the k-outer order streams them once anyway). Only speed
 * depends on this: every output element is one fused chain over the whole reduction,
 * whatever the split. */
#define CC_A_BLOCK_BYTES ((int64_t)1024 * 1024)
#define CC_MC_MAX 256
static void CC_FN(gemm_blocks)(int64_t units, int64_t kg, int64_t kdim, int64_t P,
                               int64_t tiles, int mr, int nt, int whole_rows,
                               CC_FN(gemm_plan) *plan)
{
    const int64_t panels = cc_ceil_div(kg, mr);
    const int64_t panel_bytes = (int64_t)mr * kdim * (int64_t)sizeof(TYPE);
    const int64_t per_block0 =
        whole_rows ? panels
                   : cc_max64(1, cc_min64(CC_A_BLOCK_BYTES / panel_bytes, CC_MC_MAX / mr));
    int64_t n_ib = cc_ceil_div(panels, per_block0), n_jc = 1;
    if (units % nt && units < 4 * (int64_t)nt) {
        const int by_cols = (double)kg <= (double)P;
        if (by_cols) {
            while (n_jc < tiles && (units * n_ib * n_jc) % nt) ++n_jc;
        } else {
            int64_t i = n_ib;
            while (i < panels && (units * i) % nt) ++i;
            n_ib = i;
            while (n_jc < tiles && (units * n_ib * n_jc) % nt) ++n_jc;
        }
    }
    plan->unit = mr;
    plan->panels = panels;
    plan->n_ib = cc_min64(n_ib, panels);
    plan->n_jc = n_jc;
}

/* Column tiles over nvec vectors: up to nvmax vectors each (the main kernel), and when the
 * target has a wider kernel (nvw > nvmax, fewer rows), tiles of nvmax and nvw vectors only,
 * which avoids the narrow tiles (1 or 2 vectors: few accumulators per loaded value). Else
 * balanced tiles (a 4-vector row runs as 2 + 2). */
static int64_t CC_FN(tile_count)(int64_t nvec, int nvmax, int nvw)
{
    if (nvw > nvmax && nvmax == 3 && nvw == 4) {
        if (nvec <= 4) return 1;
        if (nvec == 5) return 2;
        return (nvec - 4 * (nvec % 3)) / 3 + nvec % 3;
    }
    return cc_ceil_div(nvec, nvmax);
}

static void CC_FN(tile_span)(int64_t tt, int64_t nvec, int nvmax, int nvw, int64_t *v0, int *nv)
{
    if (nvw > nvmax && nvmax == 3 && nvw == 4) {
        if (nvec <= 4) {
            *v0 = 0;
            *nv = (int)nvec;
            return;
        }
        if (nvec == 5) {
            *v0 = tt == 0 ? 0 : 2;
            *nv = tt == 0 ? 2 : 3;
            return;
        }
        const int64_t wide = nvec % 3, narrow = (nvec - 4 * wide) / 3; /* 3 * narrow + 4 * wide */
        *v0 = tt < narrow ? 3 * tt : 3 * narrow + 4 * (tt - narrow);
        *nv = tt < narrow ? 3 : 4;
        return;
    }
    const int64_t tiles = cc_ceil_div(nvec, nvmax);
    *v0 = tt * nvec / tiles;
    *nv = (int)((tt + 1) * nvec / tiles - *v0);
}

/* Column tiles of the packed paths over the P outputs. Where the target has gemm_tail
 * kernels, P = nfull * vw + r with 0 < r <= nfull, and the part-filled last vector would
 * waste at least CC_TAIL_WASTE of its lanes: r tail tiles at the end, each of tail_nv =
 * min(widest tail kernel, nfull / r) vectors plus one output, and the vectors before them
 * in ordinary tiles (tile_count / tile_span). A 7x7 plane is then a single tile of
 * 3 * 16 + 1 (no lane computes nothing); a 14x14 one (12 of 208 lanes wasted, 6 %) keeps
 * ordinary tiles. Otherwise the ceil(P / vw) vectors in ordinary tiles, the last
 * vector possibly part-filled. */
#ifndef CC_TAIL_WASTE
#define CC_TAIL_WASTE 0.15
#endif
typedef struct CC_FN(tiling) {
    int64_t reg_vecs, reg_tiles;  /* the ordinary tiles and the vectors they cover */
    int64_t ntail;                /* tail tiles */
    int tail_nv;                  /* whole vectors of each */
} CC_FN(tiling);

static void CC_FN(tiling_init)(const cc_kernels *kern, int64_t P, int allow_tail,
                               CC_FN(tiling) *t)
{
    const int vw = kern->CC_FN(gemm_sp).vw;
    const int64_t nfull = P / vw, r = P % vw;
    int tmax = 0;
    while (tmax < CC_GEMM_NV_MAX && kern->CC_FN(gemm_sp).tail[tmax]) ++tmax;
#ifdef CC_NO_TAIL
    tmax = 0;
#endif
    t->ntail = 0;
    t->tail_nv = 0;
    /* the tail kernels run about 10 % slower than the ordinary ones (6 rows, and the lane
     * sums): worth it only where the part-filled vector wastes more than that */
    const double waste = (double)(cc_ceil_div(P, vw) * vw - P) / (double)(cc_ceil_div(P, vw) * vw);
    if (allow_tail && tmax > 0 && r > 0 && nfull >= r && waste >= CC_TAIL_WASTE) {
        t->tail_nv = (int)cc_min64(tmax, nfull / r);
        t->ntail = r;
        t->reg_vecs = nfull - r * t->tail_nv;
    } else {
        t->reg_vecs = cc_ceil_div(P, vw);
    }
    t->reg_tiles = t->reg_vecs > 0 ? CC_FN(tile_count)(t->reg_vecs, kern->CC_FN(gemm_sp).nv,
                                                       kern->CC_FN(gemm_sp).nv_wide)
                                   : 0;
}

/* Tile tt: its first output p0, its outputs (width), its whole vectors nv (the last one
 * part-filled in an ordinary tile at the end of P) and whether it is a tail tile. */
static void CC_FN(tile_at)(const cc_kernels *kern, const CC_FN(tiling) *t, int64_t tt,
                           int64_t P, int64_t *p0, int64_t *width, int *nv, int *tail)
{
    const int vw = kern->CC_FN(gemm_sp).vw;
    if (tt < t->reg_tiles) {
        int64_t v0;
        CC_FN(tile_span)(tt, t->reg_vecs, kern->CC_FN(gemm_sp).nv, kern->CC_FN(gemm_sp).nv_wide,
                         &v0, nv);
        *p0 = v0 * vw;
        *width = cc_min64((v0 + *nv) * vw, P) - *p0;
        *tail = 0;
        return;
    }
    *nv = t->tail_nv;
    *width = (int64_t)t->tail_nv * vw + 1;
    *p0 = t->reg_vecs * vw + (tt - t->reg_tiles) * *width;
    *tail = 1;
}

/* Bytes of output plus one packed k block of B under which a task runs k-outer. */
#define CC_K_OUTER_BYTES ((int64_t)1024 * 1024)

/* Multiply-adds under which a convolution runs on one thread (about 5 us of work). */
#define CC_SERIAL_MACS 1.0e6

/* Bytes of one packed B block (kc rows of a column tile), meant to stay in L1 while every
 * row panel of the block runs over it... */
#ifndef CC_B_BLOCK_BYTES
#define CC_B_BLOCK_BYTES ((int64_t)32 * 1024)
#endif
/* AVX-512's 64-column tiles get 128 k rows from it, AVX2's 341. A floor of 256 rows for
 * AVX-512 once measured faster (resnet_l4 -9 %, 1x1 -7 %); since the tail tiles, 128
 * measures faster (best of 10 interleaved rounds, 1 thread: resnet_l3, l4 and l2_s2 -6 %,
 * 128->256 stride 2 on 28x28 -7 %, the others within 2 %; geometric mean -3 %), so the
 * floor is gone. On AVX2 a larger budget measured 2-6 % slower. Only speed depends on kc. */

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
    const int mr = kern->CC_FN(gemm_sp).mr, vw = kern->CC_FN(gemm_sp).vw;
    const int nvmax = kern->CC_FN(gemm_sp).nv;
    const int nvw = kern->CC_FN(gemm_sp).nv_wide, mrw = kern->CC_FN(gemm_sp).mr_wide;
    const int64_t nrw = (int64_t)vw * nvw; /* the widest tile */
    const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
    const int64_t G = d->groups, cg = ws[1], c_out = ws[0], kg = c_out / G;
    const int64_t kh = ws[2], kw = ws[3], taps = kh * kw, kdim = cg * taps;
    const int64_t OH = ys[2], OW = ys[3], P = OH * OW;
    const int64_t sh = d->stride_h, sw = d->stride_w, dil_h = d->dilation_h, dil_w = d->dilation_w;
    const int in_place = sh == 1 && sw == 1 && d->pad_top == 0 && d->pad_bottom == 0 &&
                         d->pad_left == 0 && d->pad_right == 0 && xst[3] == 1 && xst[2] == W;
    /* the weights of one output channel consecutive (strides of size-1 axes do not matter:
     * NumPy gives new axes stride 0) */
    const int w_dense = (kw == 1 || wst[3] == 1) && (kh == 1 || wst[2] == kw) &&
                        (cg == 1 || wst[1] == taps);
    int64_t n_ph_h = 1, n_ph_w = 1, ph_h, ph_w, cs, img_elems, round_imgs;
    int64_t *phases = NULL, *boff = NULL;
    TYPE *pbuf = NULL, *tbuf = NULL, *bias_c = NULL, *wcopy = NULL;
    cc_phase_geom pg;
    cc_status status = CC_OK;

    /* below a few microseconds of work, waking more threads costs more than it saves */
    if ((double)N * (double)c_out * (double)P * (double)kdim < CC_SERIAL_MACS) nt = 1;

    if (in_place) {
        ph_h = H; ph_w = W; cs = xst[1]; img_elems = 0;
    } else {
        /* Tap i reads phase a = (i * dil_h) % sh, periodic in i with period sh / gcd(dil_h, sh):
         * store the phases of taps 0 .. n_ph_h - 1, and tap i uses phase i % n_ph_h. */
        n_ph_h = cc_min64(kh, sh / CC_FN(gcd64)(dil_h, sh));
        n_ph_w = cc_min64(kw, sw / CC_FN(gcd64)(dil_w, sw));
        phases = (int64_t *)cc_aligned_alloc((int64_t)sizeof(int64_t) * (n_ph_h + n_ph_w));
        if (!phases) return CC_ERR_NO_MEMORY;
        for (int64_t i = 0; i < n_ph_h; ++i) phases[i] = (i * dil_h) % sh;
        for (int64_t j = 0; j < n_ph_w; ++j) phases[n_ph_h + j] = (j * dil_w) % sw;
        ph_h = OH + (kh - 1) * dil_h / sh;
        ph_w = OW + (kw - 1) * dil_w / sw;
        cs = n_ph_h * n_ph_w * ph_h * ph_w;
        img_elems = C * cs;
        pg.in_h = H; pg.in_w = W; pg.xs_h = xst[2]; pg.xs_w = xst[3];
        pg.stride_h = sh; pg.stride_w = sw; pg.pad_top = d->pad_top; pg.pad_left = d->pad_left;
        pg.ph_h = ph_h; pg.ph_w = ph_w; pg.n_ph_h = n_ph_h; pg.n_ph_w = n_ph_w;
        pg.phase_h = phases; pg.phase_w = phases + n_ph_h;
    }
    /* Two ways to feed the kernel (only speed differs; both sum each output in one chain):
     *   packed: tiles over the P outputs, B packed per tile and k block (no wasted lanes;
     *           the packing is shared by all row panels of a task);
     *   in place: tiles within one output row, B read through boff (no packing; a row's
     *           last vector may be partly wasted). Wins when there are few row panels to
     *           share a packing. Measured: the in-place kernel runs about 8% slower, and a
     *           packing costs about 0.45 panel-passes over the same columns. */
    const int64_t panels_k = cc_ceil_div(kg, mr);
    const int64_t row_vecs = cc_ceil_div(OW, vw);
    const int64_t row_tiles = CC_FN(tile_count)(row_vecs, nvmax, nvw);
    const int64_t nvec_p = cc_ceil_div(P, vw);
    const int direct_b = (double)panels_k * 1.08 * (double)(OH * row_vecs) <
                         ((double)panels_k + 0.45) * (double)nvec_p;
    const int64_t nvec = direct_b ? row_vecs : nvec_p;
    CC_FN(tiling) tl;
    CC_FN(tiling_init)(kern, P, !direct_b, &tl);
    const int64_t tiles = direct_b ? OH * row_tiles : tl.reg_tiles + tl.ntail;
    /* k blocks of about the budget's rows, evened out: the nearest whole number of blocks
     * (147 rows: one block of 147, not 128 + 19) */
    const int64_t kc_budget = cc_max64(1, CC_B_BLOCK_BYTES / ((int64_t)sizeof(TYPE) * nrw));
    const int64_t kc = cc_ceil_div(kdim, cc_max64(1, (kdim + kc_budget / 2) / kc_budget));

    /* images per round: the phase buffers of a round stay within about 1 MiB per thread */
    if (in_place) {
        round_imgs = N;
    } else {
        const int64_t budget = ((int64_t)1 << 20) * nt / (int64_t)sizeof(TYPE);
        round_imgs = budget / img_elems;
        if (round_imgs >= nt) round_imgs -= round_imgs % nt;
        round_imgs = cc_max64(1, cc_min64(N, round_imgs));
    }
    CC_FN(gemm_plan) plan;
    /* row blocks in panels of the kernel that does most columns: the wide one only when it
     * is the single tile of every row (else a wide tile's last panel in a block may be
     * partial, a small waste) */
    const int only_wide = nvw > nvmax && (direct_b ? nvec : tl.reg_vecs) == nvw &&
                          (direct_b || tl.ntail == 0);
    const int unit_mr = !direct_b && tl.reg_tiles == 0 ? kern->CC_FN(gemm_sp).mr_tail
                                                       : only_wide ? mrw : mr;
    /* Loop order of a task. Tile-outer (for each column tile, its k blocks): the output tile
     * stays in L1/L2 across the k blocks; the weights of a row block are kept in L2 for all
     * the tiles. k-outer (for each k block, every tile): when all of a group's output and
     * one k block of its B fit in L2 together, the weights stream through once, each B block
     * is packed once, and the output accumulates in L2 (small planes with many channels). */
    const int k_outer = !direct_b && (double)sizeof(TYPE) * ((double)kg * (double)P +
                                                           (double)kc * (double)(nvec * vw)) <=
                                         (double)CC_K_OUTER_BYTES;
    CC_FN(gemm_blocks)(round_imgs * G, kg, kdim, P, tiles, unit_mr, nt, k_outer, &plan);
    const int64_t n_ib = plan.n_ib, n_jc = plan.n_jc;
    /* the packed B of a whole column block, when small enough to keep (see the task loop) */
    const int64_t max_block_tiles = cc_ceil_div(tiles, n_jc);
    const int cache_b = !direct_b && !k_outer && n_ib > 1 && tl.ntail == 0 &&
                        (double)kdim * (double)(max_block_tiles * nrw) * (double)sizeof(TYPE) <=
                            (double)CC_B_CACHE_BYTES;
    /* + vw: the packing's whole-vector stores may run past the last row; then kc values
     * for the last column of a tail tile */
    const int64_t bpack_elems = (cache_b ? kdim * max_block_tiles * nrw : kc * nrw) + vw + kc;

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

/* cc_conv2d; wcache: a float32 caller's cache of Winograd-transformed filters, or NULL. */
static cc_status CC_FN(conv2d_impl)(const cc_conv2d_desc *desc, const TYPE *x,
                                    const int64_t x_shape[4], const int64_t x_strides[4],
                                    const TYPE *w, const int64_t w_shape[4],
                                    const int64_t w_strides[4], const TYPE *bias,
                                    int64_t bias_stride, TYPE *y, int n_threads,
                                    cc_wino_cache *wcache)
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

cc_status CC_FN(cc_conv2d)(const cc_conv2d_desc *desc, const TYPE *x, const int64_t x_shape[4],
                           const int64_t x_strides[4], const TYPE *w, const int64_t w_shape[4],
                           const int64_t w_strides[4], const TYPE *bias, int64_t bias_stride,
                           TYPE *y, int n_threads)
{
    return CC_FN(conv2d_impl)(desc, x, x_shape, x_strides, w, w_shape, w_strides, bias,
                              bias_stride, y, n_threads, NULL);
}
