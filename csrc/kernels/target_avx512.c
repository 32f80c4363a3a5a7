/* target_avx512.c - the AVX-512 F/BW/DQ/VL kernels (compiled with -mavx512f -mavx512bw
 * -mavx512dq -mavx512vl or /arch:AVX512): the kernel templates instantiated for float and
 * double over the vocabulary of simd_avx512.h, then this target's dispatch table. */
#include "simd_avx512.h"

#include "simd_avx512_f32.h"
#include "plane_generic.template.c"
#include "gemm_simd.template.c"
#include "plane_simd.template.c"
#include "wgrad_simd.template.c"
#include "winograd_simd.template.c"
#include "simd_vocab_undef.h"

#include "simd_avx512_f64.h"
#include "plane_generic.template.c"
#include "gemm_simd.template.c"
#include "plane_simd.template.c"
#include "wgrad_simd.template.c"
#include "simd_vocab_undef.h"

#include "kernel_table.template.c"
