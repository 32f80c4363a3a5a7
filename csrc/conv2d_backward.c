/* conv2d_backward.c - instantiates the convolution gradients for float and double. */
#include "dispatch.h"
#include "pack.h"

#define TYPE float
#define TYPE_SUFFIX f32
#include "conv2d_backward.template.c"
#undef TYPE
#undef TYPE_SUFFIX

#define TYPE double
#define TYPE_SUFFIX f64
#include "conv2d_backward.template.c"
#undef TYPE
#undef TYPE_SUFFIX
