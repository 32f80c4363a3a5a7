/* conv2d.c - instantiates the forward convolution driver for float and double. */
#include <string.h>

#include "checked.h"
#include "dispatch.h"
#include "pack.h"
#include "winograd.h"

#define CC_TEMPLATE "conv2d.template.c"
#include "instantiate_types.h"
