/* shape.h - per-axis output-size helpers shared by the drivers (see shape.c). */
#ifndef CONVCORE_SHAPE_H
#define CONVCORE_SHAPE_H
#include "convcore/convcore.h"

cc_status cc_conv_axis_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_a,
                            int64_t pad_b, int64_t dilation, int64_t *out);
cc_status cc_pool_axis_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_a,
                            int64_t pad_b, int64_t dilation, int ceil_mode, int64_t *out);
#endif
