/* pool2d_backward.c - instantiates the pooling gradients for float and double. */
#include <string.h>

#include "pool_window.h"

#define TYPE float
#define TYPE_SUFFIX f32
#include "pool2d_backward.template.c"
#undef TYPE
#undef TYPE_SUFFIX

#define TYPE double
#define TYPE_SUFFIX f64
#include "pool2d_backward.template.c"
#undef TYPE
#undef TYPE_SUFFIX
