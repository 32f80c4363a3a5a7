/* target_avx2.c - kernels for AVX2 + FMA (compiled with -mavx2 -mfma or /arch:AVX2). */
#define CC_TARGET avx2
#define CC_TARGET_ID CC_TARGET_AVX2
#define CC_VBYTES 32
#define CC_MR_F32 6
#define CC_NR_F32 16
#define CC_MR_F64 6
#define CC_NR_F64 8
#include "target.inc.c"
