/* instantiate_types.h - includes the template named by CC_TEMPLATE (a string) twice: for
 * TYPE float (TYPE_SUFFIX f32, so CC_FN(name) is name_f32) and for TYPE double (f64).
 * Each driver file (conv2d.c, pool2d.c, ...) is its template's one instantiation:
 *     #define CC_TEMPLATE "pool2d.template.c"
 *     #include "instantiate_types.h"
 * No include guard: it is meant to be included once per template. */
#define TYPE float
#define TYPE_SUFFIX f32
#include CC_TEMPLATE
#undef TYPE
#undef TYPE_SUFFIX

#define TYPE double
#define TYPE_SUFFIX f64
#include CC_TEMPLATE
#undef TYPE
#undef TYPE_SUFFIX
#undef CC_TEMPLATE
