/* pool2d.c - instantiates the pooling drivers for float and double. */
#include <math.h>
#include <string.h>

#include "dispatch.h"

#define TYPE float
#define TYPE_SUFFIX f32
#include "pool2d.template.c"
#undef TYPE
#undef TYPE_SUFFIX

#define TYPE double
#define TYPE_SUFFIX f64
#include "pool2d.template.c"
#undef TYPE
#undef TYPE_SUFFIX
