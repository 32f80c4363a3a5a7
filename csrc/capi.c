/* capi.c - the table of every public entry point, published to other extension modules
 * as the capsule convcore._core._C_API (see include/convcore/capi.h). */
#define CONVCORE_CAPI_IMPLEMENTATION
#include "convcore/capi.h"

static const cc_api_table table = {
    CONVCORE_API_VERSION,
    (uint32_t)sizeof(cc_api_table),
#define CC_API(ret, name, params, args) name,
#include "convcore/convcore_api.h"
#undef CC_API
};

const cc_api_table *cc_api_get(void) { return &table; }
