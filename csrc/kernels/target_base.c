/* target_base.c - the platform baseline's kernels (compiled with the platform's default
 * flags): the GEMM, weight-gradient and Winograd templates over SSE2 (x86-64) or NEON
 * (aarch64) intrinsics, the portable C GEMM elsewhere, and the generic plane kernels;
 * then this target's dispatch table. See simd_base.h. */
#include "simd_base.h"

#include "simd_base_f32.h"
#include "plane_generic.template.c"
#if defined(CC_BASE_SIMD)
#include "gemm_simd.template.c"
#include "wgrad_simd.template.c"
#include "winograd_simd.template.c"
#else
#include "gemm_generic.template.c"
#endif
#include "simd_vocab_undef.h"

#include "simd_base_f64.h"
#include "plane_generic.template.c"
#if defined(CC_BASE_SIMD)
#include "gemm_simd.template.c"
#include "wgrad_simd.template.c"
#else
#include "gemm_generic.template.c"
#endif
#include "simd_vocab_undef.h"

#include "kernel_table.template.c"
