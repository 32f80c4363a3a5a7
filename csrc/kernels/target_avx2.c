/* target_avx2.c - the AVX2 + FMA kernels (compiled with -mavx2 -mfma or /arch:AVX2): the
 * kernel templates instantiated for float and double over the vocabulary of simd_avx2.h,
 * then this target's dispatch table. */
#include "simd_avx2.h"

#include "simd_avx2_f32.h"
#include "plane_generic.template.c"
#include "gemm_simd.template.c"
#include "plane_simd.template.c"
#include "wgrad_simd.template.c"
#include "winograd_simd.template.c"
#include "simd_vocab_undef.h"

#include "simd_avx2_f64.h"
#include "plane_generic.template.c"
#include "gemm_simd.template.c"
#include "plane_simd.template.c"
#include "wgrad_simd.template.c"
#include "simd_vocab_undef.h"

#include "kernel_table.template.c"
