/* conv2d.c - instantiates the forward convolution driver for float and double. */
#include <string.h>

#include "dispatch.h"
#include "pack.h"
#include "winograd.h"

#define TYPE float
#define TYPE_SUFFIX f32
#include "conv2d.template.c"
#undef TYPE
#undef TYPE_SUFFIX

#define TYPE double
#define TYPE_SUFFIX f64
#include "conv2d.template.c"
#undef TYPE
#undef TYPE_SUFFIX
