/* target_base.c - kernels for the platform baseline (SSE2 on x86-64, NEON on aarch64). */
#define CC_TARGET base
#define CC_TARGET_ID CC_TARGET_BASE
#define CC_VBYTES 16
#define CC_MR_F32 4
#define CC_NR_F32 8
#define CC_MR_F64 4
#define CC_NR_F64 4
#include "target.inc.c"
