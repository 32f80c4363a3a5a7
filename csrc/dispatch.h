/* dispatch.h - the one table of kernel function pointers, and the geometry the kernels take. */
#ifndef CONVCORE_DISPATCH_H
#define CONVCORE_DISPATCH_H

#include <string.h>

#include "internal.h"

/* Geometry of one (input plane -> output plane) convolution or pooling window sweep. */
typedef struct cc_plane_geom {
    int64_t in_h, in_w, out_h, out_w;
    int64_t kernel_h, kernel_w;
    int64_t stride_h, stride_w;
    int64_t pad_top, pad_bottom, pad_left, pad_right;
    int64_t dilation_h, dilation_w;
    int count_include_pad;      /* avg pooling */
    int64_t divisor_override;   /* avg pooling, 0 = none */
} cc_plane_geom;

/* The plane geometry of a pooling call (x_shape, out_shape: NCHW). */
CC_INLINE void cc_plane_geom_pool(const cc_pool2d_desc *d, const int64_t xs[4],
                                  const int64_t ys[4], cc_plane_geom *g)
{
    memset(g, 0, sizeof(*g));
    g->in_h = xs[2]; g->in_w = xs[3]; g->out_h = ys[2]; g->out_w = ys[3];
    g->kernel_h = d->kernel_h; g->kernel_w = d->kernel_w;
    g->stride_h = d->stride_h; g->stride_w = d->stride_w;
    g->pad_top = d->pad_top; g->pad_bottom = d->pad_bottom;
    g->pad_left = d->pad_left; g->pad_right = d->pad_right;
    g->dilation_h = d->dilation_h; g->dilation_w = d->dilation_w;
    g->count_include_pad = d->count_include_pad;
    g->divisor_override = d->divisor_override;
}

/* The plane geometry of a convolution call (x_shape, w_shape, out_shape: NCHW, OIHW). */
CC_INLINE void cc_plane_geom_conv(const cc_conv2d_desc *d, const int64_t xs[4],
                                  const int64_t ws[4], const int64_t ys[4], cc_plane_geom *g)
{
    memset(g, 0, sizeof(*g));
    g->in_h = xs[2]; g->in_w = xs[3]; g->out_h = ys[2]; g->out_w = ys[3];
    g->kernel_h = ws[2]; g->kernel_w = ws[3];
    g->stride_h = d->stride_h; g->stride_w = d->stride_w;
    g->pad_top = d->pad_top; g->pad_bottom = d->pad_bottom;
    g->pad_left = d->pad_left; g->pad_right = d->pad_right;
    g->dilation_h = d->dilation_h; g->dilation_w = d->dilation_w;
}

/* Register-blocked GEMM micro-kernel: C[m x n] (row stride ldc) = A-panel * B-panel,
 *   a: k x MR packed (column p of the MR rows at a + p * MR), zero-filled past m,
 *   b: k x NR packed (row p at b + p * NR), zero-filled past n.
 * accumulate = 0: C = bias[i] + AB (bias NULL: C = AB); accumulate = 1: C += AB.
 * Only the m x n corner of the MR x NR tile is written; bias[i] is read for i < m only.
 * (The accumulators start from C or the bias, so the sum is one chain per element.) */
typedef void (*cc_gemm_ukr_f32)(int64_t k, const float *a, const float *b, float *c,
                                int64_t ldc, int64_t m, int64_t n, const float *bias,
                                int accumulate);
typedef void (*cc_gemm_ukr_f64)(int64_t k, const double *a, const double *b, double *c,
                                int64_t ldc, int64_t m, int64_t n, const double *bias,
                                int accumulate);

#define CC_GEMM_NV_MAX 4

/* The forward convolution's micro-kernels. gemm_sp: A strided (row i at a + i * lda,
 * consecutive in k: the weights read in place; only rows < m are read), B packed nv * VW
 * wide (row p at b + p * nv * VW), same C/bias/accumulate rules as above (accumulators start
 * from C or the bias, so splitting k over calls does not change results). fn[v - 1]
 * computes an MR x (v * VW) tile, v = 1..nv. pack: the packed B from segments of input
 * rows read in place (see pack_seg in gemm_simd.template.c). ind: gemm_sp reading B in
 * place instead, row p at b + boff[p] (columns at or past n neither read nor written). */
typedef void (*cc_gemm_sp_f32)(int64_t k, const float *a, int64_t lda, const float *b,
                               float *c, int64_t ldc, int64_t m, int64_t n, const float *bias,
                               int accumulate);
typedef void (*cc_gemm_sp_f64)(int64_t k, const double *a, int64_t lda, const double *b,
                               double *c, int64_t ldc, int64_t m, int64_t n, const double *bias,
                               int accumulate);
typedef void (*cc_gemm_ind_f32)(int64_t k, const float *a, int64_t lda, const float *b,
                                const int64_t *boff, float *c, int64_t ldc, int64_t m,
                                int64_t n, const float *bias, int accumulate);
typedef void (*cc_gemm_ind_f64)(int64_t k, const double *a, int64_t lda, const double *b,
                                const int64_t *boff, double *c, int64_t ldc, int64_t m,
                                int64_t n, const double *bias, int accumulate);
/* tail: gemm_sp over nv vectors (B packed nv * VW wide) plus one more column of C (column
 * nv * VW), whose B values are tail[0 .. k-1], consecutive: that column's dot products run
 * with k in the lanes and a fixed lane-sum tree (gemm_simd.template.c). tail[nv - 1] has
 * mr_tail rows; NULL where the target has none. */
typedef void (*cc_gemm_tail_f32)(int64_t k, const float *a, int64_t lda, const float *b,
                                 const float *tail, float *c, int64_t ldc, int64_t m,
                                 const float *bias, int accumulate);
typedef void (*cc_gemm_tail_f64)(int64_t k, const double *a, int64_t lda, const double *b,
                                 const double *tail, double *c, int64_t ldc, int64_t m,
                                 const double *bias, int accumulate);
#define CC_PACK_SEGS 8 /* segments pack_seg takes at once; callers split or gather beyond */
typedef void (*cc_pack_seg_f32)(int64_t k, const float *b, const int64_t *boff, int nseg,
                                const int64_t *seg_src, const int64_t *seg_col,
                                const int64_t *seg_len, int64_t n, int nv, int overread,
                                float *dst);
typedef void (*cc_pack_seg_f64)(int64_t k, const double *b, const int64_t *boff, int nseg,
                                const int64_t *seg_src, const int64_t *seg_col,
                                const int64_t *seg_len, int64_t n, int nv, int overread,
                                double *dst);

/* Depthwise: one input plane (row stride xs_h, column stride xs_w) and one kh x kw
 * filter (strides ws_h, ws_w) -> one dense out_h x out_w plane, plus bias. */
typedef void (*cc_depthwise_plane_f32)(const cc_plane_geom *g, const float *x, int64_t xs_h,
                                       int64_t xs_w, const float *w, int64_t ws_h,
                                       int64_t ws_w, float bias, float *y);
typedef void (*cc_depthwise_plane_f64)(const cc_plane_geom *g, const double *x, int64_t xs_h,
                                       int64_t xs_w, const double *w, int64_t ws_h,
                                       int64_t ws_w, double bias, double *y);

/* Pooling over planes [first, first + count) of an (N, C, H, W) input: plane t reads
 * x + (t / channels) * xs_n + (t % channels) * xs_c (rows xs_h, columns xs_w apart) and
 * writes the dense out_h x out_w plane at y + t * out_h * out_w (indices likewise; may be
 * NULL). One call per thread's range, so per-call setup is shared by its planes. */
typedef struct cc_plane_range {
    int64_t xs_n, xs_c, xs_h, xs_w, channels, first, count;
} cc_plane_range;
typedef void (*cc_max_plane_f32)(const cc_plane_geom *g, const float *x, const cc_plane_range *r,
                                 float *y, int64_t *indices);
typedef void (*cc_max_plane_f64)(const cc_plane_geom *g, const double *x,
                                 const cc_plane_range *r, double *y, int64_t *indices);
typedef void (*cc_avg_plane_f32)(const cc_plane_geom *g, const float *x, const cc_plane_range *r,
                                 float *y);
typedef void (*cc_avg_plane_f64)(const cc_plane_geom *g, const double *x,
                                 const cc_plane_range *r, double *y);

/* Weight gradient of a convolution, for one input plane and a block of output channels
 * (kernels/wgrad_simd.template.c). xe holds the plane expanded by the caller: for tap (i, j)
 * the input that output pixel p (of pixels = out_h * out_w, row-major) meets is at
 * xe[row_off[i] + j * xj_s + p], 0 where that is padding; readable for p < pixels.
 * dy: the block's first channel; channels dy_cs apart, each a dense run of pixels.
 * acc (accumulated into, never zeroed): kernel_h x cb[kernel_w] x kernel_w vectors of vw
 * lanes whose lane sums are the taps' gradients (the vectors of channels cb ..
 * cb[kernel_w] - 1 change too and hold nothing of use). fn is NULL where the target has none;
 * cb[kw] is 0 for kernel widths it does not take. */
typedef struct cc_wgrad_geom {
    int64_t pixels, kernel_h, kernel_w, dy_cs, xj_s;
    const int64_t *row_off;
} cc_wgrad_geom;
#define CC_WGRAD_KW_MAX 7
typedef void (*cc_wgrad_f32)(const cc_wgrad_geom *g, const float *dy, int cb, const float *xp,
                             float *acc);
typedef void (*cc_wgrad_f64)(const cc_wgrad_geom *g, const double *dy, int cb, const double *xp,
                             double *acc);

/* Winograd F(4x4, 3x3) transforms of one tile, SIMD across channels (float only;
 * kernels/winograd_simd.template.c, driver winograd.c). in: the 6x6 input patch, element
 * (r, j, c) at x[r * row_s + j * col_s + c] -> V of position xi (0..35) at
 * v[xi * xi_s + c]. out: the GEMM result m[xi * xi_s + k] -> the 4x4 output pixels
 * (+ bias[k], bias may be NULL) at y[i * row_s + j * col_s + k]. NULL where the target has
 * none. */
typedef void (*cc_wino_in_f32)(const float *x, int64_t row_s, int64_t col_s, int64_t channels,
                               float *v, int64_t xi_s);
typedef void (*cc_wino_out_f32)(const float *m, int64_t xi_s, int64_t channels,
                                const float *bias, float *y, int64_t row_s, int64_t col_s);
/* F(2x2, 3x3) (in2, out2: the same contracts over a 4x4 patch, positions xi = 0..15, and
 * 2x2 output pixels). filter2: U = G g G^T with output channels in the lanes, the taps of
 * input channel c at g[(c * 9 + tap) * g_ld + k] -> u[xi * xi_s + c * width + k] (k <
 * width, a whole number of vectors; c < channels). */
typedef void (*cc_wino_filter_f32)(const float *g, int64_t g_ld, int64_t channels,
                                   int64_t width, float *u, int64_t xi_s);
/* dst[j * dst_ld + i] = src[i * src_ld + j] for i < rows, j < cols (rows of src
 * contiguous): the driver's NCHW <-> channel-last copies. */
typedef void (*cc_transpose_f32)(const float *src, int64_t src_ld, int64_t rows, int64_t cols,
                                 float *dst, int64_t dst_ld);

/* Runs iters rounds of independent FMA chains over acc (CC_PEAK_LANES floats); for
 * measuring the machine's peak. Returns the flop count performed. */
#define CC_PEAK_LANES 512
typedef double (*cc_fma_loop_fn)(int64_t iters, float *acc);

/* The table of one target: the kernel of every slot, and the tiles the drivers block for.
 * Filled by kernels/kernel_table.template.c (designated initialisers); a member a target
 * lacks is NULL and the driver takes another path. Where each slot's kernels come from:
 *
 *   slot (cc_kernel)     member             template (kernels/)        symbols, e.g. for avx2
 *   GEMM_F32/F64         gemm_f32 .fn       gemm_simd / gemm_generic   gemm_ukr_f32__avx2
 *   (forward GEMM)       gemm_sp_f32 .fn[v] gemm_simd / gemm_generic   gemm_sp1..4_f32__avx2
 *                               .ind[v]                                gemm_ind1..4_f32__avx2
 *                               .pack                                  pack_seg_f32__avx2
 *                               .tail[v]    gemm_simd (avx512 only)    gemm_tail1..3_f32__avx512
 *   DEPTHWISE_F32/F64    depthwise_f32      plane_simd / plane_generic depthwise_plane_simd_f32__avx2
 *                                                                      (base: depthwise_plane_f32__base)
 *   MAX_POOL_F32/F64     max_pool_f32       plane_simd / plane_generic max_plane_simd_f32__avx2
 *   AVG_POOL_F32/F64     avg_pool_f32       plane_simd / plane_generic avg_plane_simd_f32__avx2
 *   WEIGHT_GRAD_F32/F64  wgrad_f32 .fn      wgrad_simd                 wgrad_f32__avx2
 *   WINOGRAD_F32         winograd_f32 .in   winograd_simd (float)      wino_in_f32__avx2, wino_out_,
 *                                .out .tr                              wino_tr_
 *   WINOGRAD2_F32        winograd_f32 .in2  winograd_simd (float)      wino2_in_f32__avx2,
 *                                .out2 .filter2                        wino2_out_, wino2_filter_
 *   (peak-rate loop)     fma_loop           kernel_table               fma_loop__avx2
 *
 * Each target_<isa>.c instantiates these templates over its vector vocabulary
 * (simd_<isa>.h, simd_<isa>_f32.h, simd_<isa>_f64.h); docs/design.md has the whole map. */
typedef struct cc_kernels {
    int target;                        /* cc_target */
    const char *name[CC_KERNEL_COUNT]; /* the kernel in each slot, for cc_kernel_name */
    struct { cc_gemm_ukr_f32 fn; int mr, nr; } gemm_f32;
    struct { cc_gemm_ukr_f64 fn; int mr, nr; } gemm_f64;
    struct {
        cc_gemm_sp_f32 fn[CC_GEMM_NV_MAX];
        cc_gemm_ind_f32 ind[CC_GEMM_NV_MAX];
        cc_pack_seg_f32 pack;
        int mr, vw, nv;   /* rows and vectors of the main tile (fn[0 .. nv-1] have mr rows) */
        int nv_wide, mr_wide; /* fn[nv .. nv_wide-1] exist too, with mr_wide rows */
        cc_gemm_tail_f32 tail[CC_GEMM_NV_MAX];
        int mr_tail;
    } gemm_sp_f32;
    struct {
        cc_gemm_sp_f64 fn[CC_GEMM_NV_MAX];
        cc_gemm_ind_f64 ind[CC_GEMM_NV_MAX];
        cc_pack_seg_f64 pack;
        int mr, vw, nv;
        int nv_wide, mr_wide;
        cc_gemm_tail_f64 tail[CC_GEMM_NV_MAX];
        int mr_tail;
    } gemm_sp_f64;
    cc_depthwise_plane_f32 depthwise_f32;
    cc_depthwise_plane_f64 depthwise_f64;
    cc_max_plane_f32 max_pool_f32;
    cc_max_plane_f64 max_pool_f64;
    cc_avg_plane_f32 avg_pool_f32;
    cc_avg_plane_f64 avg_pool_f64;
    struct { cc_wgrad_f32 fn; int vw; unsigned char cb[CC_WGRAD_KW_MAX + 1]; } wgrad_f32;
    struct { cc_wgrad_f64 fn; int vw; unsigned char cb[CC_WGRAD_KW_MAX + 1]; } wgrad_f64;
    struct {
        cc_wino_in_f32 in; cc_wino_out_f32 out; cc_transpose_f32 tr;          /* F(4x4) */
        cc_wino_in_f32 in2; cc_wino_out_f32 out2; cc_wino_filter_f32 filter2; /* F(2x2) */
    } winograd_f32;
    cc_fma_loop_fn fma_loop;
} cc_kernels;

/* One table per compiled target, defined in kernels/target_*.c. */
extern const cc_kernels cc_kernels__base;
#if defined(CC_HAVE_AVX2)
extern const cc_kernels cc_kernels__avx2;
#endif
#if defined(CC_HAVE_AVX512)
extern const cc_kernels cc_kernels__avx512;
#endif

/* The table in use; selected on first use (best supported target, capped by the
 * environment variable CONVCORE_CPU_TARGET). */
const cc_kernels *cc_active_kernels(void);

/* Private: the measured single-thread FMA rate of the active target, in GFLOP/s. */
double cc_fma_peak_gflops(double seconds);

/* Rows of the active target's float32 gemm_tail kernels (0: it has none), for show_config. */
int cc_gemm_tail_rows(void);

#endif
