/* pool2d.c - instantiates the pooling drivers for float and double. */
#include <math.h>
#include <string.h>

#include "checked.h"
#include "dispatch.h"

#define CC_TEMPLATE "pool2d.template.c"
#include "instantiate_types.h"
