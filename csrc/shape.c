/* shape.c - output-size arithmetic and descriptor validation: the one source of truth,
 * called by the drivers and by the Python layer alike. */
#include "internal.h"
#include "shape.h"

static cc_status check_axis(int64_t stride, int64_t pad_a, int64_t pad_b, int64_t dilation)
{
    if (stride < 1) return CC_ERR_BAD_STRIDE;
    if (pad_a < 0 || pad_b < 0) return CC_ERR_BAD_PADDING;
    if (dilation < 1) return CC_ERR_BAD_DILATION;
    return CC_OK;
}

/* in + pad_a + pad_b - (dilation * (kernel - 1) + 1), checked; the numerator of every
 * output-size formula. May be negative (window larger than the padded input). */
static cc_status span_minus_window(int64_t in, int64_t kernel, int64_t pad_a, int64_t pad_b,
                                   int64_t dilation, int64_t *out)
{
    int64_t padded, reach, span;
    if (in < 0) return CC_ERR_BAD_SHAPE;
    if (kernel < 1) return CC_ERR_BAD_KERNEL;
    if (cc_add_overflow(in, pad_a, &padded) || cc_add_overflow(padded, pad_b, &padded))
        return CC_ERR_OVERFLOW;
    if (cc_mul_overflow(dilation, kernel - 1, &reach) || cc_add_overflow(reach, 1, &reach))
        return CC_ERR_OVERFLOW;
    span = padded - reach; /* both non-negative: cannot overflow */
    *out = span;
    return CC_OK;
}

cc_status cc_conv_axis_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_a,
                            int64_t pad_b, int64_t dilation, int64_t *out)
{
    int64_t span;
    cc_status st = check_axis(stride, pad_a, pad_b, dilation);
    if (st != CC_OK) return st;
    st = span_minus_window(in, kernel, pad_a, pad_b, dilation, &span);
    if (st != CC_OK) return st;
    if (span < 0) return CC_ERR_EMPTY_OUTPUT;
    *out = span / stride + 1;
    return CC_OK;
}

cc_status cc_pool_axis_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_a,
                            int64_t pad_b, int64_t dilation, int ceil_mode, int64_t *out)
{
    int64_t span, size;
    cc_status st = check_axis(stride, pad_a, pad_b, dilation);
    if (st != CC_OK) return st;
    if (kernel < 1) return CC_ERR_BAD_KERNEL;
    /* torch's rule is on the kernel itself, not the dilated window */
    if (pad_a > kernel / 2 || pad_b > kernel / 2) return CC_ERR_POOL_PADDING;
    st = span_minus_window(in, kernel, pad_a, pad_b, dilation, &span);
    if (st != CC_OK) return st;
    if (ceil_mode) {
        size = cc_ceil_div(span, stride) + 1;
        /* A last window starting inside the trailing padding (or past it) is dropped:
         * windows must start inside the input or the leading padding. */
        if (size >= 1 && (size - 1) >= cc_ceil_div(in + pad_a, stride)) --size;
    } else {
        size = cc_floor_div(span, stride) + 1;
    }
    if (size < 1) return CC_ERR_EMPTY_OUTPUT;
    *out = size;
    return CC_OK;
}

cc_status cc_conv2d_output_size(const cc_conv2d_desc *desc, int64_t in_h, int64_t in_w,
                                int64_t kernel_h, int64_t kernel_w,
                                int64_t *out_h, int64_t *out_w)
{
    int64_t oh, ow;
    cc_status st;
    if (!desc || !out_h || !out_w) return CC_ERR_NULL_POINTER;
    st = cc_conv_axis_size(in_h, kernel_h, desc->stride_h, desc->pad_top, desc->pad_bottom,
                           desc->dilation_h, &oh);
    if (st != CC_OK) return st;
    st = cc_conv_axis_size(in_w, kernel_w, desc->stride_w, desc->pad_left, desc->pad_right,
                           desc->dilation_w, &ow);
    if (st != CC_OK) return st;
    *out_h = oh;
    *out_w = ow;
    return CC_OK;
}

static cc_status numel4(const int64_t shape[4], int64_t *out)
{
    int64_t n = 1;
    for (int i = 0; i < 4; ++i) {
        if (shape[i] < 0) return CC_ERR_BAD_SHAPE;
        if (cc_mul_overflow(n, shape[i], &n)) return CC_ERR_OVERFLOW;
    }
    *out = n;
    return CC_OK;
}

cc_status cc_conv2d_check(const cc_conv2d_desc *desc, const int64_t x_shape[4],
                          const int64_t w_shape[4], int64_t out_shape[4])
{
    int64_t numel, oh, ow, kdim, panel, out_plane;
    cc_status st;
    if (!desc || !x_shape || !w_shape || !out_shape) return CC_ERR_NULL_POINTER;
    if ((st = numel4(x_shape, &numel)) != CC_OK) return st;
    if ((st = numel4(w_shape, &numel)) != CC_OK) return st;
    if (desc->groups < 1) return CC_ERR_BAD_GROUPS;
    if (w_shape[2] < 1 || w_shape[3] < 1) return CC_ERR_BAD_KERNEL;
    if (w_shape[0] % desc->groups != 0) return CC_ERR_BAD_GROUPS;
    if (x_shape[1] % desc->groups != 0) return CC_ERR_BAD_GROUPS;
    if (cc_mul_overflow(w_shape[1], desc->groups, &numel) || numel != x_shape[1])
        return CC_ERR_CHANNEL_MISMATCH;
    st = cc_conv2d_output_size(desc, x_shape[2], x_shape[3], w_shape[2], w_shape[3], &oh, &ow);
    if (st != CC_OK) return st;
    out_shape[0] = x_shape[0];
    out_shape[1] = w_shape[0];
    out_shape[2] = oh;
    out_shape[3] = ow;
    if ((st = numel4(out_shape, &numel)) != CC_OK) return st;
    /* Workspace: packed weights (rows padded to a register tile) and column panels.
     * Bound them here so the drivers can allocate without further checks. */
    if (cc_mul_overflow(w_shape[1], w_shape[2], &kdim) || cc_mul_overflow(kdim, w_shape[3], &kdim))
        return CC_ERR_OVERFLOW;
    if (kdim == 0) return CC_OK; /* no input channels: no workspace (the bias path) */
    /* checked throughout: groups may be huge when every channel count is zero */
    if (cc_mul_overflow(desc->groups, 64, &panel) || cc_add_overflow(panel, w_shape[0], &panel) ||
        cc_mul_overflow(panel, kdim, &panel) || cc_mul_overflow(panel, 8, &panel) ||
        panel > CC_MAX_WORKSPACE_BYTES)
        return CC_ERR_OVERFLOW;
    if (cc_mul_overflow(oh, ow, &out_plane) || cc_add_overflow(out_plane, 64, &panel) ||
        cc_mul_overflow(panel, 8, &panel))
        return CC_ERR_OVERFLOW;
    return CC_OK;
}

cc_status cc_pool2d_output_size(const cc_pool2d_desc *desc, int64_t in_h, int64_t in_w,
                                int64_t *out_h, int64_t *out_w)
{
    int64_t oh, ow;
    cc_status st;
    if (!desc || !out_h || !out_w) return CC_ERR_NULL_POINTER;
    /* window element counts (avg divisors) must be representable */
    if (desc->kernel_h >= 1 && desc->kernel_w >= 1 &&
        cc_mul_overflow(desc->kernel_h, desc->kernel_w, &oh))
        return CC_ERR_OVERFLOW;
    st = cc_pool_axis_size(in_h, desc->kernel_h, desc->stride_h, desc->pad_top,
                           desc->pad_bottom, desc->dilation_h, desc->ceil_mode, &oh);
    if (st != CC_OK) return st;
    st = cc_pool_axis_size(in_w, desc->kernel_w, desc->stride_w, desc->pad_left,
                           desc->pad_right, desc->dilation_w, desc->ceil_mode, &ow);
    if (st != CC_OK) return st;
    *out_h = oh;
    *out_w = ow;
    return CC_OK;
}

cc_status cc_pool2d_check(const cc_pool2d_desc *desc, const int64_t x_shape[4],
                          int64_t out_shape[4])
{
    int64_t numel, oh, ow;
    cc_status st;
    if (!desc || !x_shape || !out_shape) return CC_ERR_NULL_POINTER;
    if ((st = numel4(x_shape, &numel)) != CC_OK) return st;
    st = cc_pool2d_output_size(desc, x_shape[2], x_shape[3], &oh, &ow);
    if (st != CC_OK) return st;
    out_shape[0] = x_shape[0];
    out_shape[1] = x_shape[1];
    out_shape[2] = oh;
    out_shape[3] = ow;
    return numel4(out_shape, &numel);
}
