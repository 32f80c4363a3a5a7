/* target_base.c - kernels for the platform baseline (SSE2 on x86-64, NEON on aarch64):
 * portable C that the compiler vectorises. */
#include "../dispatch.h"

#define CC_TARGET base
#define CC_TARGET_ID CC_TARGET_BASE
#define CC_VBYTES 16

#define CC_MR_F32 4
#define CC_VW_F32 4
#define CC_NR_F32 8
#define CC_NV_F32 2
#define CC_NVW_F32 2
#define CC_MR_WIDE_F32 CC_MR_F32
#define CC_MR_F64 4
#define CC_VW_F64 2
#define CC_NR_F64 4
#define CC_NV_F64 2
#define CC_NVW_F64 2
#define CC_MR_WIDE_F64 CC_MR_F64

#include "planes_generic.inc.c"

#define TYPE float
#define TYPE_SUFFIX f32
#define MR CC_MR_F32
#define CC_VW CC_VW_F32
#define CC_NVMAX CC_NV_F32
#define CC_NVWIDE CC_NV_F32
#include "gemm_generic.template.c"
#include "simd_vocab_undef.h"

#define TYPE double
#define TYPE_SUFFIX f64
#define MR CC_MR_F64
#define CC_VW CC_VW_F64
#define CC_NVMAX CC_NV_F64
#define CC_NVWIDE CC_NV_F64
#include "gemm_generic.template.c"
#include "simd_vocab_undef.h"

#include "target.inc.c"
