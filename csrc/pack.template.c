/* pack.template.c - GEMM operand packing for one TYPE (see pack.h for the layouts).
 *
 * Weights: k runs over (c, i, j) in the filter's row-major order; within a KC block the
 * panels of mr rows follow each other, so the micro-kernel streams a + p * mr.
 * Columns: for each panel of nr output pixels the input coordinates of the window origin
 * are computed once; each filter tap then gathers nr values. When the panel's pixels share
 * one output row, the stride is 1 and the input is dense in w, a tap is one contiguous
 * run of input that is copied (all in bounds) or clipped. The 1x1/stride-1/unpadded case
 * with dense planes is the direct path: column p is input pixel p.
 */

/* cc_pack_weights_f32 / _f64 (pack.h) */
void CC_FN(cc_pack_weights)(const TYPE *w, const int64_t ws[4], int64_t cg, int64_t kernel_h,
                            int64_t kernel_w, int64_t row0, int64_t rows, int mr, TYPE *dst)
{
    const int64_t taps = kernel_h * kernel_w, kdim = cg * taps;
    const int64_t mpad = cc_round_up(rows, mr);
    for (int64_t pc = 0; pc < kdim; pc += CC_GEMM_KC) {
        const int64_t kc = cc_min64(CC_GEMM_KC, kdim - pc);
        TYPE *block = dst + pc * mpad;
        for (int64_t panel = 0; panel < mpad / mr; ++panel) {
            TYPE *out = block + panel * mr * kc;
            for (int64_t kk = 0; kk < kc; ++kk) {
                const int64_t k = pc + kk, c = k / taps, i = (k % taps) / kernel_w,
                              j = k % kernel_w;
                const TYPE *src = w + c * ws[1] + i * ws[2] + j * ws[3];
                for (int r = 0; r < mr; ++r) {
                    const int64_t row = panel * mr + r;
                    out[kk * mr + r] = row < rows ? src[(row0 + row) * ws[0]] : (TYPE)0;
                }
            }
        }
    }
}

/* cc_pack_im2col_f32 / _f64 (pack.h) */
void CC_FN(cc_pack_im2col)(const cc_im2col_geom *g, const TYPE *x, int64_t k0, int64_t kc,
                           int64_t j0, int64_t jn, int nr, TYPE *dst)
{
    const int64_t taps = g->kernel_h * g->kernel_w;
    const int64_t H = g->in_h, W = g->in_w;
    const int direct = taps == 1 && g->stride_h == 1 && g->stride_w == 1 && g->pad_top == 0 &&
                       g->pad_left == 0 && g->xs_w == 1 && g->xs_h == W && g->out_w == W;
    int64_t ih0[64], iw0[64]; /* nr <= 64 */
    for (int64_t jp = 0; jp < jn; jp += nr) {
        TYPE *panel = dst + jp * kc;
        const int64_t ncols = cc_min64(nr, jn - jp), p0 = j0 + jp;
        /* out_w == W does not make the planes equal: bottom padding adds output rows,
         * whose columns lie past the input plane and go through the general path */
        if (direct && p0 + ncols <= H * W) {
            for (int64_t kk = 0; kk < kc; ++kk) {
                const TYPE *src = x + (k0 + kk) * g->xs_c + p0;
                TYPE *out = panel + kk * nr;
                int64_t q = 0;
                for (; q < ncols; ++q) out[q] = src[q];
                for (; q < nr; ++q) out[q] = 0;
            }
            continue;
        }
        for (int64_t q = 0; q < ncols; ++q) {
            const int64_t p = p0 + q;
            ih0[q] = (p / g->out_w) * g->stride_h - g->pad_top;
            iw0[q] = (p % g->out_w) * g->stride_w - g->pad_left;
        }
        const int one_row = ih0[0] == ih0[ncols - 1] && g->stride_w == 1 && g->xs_w == 1;
        int64_t c = k0 / taps, i = (k0 % taps) / g->kernel_w, j = k0 % g->kernel_w;
        for (int64_t kk = 0; kk < kc; ++kk) {
            const TYPE *src = x + c * g->xs_c;
            const int64_t off_h = i * g->dilation_h, off_w = j * g->dilation_w;
            TYPE *out = panel + kk * nr;
            int64_t q = 0;
            if (one_row) {
                const int64_t ih = ih0[0] + off_h, iw = iw0[0] + off_w;
                if (ih < 0 || ih >= H) {
                    q = 0; /* the whole run is padding */
                } else if (iw >= 0 && iw + ncols <= W) {
                    const TYPE *run = src + ih * g->xs_h + iw;
                    for (; q < ncols; ++q) out[q] = run[q];
                } else {
                    const TYPE *row = src + ih * g->xs_h;
                    for (; q < ncols; ++q) {
                        const int64_t col = iw + q;
                        out[q] = (col >= 0 && col < W) ? row[col] : (TYPE)0;
                    }
                }
            } else {
                for (; q < ncols; ++q) {
                    const int64_t ih = ih0[q] + off_h, iw = iw0[q] + off_w;
                    out[q] = (ih >= 0 && ih < H && iw >= 0 && iw < W)
                                 ? src[ih * g->xs_h + iw * g->xs_w]
                                 : (TYPE)0;
                }
            }
            for (; q < nr; ++q) out[q] = 0;
            /* next filter tap in (c, i, j) row-major order */
            if (++j == g->kernel_w) {
                j = 0;
                if (++i == g->kernel_h) {
                    i = 0;
                    ++c;
                }
            }
        }
    }
}

/* One row of a phase plane: columns [v_lo, v_hi) from the input row (SW, XW: the column
 * stride in the padded and the input row; literals where common, so that the copy
 * vectorises), zero elsewhere. */
CC_ALWAYS_INLINE void CC_FN(phase_row)(TYPE *CC_RESTRICT o, const TYPE *CC_RESTRICT row,
                                       int64_t pw, int64_t v_lo, int64_t v_hi, int64_t off,
                                       int64_t SW, int64_t XW)
{
    for (int64_t v = 0; v < v_lo; ++v) o[v] = 0;
    for (int64_t v = v_lo; v < v_hi; ++v) o[v] = row[(v * SW + off) * XW];
    for (int64_t v = v_hi; v < pw; ++v) o[v] = 0;
}

/* cc_pack_phases_f32 / _f64 (pack.h) */
void CC_FN(cc_pack_phases)(const cc_phase_geom *g, const TYPE *x, TYPE *dst)
{
    const int64_t H = g->in_h, W = g->in_w, PH = g->ph_h, PW = g->ph_w, xw = g->xs_w;
    for (int64_t ah = 0; ah < g->n_ph_h; ++ah) {
        for (int64_t aw = 0; aw < g->n_ph_w; ++aw) {
            TYPE *plane = dst + (ah * g->n_ph_w + aw) * PH * PW;
            const int64_t a = g->phase_h[ah], b = g->phase_w[aw];
            /* columns v whose input column v * stride_w + b - pad_left is in [0, W) */
            const int64_t off = b - g->pad_left, sw = g->stride_w;
            const int64_t v_lo = cc_min64(PW, off >= 0 ? 0 : cc_ceil_div(-off, sw));
            const int64_t v_hi = cc_max64(v_lo, cc_min64(PW, W - 1 - off < 0 ? 0
                                                                   : (W - 1 - off) / sw + 1));
            for (int64_t u = 0; u < PH; ++u) {
                TYPE *o = plane + u * PW;
                const int64_t ih = u * g->stride_h + a - g->pad_top;
                if (ih < 0 || ih >= H || v_lo >= v_hi) {
                    for (int64_t v = 0; v < PW; ++v) o[v] = 0;
                    continue;
                }
                const TYPE *row = x + ih * g->xs_h;
                if (xw == 1 && sw == 1) CC_FN(phase_row)(o, row, PW, v_lo, v_hi, off, 1, 1);
                else if (xw == 1 && sw == 2) CC_FN(phase_row)(o, row, PW, v_lo, v_hi, off, 2, 1);
                else CC_FN(phase_row)(o, row, PW, v_lo, v_hi, off, sw, xw);
            }
        }
    }
}
