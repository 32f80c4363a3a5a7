/* pack.c - instantiates pack.template.c for float and double. */
#include "pack.h"

#define CC_TEMPLATE "pack.template.c"
#include "instantiate_types.h"
