/* capi.c - the table of every public entry point, published to other extension modules
 * as the capsule convcore._core._C_API (see include/convcore/capi.h). */
#define CONVCORE_CAPI_IMPLEMENTATION
#include "convcore/capi.h"

static const cc_api_table table = {
    CONVCORE_API_VERSION,
    (uint32_t)sizeof(cc_api_table),
    cc_status_string,
    cc_conv2d_output_size,
    cc_conv2d_check,
    cc_conv2d_f32,
    cc_conv2d_f64,
    cc_conv2d_backward_f32,
    cc_conv2d_backward_f64,
    cc_pool2d_output_size,
    cc_pool2d_check,
    cc_max_pool2d_f32,
    cc_max_pool2d_f64,
    cc_avg_pool2d_f32,
    cc_avg_pool2d_f64,
    cc_max_pool2d_backward_f32,
    cc_max_pool2d_backward_f64,
    cc_avg_pool2d_backward_f32,
    cc_avg_pool2d_backward_f64,
    cc_global_avg_pool2d_f32,
    cc_global_avg_pool2d_f64,
    cc_global_max_pool2d_f32,
    cc_global_max_pool2d_f64,
    cc_target_name,
    cc_target_compiled,
    cc_target_supported,
    cc_get_target,
    cc_set_target,
    cc_kernel_name,
    cc_cpu_features,
    cc_openmp_enabled,
    cc_max_threads,
    cc_compiler,
};

const cc_api_table *cc_api_get(void) { return &table; }
