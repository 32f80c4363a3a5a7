/* pool2d_backward.c - instantiates the pooling gradients for float and double. */
#include <string.h>

#include "checked.h"
#include "pool_window.h"

#define CC_TEMPLATE "pool2d_backward.template.c"
#include "instantiate_types.h"
