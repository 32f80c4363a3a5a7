/* dispatch.c - picks the kernel table once: best target the CPU supports, capped by
 * CONVCORE_CPU_TARGET; also the private test hooks that switch it. */
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "dispatch.h"

static const cc_kernels *compiled_table(int target)
{
    switch (target) {
    case CC_TARGET_BASE: return &cc_kernels__base;
#if defined(CC_HAVE_AVX2)
    case CC_TARGET_AVX2: return &cc_kernels__avx2;
#endif
#if defined(CC_HAVE_AVX512)
    case CC_TARGET_AVX512: return &cc_kernels__avx512;
#endif
    default: return NULL;
    }
}

const char *cc_target_name(int target)
{
    static const char *const names[CC_TARGET_COUNT] = {"base", "avx2", "avx512"};
    return (target >= 0 && target < CC_TARGET_COUNT) ? names[target] : NULL;
}

int cc_target_compiled(int target) { return compiled_table(target) != NULL; }

int cc_target_supported(int target)
{
    unsigned f = cc_cpu_detect();
    switch (target) {
    case CC_TARGET_BASE: return 1;
    case CC_TARGET_AVX2: return (f & CC_CPU_AVX2) && (f & CC_CPU_FMA);
    case CC_TARGET_AVX512: {
        unsigned need = CC_CPU_AVX512F | CC_CPU_AVX512BW | CC_CPU_AVX512DQ | CC_CPU_AVX512VL |
                        CC_CPU_AVX2 | CC_CPU_FMA;
        return (f & need) == need;
    }
    default: return 0;
    }
}

/* Written once at first use (the Python module triggers it at import) and by the
 * test hook; a plain pointer store of a value every racer computes alike. */
static const cc_kernels *volatile active = NULL;

static const cc_kernels *select_best(void)
{
    int cap = CC_TARGET_COUNT - 1;
    const char *env = getenv("CONVCORE_CPU_TARGET");
    if (env && *env) {
        for (int t = 0; t < CC_TARGET_COUNT; ++t)
            if (strcmp(env, cc_target_name(t)) == 0) cap = t;
    }
    for (int t = cap; t > 0; --t)
        if (cc_target_compiled(t) && cc_target_supported(t)) return compiled_table(t);
    return &cc_kernels__base;
}

const cc_kernels *cc_active_kernels(void)
{
    const cc_kernels *k = active;
    if (!k) {
        cc_fork_guard_init(); /* where no load-time constructor registered it */
        k = select_best();
        active = k;
    }
    return k;
}

int cc_get_target(void) { return cc_active_kernels()->target; }

cc_status cc_set_target(int target)
{
    if (!cc_target_compiled(target) || !cc_target_supported(target)) return CC_ERR_BAD_TARGET;
    active = compiled_table(target);
    return CC_OK;
}

const char *cc_kernel_name(int kernel)
{
    return (kernel >= 0 && kernel < CC_KERNEL_COUNT) ? cc_active_kernels()->name[kernel] : NULL;
}

const char *cc_kernel_slot_name(int kernel)
{
#define CC_SLOT_NAME_(id, name) #name,
    static const char *const slots[CC_KERNEL_COUNT] = {CC_KERNEL_SLOTS(CC_SLOT_NAME_)};
#undef CC_SLOT_NAME_
    return (kernel >= 0 && kernel < CC_KERNEL_COUNT) ? slots[kernel] : NULL;
}

int cc_openmp_enabled(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

int cc_max_threads(void) { return cc_resolve_threads(0); }

const char *cc_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#elif defined(_MSC_VER)
    return "msvc " CC_STR(_MSC_FULL_VER);
#else
    return "unknown";
#endif
}

#if defined(_WIN32)
#include <windows.h>
static double now_seconds(void)
{
    /* MinGW's default C runtime has no timespec_get */
    LARGE_INTEGER count, freq;
    QueryPerformanceCounter(&count);
    QueryPerformanceFrequency(&freq);
    return (double)count.QuadPart / (double)freq.QuadPart;
}
#else
static double now_seconds(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#endif

double cc_fma_peak_gflops(double seconds)
{
    float *acc = (float *)cc_aligned_alloc((int64_t)sizeof(float) * CC_PEAK_LANES);
    if (!acc) return 0.0;
    for (int i = 0; i < CC_PEAK_LANES; ++i) acc[i] = 1.0f + (float)i * 1e-3f;
    const cc_kernels *k = cc_active_kernels();
    int64_t iters = 1 << 12;
    double flops = 0.0, elapsed = 0.0;
    /* calibrate to runs of >= 5 ms (also warms the vector units up), then average */
    for (;;) {
        double t0 = now_seconds();
        k->fma_loop(iters, acc);
        if (now_seconds() - t0 >= 5e-3 || iters >= ((int64_t)1 << 40)) break;
        iters *= 2;
    }
    do {
        double t0 = now_seconds();
        flops += k->fma_loop(iters, acc);
        elapsed += now_seconds() - t0;
    } while (elapsed < seconds);
    cc_aligned_free(acc);
    return flops / elapsed * 1e-9;
}

int cc_gemm_tail_rows(void) { return cc_active_kernels()->gemm_sp_f32.mr_tail; }
