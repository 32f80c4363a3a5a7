/* test_kernels.c - the kernel tests' entry point: for every compiled target this CPU
 * runs, its dispatch table taken directly (not through the drivers, whose tiling decides
 * which kernel a public call reaches), the slot names checked against the pointers, every
 * non-NULL slot called against the references of ref/ref_kernels.c (one file per family:
 * test_kernels_gemm.c, _plane.c, _wgrad.c, _winograd.c), and a summary line per target. */
#include <math.h>
#include <string.h>

#include "test_kernels.h"
#include "test_kernels_util.h"

typedef struct tk_target {
    int id;
    const cc_kernels *k;
} tk_target;

/* Slot names: each non-NULL, non-empty, the target's suffix or "none"; "none" exactly
 * where the slot's function pointers are NULL. */
static void check_names(const cc_kernels *k, const char *tname)
{
    char suffix[32];
    snprintf(suffix, sizeof(suffix), "__%s", tname);
    for (int s = 0; s < CC_KERNEL_COUNT; ++s) {
        const char *n = k->name[s];
        CHECK(n && n[0], "[%s] slot %d has no name", tname, s);
        if (!n || !n[0]) continue;
        CHECK(strcmp(n, "none") == 0 || strstr(n, suffix) != NULL,
              "[%s] slot %d is named %s, without %s", tname, s, n, suffix);
    }
    /* the pointers of each slot: all of them set, or (named "none") all NULL */
    struct { int slot, count; int set[3]; } m[] = {
        {CC_KERNEL_GEMM_F32, 3, {k->gemm_f32.fn != NULL, k->gemm_sp_f32.fn[0] != NULL,
                                 k->gemm_sp_f32.pack != NULL}},
        {CC_KERNEL_GEMM_F64, 3, {k->gemm_f64.fn != NULL, k->gemm_sp_f64.fn[0] != NULL,
                                 k->gemm_sp_f64.pack != NULL}},
        {CC_KERNEL_DEPTHWISE_F32, 1, {k->depthwise_f32 != NULL}},
        {CC_KERNEL_DEPTHWISE_F64, 1, {k->depthwise_f64 != NULL}},
        {CC_KERNEL_MAX_POOL_F32, 1, {k->max_pool_f32 != NULL}},
        {CC_KERNEL_MAX_POOL_F64, 1, {k->max_pool_f64 != NULL}},
        {CC_KERNEL_AVG_POOL_F32, 1, {k->avg_pool_f32 != NULL}},
        {CC_KERNEL_AVG_POOL_F64, 1, {k->avg_pool_f64 != NULL}},
        {CC_KERNEL_WEIGHT_GRAD_F32, 1, {k->wgrad_f32.fn != NULL}},
        {CC_KERNEL_WEIGHT_GRAD_F64, 1, {k->wgrad_f64.fn != NULL}},
        {CC_KERNEL_WINOGRAD_F32, 3, {k->winograd_f32.in != NULL, k->winograd_f32.out != NULL,
                                     k->winograd_f32.tr != NULL}},
        {CC_KERNEL_WINOGRAD2_F32, 3, {k->winograd_f32.in2 != NULL, k->winograd_f32.out2 != NULL,
                                      k->winograd_f32.filter2 != NULL}},
    };
    int covered[CC_KERNEL_COUNT] = {0};
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); ++i) {
        const int s = m[i].slot;
        covered[s] = 1;
        const int none = k->name[s] && strcmp(k->name[s], "none") == 0;
        for (int j = 0; j < m[i].count; ++j)
            CHECK(m[i].set[j] == !none, "[%s] slot %s: pointer %d is %s", tname,
                  k->name[s] ? k->name[s] : "(null)", j, m[i].set[j] ? "set" : "NULL");
    }
    for (int s = 0; s < CC_KERNEL_COUNT; ++s)
        CHECK(covered[s], "[%s] slot %d: the test does not know its pointers", tname, s);
    CHECK(k->fma_loop != NULL, "[%s] no fma_loop", tname);

    /* the GEMM tiles: fn[v] and ind[v] set exactly for v < nv_wide, tails from 0 on */
    const int nvw32 = k->gemm_sp_f32.nv_wide, nvw64 = k->gemm_sp_f64.nv_wide;
    CHECK(k->gemm_sp_f32.nv >= 1 && k->gemm_sp_f32.nv <= nvw32 && nvw32 <= CC_GEMM_NV_MAX &&
              k->gemm_sp_f64.nv >= 1 && k->gemm_sp_f64.nv <= nvw64 && nvw64 <= CC_GEMM_NV_MAX,
          "[%s] gemm_sp nv %d/%d, nv_wide %d/%d", tname, k->gemm_sp_f32.nv, k->gemm_sp_f64.nv,
          nvw32, nvw64);
    CHECK(k->gemm_f32.nr == k->gemm_sp_f32.nv * k->gemm_sp_f32.vw &&
              k->gemm_f64.nr == k->gemm_sp_f64.nv * k->gemm_sp_f64.vw,
          "[%s] gemm nr != nv * vw", tname);
    for (int v = 0; v < CC_GEMM_NV_MAX; ++v) {
        CHECK((k->gemm_sp_f32.fn[v] != NULL) == (v < nvw32) &&
                  (k->gemm_sp_f32.ind[v] != NULL) == (v < nvw32) &&
                  (k->gemm_sp_f64.fn[v] != NULL) == (v < nvw64) &&
                  (k->gemm_sp_f64.ind[v] != NULL) == (v < nvw64),
              "[%s] gemm_sp fn/ind[%d] against nv_wide", tname, v);
        if (v > 0)
            CHECK((!k->gemm_sp_f32.tail[v] || k->gemm_sp_f32.tail[v - 1]) &&
                      (!k->gemm_sp_f64.tail[v] || k->gemm_sp_f64.tail[v - 1]),
                  "[%s] gemm tail[%d] without tail[%d]", tname, v, v - 1);
    }
    CHECK((k->gemm_sp_f32.tail[0] != NULL) == (k->gemm_sp_f32.mr_tail > 0) &&
              (k->gemm_sp_f64.tail[0] != NULL) == (k->gemm_sp_f64.mr_tail > 0),
          "[%s] gemm tail kernels against mr_tail", tname);
    if (k->wgrad_f32.fn || k->wgrad_f64.fn)
        CHECK(k->wgrad_f32.cb[0] == 0 && k->wgrad_f64.cb[0] == 0, "[%s] wgrad cb[0] != 0", tname);
}

/* fma_loop: the documented flop count (12 chains of the target's float vector, two flops
 * per step), acc changed as those chains say, the same bits twice. */
static void check_fma_loop(const cc_kernels *k, const char *tname)
{
    static float acc[CC_PEAK_LANES], acc2[CC_PEAK_LANES], start[CC_PEAK_LANES];
    for (int i = 0; i < CC_PEAK_LANES; ++i) start[i] = acc[i] = acc2[i] = (float)(0.5 + 0.25 * tk_rnd());
    const int64_t iters = 100;
    const double flops = k->fma_loop(iters, acc);
    k->fma_loop(iters, acc2);
#if defined(__GNUC__)
    const int lanes = k->gemm_sp_f32.vw; /* vector extensions: 12 chains of the float vector */
    CHECK(flops == 2.0 * 12.0 * lanes * (double)iters, "[%s] fma_loop returned %g flops for %lld iterations",
          tname, flops, (long long)iters);
#else
    const int lanes = 48; /* the scalar loop: 48 chains of one lane */
    CHECK(flops == 2.0 * 48.0 * (double)iters, "[%s] fma_loop returned %g flops for %lld iterations",
          tname, flops, (long long)iters);
#endif
    CHECK(memcmp(acc, acc2, sizeof(acc)) == 0, "[%s] fma_loop: two runs differ", tname);
    /* lane i: the sum over the chains c of a -> a * 0.999999 + 1e-7 from start[c * L + i]
     * (the scalar loop: chain i alone) */
    int changed = 0, near = 1;
    for (int i = 0; i < lanes; ++i) {
        double want = 0;
#if defined(__GNUC__)
        for (int c = 0; c < 12; ++c) {
            double a = start[(c * lanes + i) % CC_PEAK_LANES];
#else
        {
            double a = start[i];
#endif
            for (int64_t it = 0; it < iters; ++it) a = a * (double)0.999999f + (double)1e-7f;
            want += a;
        }
        changed |= acc[i] != start[i];
        near &= fabs(acc[i] - want) <= 1e-5 * fabs(want);
    }
    CHECK(changed && near, "[%s] fma_loop: acc %s", tname, changed ? "not the chains' sums" : "unchanged");
    int rest = 1; /* the lanes past the chains' are left alone */
    for (int i = lanes; i < CC_PEAK_LANES; ++i) rest &= acc[i] == start[i];
    CHECK(rest, "[%s] fma_loop wrote past its %d lanes", tname, lanes);
}

void test_kernels(void)
{
    tk_target ts[CC_TARGET_COUNT];
    int nt = 0;
    ts[nt].id = CC_TARGET_BASE;
    ts[nt++].k = &cc_kernels__base;
#if defined(CC_HAVE_AVX2)
    ts[nt].id = CC_TARGET_AVX2;
    ts[nt++].k = &cc_kernels__avx2;
#endif
#if defined(CC_HAVE_AVX512)
    ts[nt].id = CC_TARGET_AVX512;
    ts[nt++].k = &cc_kernels__avx512;
#endif
    for (int i = 0; i < nt; ++i) {
        const char *tname = cc_target_name(ts[i].id);
        if (!cc_target_supported(ts[i].id)) {
            printf("kernels [%s]: compiled, not supported by this CPU: skipped\n", tname);
            continue;
        }
        const cc_kernels *k = ts[i].k;
        const int p0 = cc_test_passed, f0 = cc_test_failed;
        CHECK(k->target == ts[i].id, "[%s] the table says target %d", tname, k->target);
        check_names(k, tname);
        check_fma_loop(k, tname);
        tk_tally gemm = {0}, plane = {0}, wgrad = {0}, wino = {0};
        tk_gemm(k, tname, &gemm);
        tk_plane(k, tname, &plane);
        tk_wgrad(k, tname, &wgrad);
        tk_winograd(k, tname, &wino);
        printf("kernels [%s]: %d checks, %d failed; calls: gemm %ld, plane %ld, wgrad %ld, "
               "winograd %ld\n",
               tname, (cc_test_passed - p0) + (cc_test_failed - f0), cc_test_failed - f0,
               gemm.calls, plane.calls, wgrad.calls, wino.calls);
    }
}
