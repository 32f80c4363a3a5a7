/* kernel_table.template.c - the peak-rate loop and the dispatch table (cc_kernels in
 * dispatch.h) of one SIMD target: fma_loop__<target> and cc_kernels__<target>. Included
 * last by each target_<isa>.c, after it has set CC_TARGET, CC_TARGET_ID, CC_VBYTES and
 * the GEMM tile (CC_MR_F32, CC_NR_F32, CC_VW_F32, CC_NV_F32, CC_NVW_F32, CC_MR_WIDE_F32
 * and the F64 set; CC_TAIL_ROWS where it has gemm_tail kernels) and instantiated the
 * templates: each SIMD template announces itself (CC_HAS_PLANE_SIMD, CC_HAS_WGRAD,
 * CC_HAS_WINOGRAD), so the table lists exactly the kernels that exist. */
/* Peak-rate loop: 12 independent multiply-add chains of the target's vector width, enough
 * to cover FMA latency on two pipes. GCC/clang vector extensions; a scalar loop elsewhere. */
#if defined(__GNUC__)
typedef float CC_CAT(cc_vf__, CC_TARGET) __attribute__((vector_size(CC_VBYTES)));
static double CC_CAT(fma_loop__, CC_TARGET)(int64_t iters, float *acc_out)
{
    typedef CC_CAT(cc_vf__, CC_TARGET) vf;
    enum { L = CC_VBYTES / 4 };
    vf a[12], a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, m, c;
    /* distinct starting values read from memory, so no two chains can be merged */
    for (int k = 0; k < 12; ++k)
        for (int i = 0; i < L; ++i) a[k][i] = acc_out[(k * L + i) % CC_PEAK_LANES];
    for (int i = 0; i < L; ++i) { m[i] = 0.999999f; c[i] = 1e-7f; }
    a0 = a[0]; a1 = a[1]; a2 = a[2]; a3 = a[3]; a4 = a[4]; a5 = a[5];
    a6 = a[6]; a7 = a[7]; a8 = a[8]; a9 = a[9]; a10 = a[10]; a11 = a[11];
    for (int64_t it = 0; it < iters; ++it) {
        a0 = a0 * m + c; a1 = a1 * m + c; a2 = a2 * m + c; a3 = a3 * m + c;
        a4 = a4 * m + c; a5 = a5 * m + c; a6 = a6 * m + c; a7 = a7 * m + c;
        a8 = a8 * m + c; a9 = a9 * m + c; a10 = a10 * m + c; a11 = a11 * m + c;
    }
    vf sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    for (int i = 0; i < L && i < CC_PEAK_LANES; ++i) acc_out[i] = sum[i];
    return 2.0 * 12.0 * (double)L * (double)iters;
}
#else
static double CC_CAT(fma_loop__, CC_TARGET)(int64_t iters, float *acc_out)
{
    float acc[48];
    for (int i = 0; i < 48; ++i) acc[i] = acc_out[i];
    for (int64_t it = 0; it < iters; ++it)
        for (int i = 0; i < 48; ++i) acc[i] = acc[i] * 0.999999f + 1e-7f;
    for (int i = 0; i < 48; ++i) acc_out[i] = acc[i];
    return 2.0 * 48.0 * (double)iters;
}
#endif

#define CC_KNAME(kind, type, tile) kind "_" type tile "__" CC_STR(CC_TARGET)
#define CC_TILE(mr, nr) "_" CC_STR(mr) "x" CC_STR(nr)
#if CC_NR_F32 != CC_NV_F32 * CC_VW_F32 || CC_NR_F64 != CC_NV_F64 * CC_VW_F64
#error "GEMM tile: NR must be NV * VW"
#endif
#define CC_T(name) CC_CAT(name, CC_CAT(__, CC_TARGET))
/* {kind1_suffix, .., kind<n>_suffix} padded with NULL to CC_GEMM_NV_MAX entries */
#define CC_NV1(kind, sfx) CC_T(CC_CAT(CC_CAT(kind, 1), sfx))
#define CC_NV2(kind, sfx) CC_NV1(kind, sfx), CC_T(CC_CAT(CC_CAT(kind, 2), sfx))
#define CC_NV3(kind, sfx) CC_NV2(kind, sfx), CC_T(CC_CAT(CC_CAT(kind, 3), sfx))
#define CC_NV4(kind, sfx) CC_NV3(kind, sfx), CC_T(CC_CAT(CC_CAT(kind, 4), sfx))
#define CC_UPTO(n, kind, sfx) {CC_CAT(CC_NV, n)(kind, sfx)}
#if defined(CC_HAS_PLANE_SIMD)
#define CC_PLANE(name, suffix) CC_T(CC_CAT(CC_CAT(name, _simd), suffix))
#define CC_PLANE_KIND(kind) kind "_simd"
#else
#define CC_PLANE(name, suffix) CC_T(CC_CAT(name, suffix))
#define CC_PLANE_KIND(kind) kind
#endif
#if defined(CC_HAS_WGRAD)
#define CC_WG_TABLE                                                                          \
    {0, CC_WG_CB(1), CC_WG_CB(2), CC_WG_CB(3), CC_WG_CB(4), CC_WG_CB(5), CC_WG_CB(6),        \
     CC_WG_CB(7)}
#endif

const cc_kernels CC_CAT(cc_kernels__, CC_TARGET) = {
    .target = CC_TARGET_ID,
    .name = {
        [CC_KERNEL_GEMM_F32] = CC_KNAME("gemm", "f32", CC_TILE(CC_MR_F32, CC_NR_F32)),
        [CC_KERNEL_GEMM_F64] = CC_KNAME("gemm", "f64", CC_TILE(CC_MR_F64, CC_NR_F64)),
        [CC_KERNEL_DEPTHWISE_F32] = CC_KNAME(CC_PLANE_KIND("depthwise_direct"), "f32", ""),
        [CC_KERNEL_DEPTHWISE_F64] = CC_KNAME(CC_PLANE_KIND("depthwise_direct"), "f64", ""),
        [CC_KERNEL_MAX_POOL_F32] = CC_KNAME(CC_PLANE_KIND("max_pool_direct"), "f32", ""),
        [CC_KERNEL_MAX_POOL_F64] = CC_KNAME(CC_PLANE_KIND("max_pool_direct"), "f64", ""),
        [CC_KERNEL_AVG_POOL_F32] = CC_KNAME(CC_PLANE_KIND("avg_pool_direct"), "f32", ""),
        [CC_KERNEL_AVG_POOL_F64] = CC_KNAME(CC_PLANE_KIND("avg_pool_direct"), "f64", ""),
#if defined(CC_HAS_WGRAD)
        [CC_KERNEL_WEIGHT_GRAD_F32] = CC_KNAME("wgrad_direct", "f32", ""),
        [CC_KERNEL_WEIGHT_GRAD_F64] = CC_KNAME("wgrad_direct", "f64", ""),
#else
        [CC_KERNEL_WEIGHT_GRAD_F32] = "none",
        [CC_KERNEL_WEIGHT_GRAD_F64] = "none",
#endif
#if defined(CC_HAS_WINOGRAD)
        [CC_KERNEL_WINOGRAD_F32] = CC_KNAME("winograd_f4x4_3x3", "f32", ""),
        [CC_KERNEL_WINOGRAD2_F32] = CC_KNAME("winograd_f2x2_3x3", "f32", ""),
#else
        [CC_KERNEL_WINOGRAD_F32] = "none",
        [CC_KERNEL_WINOGRAD2_F32] = "none",
#endif
    },
    .gemm_f32 = {.fn = CC_T(gemm_ukr_f32), .mr = CC_MR_F32, .nr = CC_NR_F32},
    .gemm_f64 = {.fn = CC_T(gemm_ukr_f64), .mr = CC_MR_F64, .nr = CC_NR_F64},
    .gemm_sp_f32 = {
        .fn = CC_UPTO(CC_NVW_F32, gemm_sp, _f32),
        .ind = CC_UPTO(CC_NVW_F32, gemm_ind, _f32),
        .pack = CC_T(pack_seg_f32),
        .mr = CC_MR_F32, .vw = CC_VW_F32, .nv = CC_NV_F32,
        .nv_wide = CC_NVW_F32, .mr_wide = CC_MR_WIDE_F32,
#if defined(CC_TAIL_ROWS)
        .tail = CC_UPTO(3, gemm_tail, _f32), .mr_tail = CC_TAIL_ROWS,
#endif
    },
    .gemm_sp_f64 = {
        .fn = CC_UPTO(CC_NVW_F64, gemm_sp, _f64),
        .ind = CC_UPTO(CC_NVW_F64, gemm_ind, _f64),
        .pack = CC_T(pack_seg_f64),
        .mr = CC_MR_F64, .vw = CC_VW_F64, .nv = CC_NV_F64,
        .nv_wide = CC_NVW_F64, .mr_wide = CC_MR_WIDE_F64,
#if defined(CC_TAIL_ROWS)
        .tail = CC_UPTO(3, gemm_tail, _f64), .mr_tail = CC_TAIL_ROWS,
#endif
    },
    .depthwise_f32 = CC_PLANE(depthwise_plane, _f32),
    .depthwise_f64 = CC_PLANE(depthwise_plane, _f64),
    .max_pool_f32 = CC_PLANE(max_plane, _f32),
    .max_pool_f64 = CC_PLANE(max_plane, _f64),
    .avg_pool_f32 = CC_PLANE(avg_plane, _f32),
    .avg_pool_f64 = CC_PLANE(avg_plane, _f64),
#if defined(CC_HAS_WGRAD)
    .wgrad_f32 = {.fn = CC_T(wgrad_f32), .vw = CC_VW_F32, .cb = CC_WG_TABLE},
    .wgrad_f64 = {.fn = CC_T(wgrad_f64), .vw = CC_VW_F64, .cb = CC_WG_TABLE},
#endif
#if defined(CC_HAS_WINOGRAD)
    .winograd_f32 = {.in = CC_T(wino_in_f32), .out = CC_T(wino_out_f32), .tr = CC_T(wino_tr_f32),
                     .in2 = CC_T(wino2_in_f32), .out2 = CC_T(wino2_out_f32),
                     .filter2 = CC_T(wino2_filter_f32)},
#endif
    .fma_loop = CC_CAT(fma_loop__, CC_TARGET),
};
