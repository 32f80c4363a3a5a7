/* target_avx512.c - kernels for AVX-512 F/BW/DQ/VL (compiled with -mavx512f -mavx512bw
 * -mavx512dq -mavx512vl or /arch:AVX512). */
#define CC_TARGET avx512
#define CC_TARGET_ID CC_TARGET_AVX512
#define CC_VBYTES 64
#define CC_MR_F32 8
#define CC_NR_F32 32
#define CC_MR_F64 8
#define CC_NR_F64 16
#include "target.inc.c"
