/* winograd.c - float32 3x3 stride-1 convolution by Winograd F(4x4, 3x3), and F(2x2, 3x3)
 * for layers with too many channels for F(4x4) (see the F(2x2) section below).
 *
 * Per image, with TH x TW output tiles of 4x4 pixels (the last row and column of tiles
 * may reach past the output; those pixels are computed and dropped):
 *   1. the input, zero-padded, is copied channel-last: xcl[(r * Wp + col) * C + c];
 *   2. per block of tiles: the input transform of every tile (kernel wino_in, lanes over
 *      channels) gives V[xi][tile][c] for the 36 positions xi; then 36 GEMMs
 *      M[xi] (tiles x K) = V[xi] (tiles x C) * U[xi] (C x K) with the forward path's
 *      strided-A micro-kernels (V is read in place; U, the transformed filters
 *      U = G g G^T computed in double once per call, is packed as their B operand); then
 *      the output transform (kernel wino_out) of every tile, plus bias, into a
 *      channel-last output ycl[(oh * OWp + ow) * ldk + k];
 *   3. ycl is copied back to the NCHW output, cropped to OH x OW.
 * The multiplications per output pixel drop from 9 C to 36 C / 16 = 2.25 C (4x fewer);
 * the transforms cost O(C + K) per tile. Each output element is computed by one fixed
 * sequence of operations (the GEMM's reduction over C is never split), so results do not
 * depend on the thread count. Accuracy: relative L2 error about 2e-6 against float64 on
 * random data (tests/test_winograd.py), against about 5e-8 for the direct sum.
 * Threads: whole images per thread when there are at least as many images as threads,
 * else one image at a time with each step split (rows, tile blocks x output-channel
 * ranges, channels). */
#include <string.h>

#include "dispatch.h"
#include "winograd.h"
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#endif

#define CC_WINO_BLOCK_BYTES ((int64_t)768 * 1024) /* V + M of one tile block */

typedef struct wino_plan {
    const cc_kernels *kern;
    int64_t C, H, W, K, OH, OW, TH, TW, T, Hp, Wp, OHp, OWp, pt, pl;
    int64_t xs_c, xs_h, xs_w;
    int64_t ldk, tb, n_tb;
    int64_t n_ct, *ct_k0, *ct_v, *ct_boff; /* column tiles of the GEMM over K */
    float *bp;                             /* packed U: bp_xi elements per position */
    int64_t bp_xi;
    float *bias;                           /* contiguous copy, ldk long, or NULL */
} wino_plan;

/* On by default; a process-wide switch (convcore.set_winograd). */
static volatile int wino_enabled = 1;
void cc_set_winograd(int enabled) { wino_enabled = enabled != 0; }
int cc_get_winograd(void) { return wino_enabled; }

/* The conditions on the weights alone: Winograd on, the target has the transforms, 3x3
 * filters, enough channels (ws[1] in per group) for the GEMMs to pay for the transforms,
 * and transformed filters (4x the filters) that stay in cache while every tile block
 * reads them. */
#ifndef CC_WINO4_FILTER_BYTES
#define CC_WINO4_FILTER_BYTES (1.5 * 1024.0 * 1024.0)
#endif
static int wino_weights_qualify(const cc_kernels *kern, const int64_t ws[4])
{
    return wino_enabled && kern->winograd_f32.in && kern->winograd_f32.out && ws[2] == 3 &&
           ws[3] == 3 && ws[0] >= 16 && ws[1] >= 16 &&
           (double)ws[1] * (double)ws[0] * 36.0 * 4.0 <= CC_WINO4_FILTER_BYTES;
}

/* F(2x2, 3x3) instead, where F(4x4)'s filters would not stay in cache: 3x3 filters with
 * at least CC_WINO2_MIN_C channels in and CC_WINO2_MIN_K out. */
#ifndef CC_WINO2_MIN_C
#define CC_WINO2_MIN_C 32
#endif
#ifndef CC_WINO2_MIN_K
#define CC_WINO2_MIN_K 32
#endif
#ifndef CC_WINO2_MIN_TILES
#define CC_WINO2_MIN_TILES 40
#endif
static int wino2_weights_qualify(const cc_kernels *kern, const int64_t ws[4])
{
    return wino_enabled && kern->winograd_f32.in2 && kern->winograd_f32.out2 &&
           kern->winograd_f32.filter2 && ws[2] == 3 && ws[3] == 3 && ws[0] >= CC_WINO2_MIN_K &&
           ws[1] >= CC_WINO2_MIN_C && !wino_weights_qualify(kern, ws);
}

/* F(4x4) also for filters too large for the rule above (up to CC_WINO4_WIDE_BYTES
 * transformed) when there are at least CC_WINO4_WIDE_MIN_C input channels and the output
 * has at least CC_WINO4_WIDE_MIN_TILES tiles of 4x4 per image (28x28 and larger): the
 * filters then stream from the last-level cache once per block of tiles, and it measured
 * faster than F(2x2) there, but not with 64 input channels or on 14x14 planes (the figures
 * are in docs/design.md). */
#ifndef CC_WINO4_WIDE_BYTES
#define CC_WINO4_WIDE_BYTES (4.0 * 1024.0 * 1024.0)
#endif
#define CC_WINO4_WIDE_MIN_C 96
#define CC_WINO4_WIDE_MIN_TILES 40
static int wino_wide_qualify(const cc_kernels *kern, const int64_t ws[4], const int64_t ys[4])
{
    return wino_enabled && kern->winograd_f32.in && kern->winograd_f32.out && ws[2] == 3 &&
           ws[3] == 3 && ws[0] >= 16 && ws[1] >= CC_WINO4_WIDE_MIN_C &&
           (double)ws[1] * (double)ws[0] * 36.0 * 4.0 <= CC_WINO4_WIDE_BYTES &&
           cc_ceil_div(ys[2], 4) * cc_ceil_div(ys[3], 4) >= CC_WINO4_WIDE_MIN_TILES;
}

int cc_winograd_tile(const cc_conv2d_desc *d, const int64_t xs[4], const int64_t ws[4],
                     const int64_t ys[4])
{
    const cc_kernels *kern = cc_active_kernels();
    (void)xs;
    if (d->groups != 1 || d->stride_h != 1 || d->stride_w != 1 || d->dilation_h != 1 ||
        d->dilation_w != 1)
        return 0;
    const int64_t t = wino_weights_qualify(kern, ws) || wino_wide_qualify(kern, ws, ys) ? 4
                      : wino2_weights_qualify(kern, ws)                                 ? 2
                                                                                        : 0;
    if (t == 0) return 0;
    const int64_t th = cc_ceil_div(ys[2], t), tw = cc_ceil_div(ys[3], t);
    /* F(2x2): each transformed filter value must serve enough tiles of an image to pay
     * for its transform (a 7x7 plane has 16: the direct GEMM is faster). Per image, not per
     * batch, so that the algorithm, and every bit of a result, is the same whatever the
     * batch: row i of a batch equals a batch-1 call on row i. */
    if (t == 2 && th * tw < CC_WINO2_MIN_TILES) return 0;
    /* tiles mostly inside the output */
    return (double)(ys[2] * ys[3]) >= 0.7 * (double)(t * t) * (double)(th * tw) ? (int)t : 0;
}

int cc_winograd_applies(const cc_conv2d_desc *d, const int64_t xs[4], const int64_t ws[4],
                        const int64_t ys[4])
{
    return cc_winograd_tile(d, xs, ws, ys) != 0;
}

/* Rows [r0, r1) of the channel-last padded input of one image, row r at
 * xcl + (r - r0) * Wp * C. */
static void wino_fill(const wino_plan *p, const float *x, int64_t r0, int64_t r1, float *xcl)
{
    const int64_t C = p->C;
    for (int64_t r = r0; r < r1; ++r) {
        float *row = xcl + (r - r0) * p->Wp * C;
        const int64_t ir = r - p->pt;
        if (ir < 0 || ir >= p->H) {
            for (int64_t e = 0; e < p->Wp * C; ++e) row[e] = 0.0f;
            continue;
        }
        const float *xr = x + ir * p->xs_h;
        if (p->xs_w == 1 && p->kern->winograd_f32.tr) { /* a transposing copy, SIMD blocks */
            for (int64_t e = 0; e < p->pl * C; ++e) row[e] = 0.0f;
            for (int64_t e = (p->pl + p->W) * C; e < p->Wp * C; ++e) row[e] = 0.0f;
            p->kern->winograd_f32.tr(xr, p->xs_c, C, p->W, row + p->pl * C, C);
            continue;
        }
        for (int64_t col = 0; col < p->Wp; ++col) {
            float *out = row + col * C;
            const int64_t ic = col - p->pl;
            if (ic < 0 || ic >= p->W) {
                for (int64_t c = 0; c < C; ++c) out[c] = 0.0f;
            } else {
                const float *src = xr + ic * p->xs_w;
                for (int64_t c = 0; c < C; ++c) out[c] = src[c * p->xs_c];
            }
        }
    }
}

/* Tiles [t0, t1) (one block), output-channel column tiles [ct0, ct1): transforms, GEMMs,
 * inverse transforms into ycl. v, m: this thread's block buffers. */
static void wino_tiles(const wino_plan *p, const float *xcl, int64_t t0, int64_t t1,
                       int64_t ct0, int64_t ct1, float *v, float *m, float *ycl)
{
    const cc_kernels *kern = p->kern;
    const int64_t C = p->C, tb = p->tb, ldk = p->ldk, nb = t1 - t0;
    const int vw = kern->gemm_sp_f32.vw, nv = kern->gemm_sp_f32.nv;
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t th = t / p->TW, tw = t % p->TW;
        kern->winograd_f32.in(xcl + (4 * th * p->Wp + 4 * tw) * C, p->Wp * C, C, C,
                          v + (t - t0) * C, tb * C);
    }
    for (int64_t xi = 0; xi < 36; ++xi) {
        const float *a = v + xi * tb * C;
        float *mx = m + xi * tb * ldk;
        for (int64_t ct = ct0; ct < ct1; ++ct) {
            const int64_t nvec = p->ct_v[ct], k0 = p->ct_k0[ct];
            const int mr = nvec > nv ? kern->gemm_sp_f32.mr_wide : kern->gemm_sp_f32.mr;
            const int64_t ncols = cc_min64(nvec * vw, p->K - k0);
            const float *b = p->bp + xi * p->bp_xi + p->ct_boff[ct];
            const cc_gemm_sp_f32 fn = kern->gemm_sp_f32.fn[nvec - 1];
            for (int64_t i = 0; i < nb; i += mr)
                fn(C, a + i * C, C, b, mx + i * ldk + k0, ldk, cc_min64(mr, nb - i), ncols, NULL,
                   0);
        }
    }
    const int64_t k0 = p->ct_k0[ct0];
    const int64_t k1 = ct1 < p->n_ct ? p->ct_k0[ct1] : p->K;
    for (int64_t t = t0; t < t1; ++t) {
        const int64_t th = t / p->TW, tw = t % p->TW;
        kern->winograd_f32.out(m + (t - t0) * ldk + k0, tb * ldk, k1 - k0,
                           p->bias ? p->bias + k0 : NULL,
                           ycl + (4 * th * p->OWp + 4 * tw) * ldk + k0, p->OWp * ldk, ldk);
    }
}

/* Output rows [oh0, oh1) of one image from ycl to NCHW y (cropped), CC_WINO_STORE_K
 * planes at a time: each pixel's channel run is one short read, and only that many planes
 * are being written at once (sequential streams for the store buffers and prefetchers). */
#define CC_WINO_STORE_K 8
static void wino_store(const wino_plan *p, const float *ycl, int64_t oh0, int64_t oh1, float *y)
{
    const int64_t ldk = p->ldk, OW = p->OW, K = p->K, plane = p->OH * OW;
    if (p->kern->winograd_f32.tr) { /* a transposing copy, SIMD blocks */
        for (int64_t oh = oh0; oh < oh1; ++oh)
            p->kern->winograd_f32.tr(ycl + oh * p->OWp * ldk, ldk, OW, K, y + oh * OW, plane);
        return;
    }
    for (int64_t k0 = 0; k0 < K; k0 += CC_WINO_STORE_K) {
        const int64_t kn = cc_min64(CC_WINO_STORE_K, K - k0);
        for (int64_t oh = oh0; oh < oh1; ++oh) {
            const float *src = ycl + oh * p->OWp * ldk + k0;
            float *dst = y + k0 * plane + oh * OW;
            for (int64_t ow = 0; ow < OW; ++ow)
                for (int64_t k = 0; k < kn; ++k) dst[k * plane + ow] = src[ow * ldk + k];
        }
    }
}

/* U = G g G^T per (k, c), packed per position xi and column tile: rows c, v * vw columns
 * (k - k0), zero past K. Computed a column tile's worth of filters at a time with k
 * innermost (contiguous, vectorisable), the same operations for every k. */
#define CC_WINO_MAX_WIDTH (CC_GEMM_NV_MAX * 16)
static void wino_pack_weights(wino_plan *p, const float *w, const int64_t wst[4], int nt)
{
    static const float G[6][3] = {{0.25f, 0.0f, 0.0f},
                                  {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                  {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                  {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                  {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                  {0.0f, 0.0f, 1.0f}};
    const int vw = p->kern->gemm_sp_f32.vw;
    int64_t job;
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (job = 0; job < p->n_ct * p->C; ++job) {
        float g[9][CC_WINO_MAX_WIDTH], gg[6][3][CC_WINO_MAX_WIDTH];
        const int64_t ct = job / p->C, c = job % p->C;
        const int64_t k0 = p->ct_k0[ct], width = p->ct_v[ct] * vw;
        const int64_t kn = cc_min64(p->K - k0, width);
        {
            for (int t = 0; t < 9; ++t) {
                const float *src = w + k0 * wst[0] + c * wst[1] + (t / 3) * wst[2] + (t % 3) * wst[3];
                for (int64_t kk = 0; kk < width; ++kk) g[t][kk] = kk < kn ? src[kk * wst[0]] : 0.0f;
            }
            for (int r = 0; r < 6; ++r)
                for (int j = 0; j < 3; ++j)
                    for (int64_t kk = 0; kk < width; ++kk)
                        gg[r][j][kk] = G[r][0] * g[j][kk] + G[r][1] * g[3 + j][kk] +
                                       G[r][2] * g[6 + j][kk];
            for (int r = 0; r < 6; ++r)
                for (int s = 0; s < 6; ++s) {
                    float *out = p->bp + (r * 6 + s) * p->bp_xi + p->ct_boff[ct] + c * width;
                    for (int64_t kk = 0; kk < width; ++kk)
                        out[kk] = gg[r][0][kk] * G[s][0] + gg[r][1][kk] * G[s][1] +
                                  gg[r][2][kk] * G[s][2];
                }
        }
    }
}

/* Output channels per column tile of the GEMMs: one tile of up to nv_wide vectors when K
 * fits it, else tiles of nv vectors. */
static int64_t wino_per_tile(const cc_kernels *kern, int64_t K)
{
    const int64_t kvec = cc_ceil_div(K, kern->gemm_sp_f32.vw);
    return kvec <= kern->gemm_sp_f32.nv_wide ? kvec : kern->gemm_sp_f32.nv;
}

int64_t cc_winograd_filter_elems(const int64_t ws[4])
{
    const cc_kernels *kern = cc_active_kernels();
    const int vw = kern->gemm_sp_f32.vw;
    if (!wino_weights_qualify(kern, ws)) return 0;
    const int64_t per_tile = wino_per_tile(kern, ws[0]);
    const int64_t n_ct = cc_ceil_div(cc_ceil_div(ws[0], vw), per_tile);
    return 36 * ws[1] * n_ct * per_tile * vw;
}

static int wino_try_take(int64_t *flag)
{
#if defined(_MSC_VER) && !defined(__clang__)
    return _InterlockedCompareExchange64((volatile __int64 *)flag, 1, 0) == 0;
#else
    int64_t idle = 0;
    return __atomic_compare_exchange_n(flag, &idle, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
#endif
}

static void wino_give_back(int64_t *flag)
{
#if defined(_MSC_VER) && !defined(__clang__)
    _InterlockedExchange64((volatile __int64 *)flag, 0);
#else
    __atomic_store_n(flag, 0, __ATOMIC_RELEASE);
#endif
}

/* The weights w (strides wst) against the dense copy c, element by element in (k, c, i, j)
 * order: with copy 0, 1 when they are bit for bit the same; with copy 1, c becomes w. */
static int wino_weights_vs_copy(const float *w, const int64_t ws[4], const int64_t wst[4],
                                float *c, int copy)
{
    const int64_t K = ws[0], C = ws[1];
    if (wst[3] == 1 && wst[2] == 3 && (C == 1 || wst[1] == 9) && (K == 1 || wst[0] == C * 9)) {
        if (copy) memcpy(c, w, (size_t)(K * C * 9) * sizeof(float));
        return copy || memcmp(w, c, (size_t)(K * C * 9) * sizeof(float)) == 0;
    }
    for (int64_t k = 0, e = 0; k < K; ++k)
        for (int64_t ch = 0; ch < C; ++ch)
            for (int64_t i = 0; i < 3; ++i)
                for (int64_t j = 0; j < 3; ++j, ++e) {
                    const float *src = w + k * wst[0] + ch * wst[1] + i * wst[2] + j * wst[3];
                    if (copy)
                        c[e] = *src;
                    else if (memcmp(src, c + e, sizeof(float)))
                        return 0;
                }
    return 1;
}

/* ------------------------------------------------------------------ F(2x2, 3x3)
 * For layers whose F(4x4) filters would not stay in cache (many channels in and out:
 * ResNet's 256- and 512-channel layers), F(2x2, 3x3) with the filter transform fused into
 * the GEMMs, per block of output channels:
 *   1. V[n][xi][tile][c] (16 positions) for a round of images, each tile row from a
 *      channel-last copy of its 4 padded input rows (parallel over tile rows);
 *   2. tasks (output-channel block, range of tile rows), each over the input channels in
 *      chunks: the chunk's filters of the block transformed (U = G g G^T, output channels
 *      in the lanes: the weights transposed 16 input channels at a time, then
 *      wino2_filter) into a buffer that stays in L2, then the chunk's 16 GEMMs M[xi]
 *      (tiles x block) += V[xi] (tiles x chunk) * U[xi] (chunk x block) for every image of
 *      the round, on the forward path's strided-A micro-kernels; after the last chunk, the
 *      output transform (plus bias) into a channel-last copy of two output rows at a
 *      time, and a transposing copy into y.
 * The filters are read once per call (once per image round and tile-row range) and their
 * transform is never written out whole (16/9 of the weights, which a per-position GEMM
 * would stream from memory). 16 multiplications per 4 outputs and input channel instead of
 * 36 (2.25x fewer). Every output element is one fixed sequence of operations: the
 * micro-kernels resume each chain from M, so the chunks do not reorder the sum over C,
 * and no choice here changes it with the threads. Accuracy: tests/test_winograd.py (points
 * 0, +-1: about 5e-7 relative, like the direct sum). */
#define CC_WINO2_V_BYTES ((int64_t)8 * 1024 * 1024) /* V of a round of images */
#ifndef CC_WINO2_M_BYTES
#define CC_WINO2_M_BYTES ((int64_t)1024 * 1024) /* M of one task */
#endif
#ifndef CC_WINO2_U_BYTES
#define CC_WINO2_U_BYTES ((int64_t)256 * 1024) /* U of one chunk of input channels */
#endif
#define CC_WINO2_CB 16 /* input channels per step of the filter transform */
#ifndef CC_WINO2_NVB
#define CC_WINO2_NVB 0 /* vectors per output-channel block; 0: the main GEMM tile's */
#endif

/* U of the output channels [k0, k0 + kn) (width lanes, a whole number of vectors) and
 * input channels [c0, c1): u[xi * (c1 - c0) * width + (c - c0) * width + k]. gt:
 * 9 * CC_WINO2_CB * width floats of scratch. */
static void wino2_filters(const cc_kernels *kern, const float *w, const int64_t wst[4],
                          int64_t c0, int64_t c1, int64_t k0, int64_t kn, int64_t width,
                          float *gt, float *u)
{
    if (kn < width) /* lanes past the last channel: zero (their columns are never stored) */
        memset(gt, 0, sizeof(float) * (size_t)(9 * CC_WINO2_CB * width));
    for (int64_t cb = c0; cb < c1; cb += CC_WINO2_CB) {
        const int64_t cn = cc_min64(CC_WINO2_CB, c1 - cb);
        /* the step's taps consecutive in each filter: one transposing copy */
        if (wst[3] == 1 && wst[2] == 3 && (cn == 1 || wst[1] == 9)) {
            kern->winograd_f32.tr(w + k0 * wst[0] + cb * wst[1], wst[0], kn, cn * 9, gt, width);
        } else {
            for (int64_t k = 0; k < kn; ++k)
                for (int64_t c = 0; c < cn; ++c)
                    for (int t = 0; t < 9; ++t)
                        gt[(c * 9 + t) * width + k] = w[(k0 + k) * wst[0] + (cb + c) * wst[1] +
                                                        (t / 3) * wst[2] + (t % 3) * wst[3]];
        }
        kern->winograd_f32.filter2(gt, width, cn, width, u + (cb - c0) * width,
                               (c1 - c0) * width);
    }
}

static cc_status wino2_conv(const cc_conv2d_desc *d, const float *x, const int64_t xs[4],
                            const int64_t xst[4], const float *w, const int64_t ws[4],
                            const int64_t wst[4], const float *bias, int64_t bias_stride,
                            float *y, const int64_t ys[4], int nt)
{
    wino_plan p; /* the fields wino_fill reads */
    const cc_kernels *kern = cc_active_kernels();
    const int vw = kern->gemm_sp_f32.vw;
    const int64_t N = xs[0], C = xs[1], K = ws[0], OH = ys[2], OW = ys[3], plane = OH * OW;
    const int64_t TH = cc_ceil_div(OH, 2), TW = cc_ceil_div(OW, 2), T = TH * TW;
    const int64_t OWp = 2 * TW, fsz = (int64_t)sizeof(float);
    /* V of one image beyond any workspace (computed in double: it may exceed int64) */
    if (16.0 * (double)T * (double)C * (double)fsz > (double)CC_MAX_WORKSPACE_BYTES)
        return CC_ERR_NO_MEMORY;
    memset(&p, 0, sizeof(p));
    p.kern = kern;
    p.C = C; p.H = xs[2]; p.W = xs[3]; p.Wp = 2 * TW + 2;
    p.pt = d->pad_top; p.pl = d->pad_left;
    p.xs_c = xst[1]; p.xs_h = xst[2]; p.xs_w = xst[3];
    /* output-channel blocks: the vectors spread evenly over blocks of at most nvb, as many
     * blocks as make a whole number per thread where there are enough vectors */
    const int64_t nvb = CC_WINO2_NVB > 0 ? CC_WINO2_NVB : kern->gemm_sp_f32.nv;
    const int64_t kvec = cc_ceil_div(K, vw), wmax = nvb * vw;
    int64_t n_kb = cc_ceil_div(kvec, nvb);
    if (n_kb % nt && cc_round_up(n_kb, nt) <= kvec) n_kb = cc_round_up(n_kb, nt);
    /* images per round: their V within CC_WINO2_V_BYTES and a task's M (all the round's
     * images) within CC_WINO2_M_BYTES */
    const int64_t round = cc_max64(1, cc_min64(N, cc_min64(CC_WINO2_V_BYTES / (16 * T * C * fsz),
                                                           CC_WINO2_M_BYTES /
                                                               (16 * T * wmax * fsz))));
    /* tasks: output-channel blocks x ranges of tile rows; the ranges keep the M of one
     * image's share within CC_WINO2_M_BYTES and give every thread work (each range
     * transforms the filters of its block again) */
    int64_t n_rc = cc_min64(TH, cc_ceil_div(16 * T * wmax * fsz, CC_WINO2_M_BYTES));
    while (n_rc < TH && (n_kb * n_rc) % nt != 0 && n_kb * n_rc < 4 * (int64_t)nt) ++n_rc;
    const int64_t tasks = n_kb * n_rc, mt = cc_ceil_div(TH, n_rc) * TW;
    /* input-channel chunks: U of a chunk within CC_WINO2_U_BYTES, CC_WINO2_CB apart */
    const int64_t n_cb = cc_ceil_div(C, CC_WINO2_CB);
    const int64_t n_cc = cc_min64(n_cb, cc_ceil_div(16 * C * wmax * fsz, CC_WINO2_U_BYTES));
    const int64_t cch = cc_ceil_div(n_cb, n_cc) * CC_WINO2_CB;
    const int64_t v_elems = round * 16 * T * C, xr_elems = 4 * p.Wp * C;
    const int64_t gt_elems = 9 * CC_WINO2_CB * wmax, u_elems = 16 * cch * wmax;
    const int64_t m_elems = round * 16 * mt * wmax, y_elems = 2 * OWp * wmax;
    const int64_t th_elems = cc_max64(xr_elems, gt_elems + u_elems + m_elems + y_elems);
    float *v = (float *)cc_aligned_alloc(fsz * (v_elems + nt * th_elems));
    float *bias_c = bias ? (float *)cc_aligned_alloc(fsz * kvec * vw) : NULL;
    if (!v || (bias && !bias_c)) {
        cc_aligned_free(v);
        cc_aligned_free(bias_c);
        return CC_ERR_NO_MEMORY;
    }
    if (bias_c)
        for (int64_t k = 0; k < kvec * vw; ++k) bias_c[k] = k < K ? bias[k * bias_stride] : 0.0f;
    float *const tbuf = v + v_elems;
    for (int64_t n0 = 0; n0 < N; n0 += round) {
        const int64_t nr = cc_min64(round, N - n0);
        int64_t job;
#pragma omp parallel for schedule(static) num_threads(nt)
        for (job = 0; job < nr * TH; ++job) {
            const int64_t i = job / TH, th = job % TH;
            float *xr = tbuf + (int64_t)cc_thread_id() * th_elems;
            float *vi = v + i * 16 * T * C;
            wino_fill(&p, x + (n0 + i) * xst[0], 2 * th, 2 * th + 4, xr);
            for (int64_t tw = 0; tw < TW; ++tw)
                kern->winograd_f32.in2(xr + 2 * tw * C, p.Wp * C, C, C, vi + (th * TW + tw) * C,
                                   T * C);
        }
#pragma omp parallel num_threads(nt)
        {
            float *gt = tbuf + (int64_t)cc_thread_id() * th_elems;
            float *u = gt + gt_elems, *m = u + u_elems, *ycl = m + m_elems;
            int64_t task, have_kb = -1;
#pragma omp for schedule(static)
            for (task = 0; task < tasks; ++task) {
                const int64_t kb = task / n_rc, rc = task % n_rc;
                const int64_t v0 = kb * kvec / n_kb, nv = (kb + 1) * kvec / n_kb - v0;
                const int64_t width = nv * vw, k0 = v0 * vw, kn = cc_min64(width, K - k0);
                const int64_t th0 = rc * TH / n_rc, th1 = (rc + 1) * TH / n_rc;
                const int64_t t0 = th0 * TW, tiles = (th1 - th0) * TW;
                const cc_gemm_sp_f32 fn = kern->gemm_sp_f32.fn[nv - 1];
                const int mr = nv > kern->gemm_sp_f32.nv ? kern->gemm_sp_f32.mr_wide
                                                         : kern->gemm_sp_f32.mr;
                /* M[xi] of every image over the input channels in chunks: each
                 * output's chain resumes from M, so the chunks change no result */
                for (int64_t c0 = 0; c0 < C; c0 += cch) {
                    const int64_t cn = cc_min64(cch, C - c0);
                    if (n_cc > 1 || kb != have_kb) {
                        wino2_filters(kern, w, wst, c0, c0 + cn, k0, kn, width, gt, u);
                        have_kb = n_cc > 1 ? -1 : kb;
                    }
                    for (int64_t i = 0; i < nr; ++i) {
                        const float *vi = v + i * 16 * T * C + t0 * C + c0;
                        float *mi = m + i * 16 * tiles * width;
                        for (int64_t xi = 0; xi < 16; ++xi)
                            for (int64_t r = 0; r < tiles; r += mr)
                                fn(cn, vi + xi * T * C + r * C, C, u + xi * cn * width,
                                   mi + (xi * tiles + r) * width, width,
                                   cc_min64(mr, tiles - r), kn, NULL, c0 > 0);
                    }
                }
                /* per image and tile row: the output transform into two channel-last
                 * output rows, then their transposing copy into y */
                for (int64_t i = 0; i < nr; ++i) {
                    const float *mi = m + i * 16 * tiles * width;
                    float *yn = y + ((n0 + i) * K + k0) * plane;
                    for (int64_t th = th0; th < th1; ++th) {
                        for (int64_t tw = 0; tw < TW; ++tw)
                            kern->winograd_f32.out2(mi + ((th - th0) * TW + tw) * width,
                                                tiles * width, kn, bias_c ? bias_c + k0 : NULL,
                                                ycl + 2 * tw * width, OWp * width, width);
                        for (int64_t oh = 2 * th; oh < cc_min64(2 * th + 2, OH); ++oh)
                            kern->winograd_f32.tr(ycl + (oh - 2 * th) * OWp * width, width, OW, kn,
                                              yn + oh * OW, plane);
                    }
                }
            }
        }
    }
    cc_aligned_free(v);
    cc_aligned_free(bias_c);
    return CC_OK;
}

cc_status cc_winograd_conv_f32(const cc_conv2d_desc *d, const float *x, const int64_t xs[4],
                               const int64_t xst[4], const float *w, const int64_t ws[4],
                               const int64_t wst[4], const float *bias, int64_t bias_stride,
                               float *y, const int64_t ys[4], int nt, cc_wino_cache *cache)
{
    wino_plan p;
    const cc_kernels *kern = cc_active_kernels();
    if (cc_winograd_tile(d, xs, ws, ys) == 2) /* no cache: the filters are read once */
        return wino2_conv(d, x, xs, xst, w, ws, wst, bias, bias_stride, y, ys, nt);
    const int vw = kern->gemm_sp_f32.vw;
    const int64_t N = xs[0];
    cc_status status = CC_OK;
    p.kern = kern;
    p.C = xs[1]; p.H = xs[2]; p.W = xs[3]; p.K = ws[0]; p.OH = ys[2]; p.OW = ys[3];
    p.TH = cc_ceil_div(p.OH, 4); p.TW = cc_ceil_div(p.OW, 4); p.T = p.TH * p.TW;
    p.Hp = 4 * p.TH + 2; p.Wp = 4 * p.TW + 2; p.OHp = 4 * p.TH; p.OWp = 4 * p.TW;
    p.pt = d->pad_top; p.pl = d->pad_left;
    p.xs_c = xst[1]; p.xs_h = xst[2]; p.xs_w = xst[3];
    p.ldk = cc_round_up(p.K, vw);
    const int64_t kvec = cc_ceil_div(p.K, vw);
    const int64_t per_tile = wino_per_tile(kern, p.K);
    p.n_ct = cc_ceil_div(kvec, per_tile);
    /* tiles per block: V and M of a block within CC_WINO_BLOCK_BYTES */
    p.tb = CC_WINO_BLOCK_BYTES / (36 * (int64_t)sizeof(float) * (p.C + p.ldk));
    p.tb = cc_max64(8, cc_min64(p.T, p.tb / 8 * 8));
    p.n_tb = cc_ceil_div(p.T, p.tb);
    const int per_image = N >= nt || nt == 1;
    if (!per_image && p.n_tb > 1 && p.n_tb % nt) {
        /* one image split over the threads: a whole number of blocks per thread */
        p.n_tb = cc_round_up(p.n_tb, nt);
        p.tb = cc_ceil_div(p.T, p.n_tb);
        p.n_tb = cc_ceil_div(p.T, p.tb);
    }
    p.bp_xi = p.C * p.n_ct * per_tile * vw;

    /* the caller's cache when it fits these weights and no other call holds it */
    const int cached = cache && cache->state && cache->w && cache->u &&
                       cache->w_elems == p.K * p.C * 9 && cache->u_elems == 36 * p.bp_xi &&
                       wino_try_take(&cache->state[1]);
    const int reuse = cached && cache->state[0] == 1 + (int64_t)kern->target &&
                      wino_weights_vs_copy(w, ws, wst, cache->w, 0);
    int64_t *ct = (int64_t *)cc_aligned_alloc((int64_t)sizeof(int64_t) * 3 * p.n_ct);
    p.bp = cached ? cache->u : (float *)cc_aligned_alloc((int64_t)sizeof(float) * 36 * p.bp_xi);
    p.bias = bias ? (float *)cc_aligned_alloc((int64_t)sizeof(float) * p.ldk) : NULL;
    /* per thread (or shared): xcl, ycl; per thread: the block's V and M */
    const int64_t img_elems = p.Hp * p.Wp * p.C + p.OHp * p.OWp * p.ldk;
    const int64_t blk_elems = 36 * p.tb * (p.C + p.ldk);
    const int64_t n_img_bufs = per_image ? nt : 1;
    float *buf = (float *)cc_aligned_alloc((int64_t)sizeof(float) *
                                           (n_img_bufs * img_elems + nt * blk_elems));
    if (!ct || !p.bp || (bias && !p.bias) || !buf) {
        status = CC_ERR_NO_MEMORY;
        goto done;
    }
    p.ct_k0 = ct; p.ct_v = ct + p.n_ct; p.ct_boff = ct + 2 * p.n_ct;
    for (int64_t t = 0, off = 0; t < p.n_ct; ++t) {
        p.ct_k0[t] = t * per_tile * vw;
        p.ct_v[t] = cc_min64(per_tile, kvec - t * per_tile);
        p.ct_boff[t] = off;
        off += p.C * p.ct_v[t] * vw;
    }
    if (p.bias) {
        for (int64_t k = 0; k < p.ldk; ++k) p.bias[k] = k < p.K ? bias[k * bias_stride] : 0.0f;
    }
    if (!reuse) {
        if (cached) cache->state[0] = 0; /* empty until both u and w are written */
        wino_pack_weights(&p, w, wst, nt);
        if (cached) {
            wino_weights_vs_copy(w, ws, wst, cache->w, 1);
            cache->state[0] = 1 + (int64_t)kern->target;
        }
    }

    if (per_image) {
        int64_t n;
        (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
        for (n = 0; n < N; ++n) {
            const int tid = cc_thread_id();
            float *xcl = buf + (int64_t)tid * img_elems, *ycl = xcl + p.Hp * p.Wp * p.C;
            float *v = buf + n_img_bufs * img_elems + (int64_t)tid * blk_elems;
            float *m = v + 36 * p.tb * p.C;
            wino_fill(&p, x + n * xst[0], 0, p.Hp, xcl);
            for (int64_t b = 0; b < p.n_tb; ++b)
                wino_tiles(&p, xcl, b * p.tb, cc_min64(p.T, (b + 1) * p.tb), 0, p.n_ct, v, m,
                           ycl);
            wino_store(&p, ycl, 0, p.OH, y + n * p.K * p.OH * p.OW);
        }
    } else {
        float *xcl = buf, *ycl = buf + p.Hp * p.Wp * p.C;
        /* tasks: tile blocks x ranges of column tiles, enough to keep the threads busy */
        int64_t n_cg = 1;
        while (p.n_tb * n_cg < 2 * (int64_t)nt && n_cg < p.n_ct) ++n_cg;
        const int64_t tasks = p.n_tb * n_cg;
        for (int64_t n = 0; n < N; ++n) {
            const float *xn = x + n * xst[0];
            float *yn = y + n * p.K * p.OH * p.OW;
#pragma omp parallel num_threads(nt)
            {
                const int tid = cc_thread_id();
                float *v = buf + img_elems + (int64_t)tid * blk_elems;
                float *m = v + 36 * p.tb * p.C;
                int64_t r, task, oh;
#pragma omp for schedule(static)
                for (r = 0; r < p.Hp; ++r) wino_fill(&p, xn, r, r + 1, xcl + r * p.Wp * p.C);
#pragma omp for schedule(static)
                for (task = 0; task < tasks; ++task) {
                    const int64_t b = task / n_cg, g = task % n_cg;
                    const int64_t ct0 = g * p.n_ct / n_cg, ct1 = (g + 1) * p.n_ct / n_cg;
                    wino_tiles(&p, xcl, b * p.tb, cc_min64(p.T, (b + 1) * p.tb), ct0, ct1, v,
                               m, ycl);
                }
#pragma omp for schedule(static)
                for (oh = 0; oh < p.OH; ++oh) wino_store(&p, ycl, oh, oh + 1, yn);
            }
        }
    }
done:
    cc_aligned_free(buf);
    cc_aligned_free(p.bias);
    if (cached)
        wino_give_back(&cache->state[1]);
    else
        cc_aligned_free(p.bp);
    cc_aligned_free(ct);
    return status;
}
