/* conv2d_backward.c - instantiates the convolution gradients for float and double. */
#include "checked.h"
#include "dispatch.h"
#include "pack.h"

#define CC_TEMPLATE "conv2d_backward.template.c"
#include "instantiate_types.h"
