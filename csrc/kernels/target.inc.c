/* target.inc.c - the peak-rate loop and the dispatch table of one SIMD target. The
 * including target_*.c file has set CC_TARGET, CC_TARGET_ID, CC_VBYTES, the GEMM tile
 * (CC_MR_F32, CC_NR_F32, CC_VW_F32, CC_NV_F32 and the F64 set), instantiated the generic
 * plane kernels (planes_generic.inc.c) and the GEMM kernels, and, with CC_PLANE_SIMD, the
 * SIMD plane kernels (plane_simd.template.c) that the table then lists instead. */
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
#define CC_SP(nv, suffix) CC_T(CC_CAT(CC_CAT(gemm_sp, nv), suffix))
#if CC_NVW_F32 == 1
#define CC_SP_F32 {CC_SP(1, _f32), NULL, NULL, NULL}
#elif CC_NVW_F32 == 2
#define CC_SP_F32 {CC_SP(1, _f32), CC_SP(2, _f32), NULL, NULL}
#elif CC_NVW_F32 == 3
#define CC_SP_F32 {CC_SP(1, _f32), CC_SP(2, _f32), CC_SP(3, _f32), NULL}
#else
#define CC_SP_F32 {CC_SP(1, _f32), CC_SP(2, _f32), CC_SP(3, _f32), CC_SP(4, _f32)}
#endif
#if CC_NVW_F64 == 1
#define CC_SP_F64 {CC_SP(1, _f64), NULL, NULL, NULL}
#elif CC_NVW_F64 == 2
#define CC_SP_F64 {CC_SP(1, _f64), CC_SP(2, _f64), NULL, NULL}
#elif CC_NVW_F64 == 3
#define CC_SP_F64 {CC_SP(1, _f64), CC_SP(2, _f64), CC_SP(3, _f64), NULL}
#else
#define CC_SP_F64 {CC_SP(1, _f64), CC_SP(2, _f64), CC_SP(3, _f64), CC_SP(4, _f64)}
#endif
#define CC_IND(nv, suffix) CC_T(CC_CAT(CC_CAT(gemm_ind, nv), suffix))
#if CC_NVW_F32 == 1
#define CC_IND_F32 {CC_IND(1, _f32), NULL, NULL, NULL}
#elif CC_NVW_F32 == 2
#define CC_IND_F32 {CC_IND(1, _f32), CC_IND(2, _f32), NULL, NULL}
#elif CC_NVW_F32 == 3
#define CC_IND_F32 {CC_IND(1, _f32), CC_IND(2, _f32), CC_IND(3, _f32), NULL}
#else
#define CC_IND_F32 {CC_IND(1, _f32), CC_IND(2, _f32), CC_IND(3, _f32), CC_IND(4, _f32)}
#endif
#if CC_NVW_F64 == 1
#define CC_IND_F64 {CC_IND(1, _f64), NULL, NULL, NULL}
#elif CC_NVW_F64 == 2
#define CC_IND_F64 {CC_IND(1, _f64), CC_IND(2, _f64), NULL, NULL}
#elif CC_NVW_F64 == 3
#define CC_IND_F64 {CC_IND(1, _f64), CC_IND(2, _f64), CC_IND(3, _f64), NULL}
#else
#define CC_IND_F64 {CC_IND(1, _f64), CC_IND(2, _f64), CC_IND(3, _f64), CC_IND(4, _f64)}
#endif
#if defined(CC_TAIL_ROWS)
#define CC_TAIL(nv, suffix) CC_T(CC_CAT(CC_CAT(gemm_tail, nv), suffix))
#define CC_TAIL_TABLE(suffix)                                                                \
    {CC_TAIL(1, suffix), CC_TAIL(2, suffix), CC_TAIL(3, suffix), NULL}, CC_TAIL_ROWS
#else
#define CC_TAIL_TABLE(suffix) {NULL, NULL, NULL, NULL}, 0
#endif
#if defined(CC_PLANE_SIMD)
#define CC_PLANE(name, suffix) CC_T(CC_CAT(CC_CAT(name, _simd), suffix))
#define CC_PLANE_KIND(kind) kind "_simd"
#else
#define CC_PLANE(name, suffix) CC_T(CC_CAT(name, suffix))
#define CC_PLANE_KIND(kind) kind
#endif

const cc_kernels CC_CAT(cc_kernels__, CC_TARGET) = {
    CC_TARGET_ID,
    {CC_T(gemm_ukr_f32), CC_MR_F32, CC_NR_F32,
     CC_KNAME("gemm", "f32", CC_TILE(CC_MR_F32, CC_NR_F32))},
    {CC_T(gemm_ukr_f64), CC_MR_F64, CC_NR_F64,
     CC_KNAME("gemm", "f64", CC_TILE(CC_MR_F64, CC_NR_F64))},
    {CC_SP_F32, CC_IND_F32, CC_T(pack_seg_f32), CC_MR_F32, CC_VW_F32, CC_NV_F32, CC_NVW_F32,
     CC_MR_WIDE_F32, CC_TAIL_TABLE(_f32)},
    {CC_SP_F64, CC_IND_F64, CC_T(pack_seg_f64), CC_MR_F64, CC_VW_F64, CC_NV_F64, CC_NVW_F64,
     CC_MR_WIDE_F64, CC_TAIL_TABLE(_f64)},
    {CC_PLANE(dw_plane, _f32), CC_KNAME(CC_PLANE_KIND("depthwise_direct"), "f32", "")},
    {CC_PLANE(dw_plane, _f64), CC_KNAME(CC_PLANE_KIND("depthwise_direct"), "f64", "")},
    {CC_PLANE(max_plane, _f32), CC_KNAME(CC_PLANE_KIND("max_pool_direct"), "f32", "")},
    {CC_PLANE(max_plane, _f64), CC_KNAME(CC_PLANE_KIND("max_pool_direct"), "f64", "")},
    {CC_PLANE(avg_plane, _f32), CC_KNAME(CC_PLANE_KIND("avg_pool_direct"), "f32", "")},
    {CC_PLANE(avg_plane, _f64), CC_KNAME(CC_PLANE_KIND("avg_pool_direct"), "f64", "")},
#if defined(CC_WG_REGS)
#define CC_WG_TABLE                                                                          \
    {0, CC_WG_CB(1), CC_WG_CB(2), CC_WG_CB(3), CC_WG_CB(4), CC_WG_CB(5), CC_WG_CB(6),        \
     CC_WG_CB(7)}
    {CC_T(wgrad_f32), CC_VW_F32, CC_WG_TABLE, CC_KNAME("wgrad_direct", "f32", "")},
    {CC_T(wgrad_f64), CC_VW_F64, CC_WG_TABLE, CC_KNAME("wgrad_direct", "f64", "")},
#else
    {NULL, 0, {0}, "none"},
    {NULL, 0, {0}, "none"},
#endif
#if defined(CC_WG_REGS)
    {CC_T(wino_in_f32), CC_T(wino_out_f32), CC_T(wino_tr_f32),
     CC_KNAME("winograd_f4x4_3x3", "f32", ""), CC_T(wino2_in_f32), CC_T(wino2_out_f32),
     CC_T(wino2_filter_f32), CC_KNAME("winograd_f2x2_3x3", "f32", "")},
#else
    {NULL, NULL, NULL, "none", NULL, NULL, NULL, "none"},
#endif
    CC_CAT(fma_loop__, CC_TARGET),
};
