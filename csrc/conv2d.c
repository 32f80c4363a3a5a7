/* conv2d.c - instantiates the forward convolution driver for float and double. */
#include <string.h>

#include "dispatch.h"
#include "pack.h"
#include "winograd.h"

#define CC_TEMPLATE "conv2d.template.c"
#include "instantiate_types.h"

cc_status cc_conv2d_cached_f32(const cc_conv2d_desc *desc, const float *x,
                               const int64_t x_shape[4], const int64_t x_strides[4],
                               const float *w, const int64_t w_shape[4],
                               const int64_t w_strides[4], const float *bias,
                               int64_t bias_stride, float *y, int n_threads, cc_wino_cache *cache)
{
    return conv2d_impl_f32(desc, x, x_shape, x_strides, w, w_shape, w_strides, bias,
                           bias_stride, y, n_threads, cache);
}
