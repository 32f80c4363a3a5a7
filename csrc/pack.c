/* pack.c - instantiates pack.template.c for float and double. */
#include "pack.h"

#define TYPE float
#define TYPE_SUFFIX f32
#include "pack.template.c"
#undef TYPE
#undef TYPE_SUFFIX

#define TYPE double
#define TYPE_SUFFIX f64
#include "pack.template.c"
#undef TYPE
#undef TYPE_SUFFIX
