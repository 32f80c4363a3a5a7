/* planes_generic.inc.c - instantiates the generic plane kernels (kernels.template.c) for
 * float and double under the including target's flags. */
#include <math.h>

#define TYPE float
#define TYPE_SUFFIX f32
#include "kernels.template.c"
#undef TYPE
#undef TYPE_SUFFIX

#define TYPE double
#define TYPE_SUFFIX f64
#include "kernels.template.c"
#undef TYPE
#undef TYPE_SUFFIX

