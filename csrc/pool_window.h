/* pool_window.h - the average-pooling window of one output element (torch's rule), shared
 * by the forward and backward passes so that both divide by the same count. */
#ifndef CONVCORE_POOL_WINDOW_H
#define CONVCORE_POOL_WINDOW_H

#include "dispatch.h"

typedef struct cc_avg_window {
    int64_t h0, h1, w0, w1; /* the in-bounds part: rows [h0, h1), columns [w0, w1) */
    int64_t divisor;        /* 0 when the window holds no input element */
} cc_avg_window;

/* The window is clipped to the padded input (which sets count_include_pad's count), then
 * to the input itself (which sets the other count); divisor_override wins over both. */
CC_INLINE cc_avg_window cc_avg_window_at(const cc_plane_geom *g, int64_t oh, int64_t ow)
{
    cc_avg_window win;
    int64_t hs = oh * g->stride_h - g->pad_top, ws = ow * g->stride_w - g->pad_left;
    int64_t he = cc_min64(hs + g->kernel_h, g->in_h + g->pad_bottom);
    int64_t we = cc_min64(ws + g->kernel_w, g->in_w + g->pad_right);
    const int64_t padded_count = (he - hs) * (we - ws);
    win.h0 = cc_max64(hs, 0);
    win.w0 = cc_max64(ws, 0);
    win.h1 = cc_min64(he, g->in_h);
    win.w1 = cc_min64(we, g->in_w);
    if (win.h0 >= win.h1 || win.w0 >= win.w1) {
        win.divisor = 0;
        return win;
    }
    if (g->divisor_override) win.divisor = g->divisor_override;
    else if (g->count_include_pad) win.divisor = padded_count;
    else win.divisor = (win.h1 - win.h0) * (win.w1 - win.w0);
    return win;
}

#endif
