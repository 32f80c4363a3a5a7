/* conv_tiling.template.c - the forward convolution's tiling policy for one TYPE: how the
 * GEMM of conv_gemm (conv_gemm.template.c) is cut into column tiles, k blocks, row blocks
 * and tasks, and which way B is fed (conv_gemm_plan). Included by conv2d.template.c.
 * Every choice here changes speed only: the micro-kernels resume each output's fused
 * chain from C, so any blocking sums every output in the same order. The measurements
 * behind the constants are in docs/design.md. */

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
 * row panel of the block runs over it: AVX-512's 64-column tiles get 128 k rows from it,
 * AVX2's 341 (docs/design.md, "k blocks", has the measurements). Only speed depends on kc. */
#ifndef CC_B_BLOCK_BYTES
#define CC_B_BLOCK_BYTES ((int64_t)32 * 1024)
#endif

/* The sizes of one call that conv_gemm and its plan work with: the target's tiles, then
 * the problem's (names as in conv_gemm's comment). */
typedef struct CC_FN(conv_dims) {
    int mr, vw, nvmax, nvw, mrw; /* main tile rows, vector width, vectors; wide tile */
    int64_t nrw;                 /* columns of the widest tile */
    int64_t N, C, H, W, G, cg, c_out, kg, kh, kw, taps, kdim, OH, OW, P;
    int64_t sh, sw, dil_h, dil_w;
} CC_FN(conv_dims);

static void CC_FN(conv_dims_of)(const cc_kernels *kern, const cc_conv2d_desc *d,
                                const int64_t xs[4], const int64_t ws[4], const int64_t ys[4],
                                CC_FN(conv_dims) *m)
{
    m->mr = kern->CC_FN(gemm_sp).mr;
    m->vw = kern->CC_FN(gemm_sp).vw;
    m->nvmax = kern->CC_FN(gemm_sp).nv;
    m->nvw = kern->CC_FN(gemm_sp).nv_wide;
    m->mrw = kern->CC_FN(gemm_sp).mr_wide;
    m->nrw = (int64_t)m->vw * m->nvw;
    m->N = xs[0]; m->C = xs[1]; m->H = xs[2]; m->W = xs[3];
    m->G = d->groups; m->cg = ws[1]; m->c_out = ws[0]; m->kg = m->c_out / m->G;
    m->kh = ws[2]; m->kw = ws[3]; m->taps = m->kh * m->kw; m->kdim = m->cg * m->taps;
    m->OH = ys[2]; m->OW = ys[3]; m->P = m->OH * m->OW;
    m->sh = d->stride_h; m->sw = d->stride_w; m->dil_h = d->dilation_h; m->dil_w = d->dilation_w;
}

/* How conv_gemm runs one call: the layout it reads B from, its column tiles, k blocks,
 * rounds of images and task split. Only speed depends on it: every output is one fused
 * chain over the whole reduction whatever the plan. */
typedef struct CC_FN(conv_plan) {
    CC_FN(conv_dims) dims;             /* the call's sizes */
    int nt;                            /* threads: 1 for calls below CC_SERIAL_MACS */
    int in_place;                      /* B read from x itself (stride 1, no padding, dense rows) */
    int w_dense;                       /* the weights read in place (else copied once) */
    int64_t n_ph_h, n_ph_w;            /* stride phases stored per axis (see cc_phase_geom) */
    int64_t ph_h, ph_w, cs, img_elems; /* one phase plane; one channel's phases; one image's */
    int direct_b;                      /* tiles within output rows, B read through boff */
    int64_t row_tiles, nvec, tiles;    /* tiles per output row (direct_b); vectors; tiles */
    CC_FN(tiling) tl;                  /* the packed paths' tiles */
    int64_t kc;                        /* rows of one k block */
    int64_t round_imgs;                /* images per round of phase buffers */
    int k_outer, cache_b;              /* a task's loop order; B of a column block kept */
    CC_FN(gemm_plan) split;            /* row and column blocks */
    int64_t bpack_elems;               /* one thread's packing buffer */
} CC_FN(conv_plan);

static void CC_FN(conv_gemm_plan)(const cc_kernels *kern, const cc_conv2d_desc *d,
                                  const int64_t xs[4], const int64_t xst[4],
                                  const int64_t ws[4], const int64_t wst[4],
                                  const int64_t ys[4], int nt, CC_FN(conv_plan) *p)
{
    const CC_FN(conv_dims) *m = &p->dims;
    CC_FN(conv_dims_of)(kern, d, xs, ws, ys, &p->dims);
    const int in_place = m->sh == 1 && m->sw == 1 && d->pad_top == 0 && d->pad_bottom == 0 &&
                         d->pad_left == 0 && d->pad_right == 0 && xst[3] == 1 && xst[2] == m->W;
    int64_t n_ph_h = 1, n_ph_w = 1, ph_h, ph_w, cs, img_elems, round_imgs;

    /* below a few microseconds of work, waking more threads costs more than it saves */
    if ((double)m->N * (double)m->c_out * (double)m->P * (double)m->kdim < CC_SERIAL_MACS)
        nt = 1;

    if (in_place) {
        ph_h = m->H; ph_w = m->W; cs = xst[1]; img_elems = 0;
    } else {
        /* Tap i reads phase a = (i * dil_h) % sh, periodic in i with period sh / gcd(dil_h, sh):
         * store the phases of taps 0 .. n_ph_h - 1, and tap i uses phase i % n_ph_h. */
        n_ph_h = cc_min64(m->kh, m->sh / CC_FN(gcd64)(m->dil_h, m->sh));
        n_ph_w = cc_min64(m->kw, m->sw / CC_FN(gcd64)(m->dil_w, m->sw));
        ph_h = m->OH + (m->kh - 1) * m->dil_h / m->sh;
        ph_w = m->OW + (m->kw - 1) * m->dil_w / m->sw;
        cs = n_ph_h * n_ph_w * ph_h * ph_w;
        img_elems = m->C * cs;
    }
    /* Two ways to feed the kernel (only speed differs; both sum each output in one chain):
     *   packed: tiles over the P outputs, B packed per tile and k block (no wasted lanes;
     *           the packing is shared by all row panels of a task);
     *   in place: tiles within one output row, B read through boff (no packing; a row's
     *           last vector may be partly wasted). Wins when there are few row panels to
     *           share a packing. Measured: the in-place kernel runs about 8% slower, and a
     *           packing costs about 0.45 panel-passes over the same columns. */
    const int64_t panels_k = cc_ceil_div(m->kg, m->mr);
    const int64_t row_vecs = cc_ceil_div(m->OW, m->vw);
    const int64_t row_tiles = CC_FN(tile_count)(row_vecs, m->nvmax, m->nvw);
    const int64_t nvec_p = cc_ceil_div(m->P, m->vw);
    const int direct_b = (double)panels_k * 1.08 * (double)(m->OH * row_vecs) <
                         ((double)panels_k + 0.45) * (double)nvec_p;
    const int64_t nvec = direct_b ? row_vecs : nvec_p;
    CC_FN(tiling) tl;
    CC_FN(tiling_init)(kern, m->P, !direct_b, &tl);
    const int64_t tiles = direct_b ? m->OH * row_tiles : tl.reg_tiles + tl.ntail;
    /* k blocks of about the budget's rows, evened out: the nearest whole number of blocks
     * (147 rows: one block of 147, not 128 + 19) */
    const int64_t kc_budget = cc_max64(1, CC_B_BLOCK_BYTES / ((int64_t)sizeof(TYPE) * m->nrw));
    const int64_t kc = cc_ceil_div(m->kdim, cc_max64(1, (m->kdim + kc_budget / 2) / kc_budget));

    /* images per round: the phase buffers of a round stay within about 1 MiB per thread */
    if (in_place) {
        round_imgs = m->N;
    } else {
        const int64_t budget = ((int64_t)1 << 20) * nt / (int64_t)sizeof(TYPE);
        round_imgs = budget / img_elems;
        if (round_imgs >= nt) round_imgs -= round_imgs % nt;
        round_imgs = cc_max64(1, cc_min64(m->N, round_imgs));
    }
    /* row blocks in panels of the kernel that does most columns: the wide one only when it
     * is the single tile of every row (else a wide tile's last panel in a block may be
     * partial, a small waste) */
    const int only_wide = m->nvw > m->nvmax && (direct_b ? nvec : tl.reg_vecs) == m->nvw &&
                          (direct_b || tl.ntail == 0);
    const int unit_mr = !direct_b && tl.reg_tiles == 0 ? kern->CC_FN(gemm_sp).mr_tail
                                                       : only_wide ? m->mrw : m->mr;
    /* Loop order of a task. Tile-outer (for each column tile, its k blocks): the output tile
     * stays in L1/L2 across the k blocks; the weights of a row block are kept in L2 for all
     * the tiles. k-outer (for each k block, every tile): when all of a group's output and
     * one k block of its B fit in L2 together, the weights stream through once, each B block
     * is packed once, and the output accumulates in L2 (small planes with many channels). */
    const int k_outer = !direct_b && (double)sizeof(TYPE) * ((double)m->kg * (double)m->P +
                                                             (double)kc * (double)(nvec * m->vw)) <=
                                         (double)CC_K_OUTER_BYTES;
    CC_FN(gemm_blocks)(round_imgs * m->G, m->kg, m->kdim, m->P, tiles, unit_mr, nt, k_outer,
                       &p->split);
    const int64_t n_ib = p->split.n_ib, n_jc = p->split.n_jc;
    /* the packed B of a whole column block, when small enough to keep (see the task loop) */
    const int64_t max_block_tiles = cc_ceil_div(tiles, n_jc);
    const int cache_b = !direct_b && !k_outer && n_ib > 1 && tl.ntail == 0 &&
                        (double)m->kdim * (double)(max_block_tiles * m->nrw) *
                                (double)sizeof(TYPE) <= (double)CC_B_CACHE_BYTES;
    /* + vw: the packing's whole-vector stores may run past the last row; then kc values
     * for the last column of a tail tile */
    const int64_t bpack_elems =
        (cache_b ? m->kdim * max_block_tiles * m->nrw : kc * m->nrw) + m->vw + kc;

    p->nt = nt;
    p->in_place = in_place;
    /* the weights of one output channel consecutive (strides of size-1 axes do not matter:
     * NumPy gives new axes stride 0) */
    p->w_dense = (m->kw == 1 || wst[3] == 1) && (m->kh == 1 || wst[2] == m->kw) &&
                 (m->cg == 1 || wst[1] == m->taps);
    p->n_ph_h = n_ph_h; p->n_ph_w = n_ph_w;
    p->ph_h = ph_h; p->ph_w = ph_w; p->cs = cs; p->img_elems = img_elems;
    p->direct_b = direct_b;
    p->row_tiles = row_tiles; p->nvec = nvec; p->tiles = tiles;
    p->tl = tl;
    p->kc = kc;
    p->round_imgs = round_imgs;
    p->k_outer = k_outer; p->cache_b = cache_b;
    p->bpack_elems = bpack_elems;
}
