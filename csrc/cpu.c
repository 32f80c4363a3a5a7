/* cpu.c - CPU feature detection: cpuid for what the CPU has, xgetbv for what the OS saves. */
#include <string.h>

#include "cpu.h"
#include "internal.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)
#define CC_X86 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
    int regs[4];
    __cpuidex(regs, (int)leaf, (int)sub);
    for (int i = 0; i < 4; ++i) r[i] = (unsigned)regs[i];
}
static unsigned long long xgetbv0(void) { return _xgetbv(0); }
#else
#include <cpuid.h>
static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}
static unsigned long long xgetbv0(void)
{
    unsigned lo, hi;
    /* xgetbv with ecx = 0: XCR0, the register state the OS saves on context switch */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}
#endif
#endif

unsigned cc_cpu_detect(void)
{
    unsigned features = 0;
#ifdef CC_X86
    unsigned r[4], max_leaf;
    cpuid(0, 0, r);
    max_leaf = r[0];
    cpuid(1, 0, r);
    if (r[3] & (1u << 26)) features |= CC_CPU_SSE2;
    int osxsave = (r[2] >> 27) & 1, avx = (r[2] >> 28) & 1, fma = (r[2] >> 12) & 1;
    if (!osxsave) return features;
    unsigned long long xcr0 = xgetbv0();
    int ymm_state = (xcr0 & 0x6) == 0x6;          /* SSE + AVX state */
    int zmm_state = (xcr0 & 0xe6) == 0xe6;        /* + opmask, ZMM_Hi256, Hi16_ZMM */
    if (avx && ymm_state) {
        features |= CC_CPU_AVX;
        if (fma) features |= CC_CPU_FMA;
    }
    if (max_leaf >= 7 && ymm_state) {
        cpuid(7, 0, r);
        if (r[1] & (1u << 5)) features |= CC_CPU_AVX2;
        if (zmm_state) {
            if (r[1] & (1u << 16)) features |= CC_CPU_AVX512F;
            if (r[1] & (1u << 17)) features |= CC_CPU_AVX512DQ;
            if (r[1] & (1u << 30)) features |= CC_CPU_AVX512BW;
            if (r[1] & (1u << 31)) features |= CC_CPU_AVX512VL;
        }
    }
#elif defined(__aarch64__) || defined(_M_ARM64)
    features |= CC_CPU_NEON; /* baseline on AArch64 */
#endif
    return features;
}

const char *cc_cpu_features(void)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {CC_CPU_SSE2, "sse2"},         {CC_CPU_AVX, "avx"},
        {CC_CPU_AVX2, "avx2"},         {CC_CPU_FMA, "fma"},
        {CC_CPU_AVX512F, "avx512f"},   {CC_CPU_AVX512BW, "avx512bw"},
        {CC_CPU_AVX512DQ, "avx512dq"}, {CC_CPU_AVX512VL, "avx512vl"},
        {CC_CPU_NEON, "neon"},
    };
    /* Built on every call into a caller-independent static buffer; the content only
     * depends on the machine, so concurrent writers write the same bytes. */
    static char buf[128];
    char tmp[128] = "";
    unsigned f = cc_cpu_detect();
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
        if (f & names[i].bit) {
            if (tmp[0]) strcat(tmp, ",");
            strcat(tmp, names[i].name);
        }
    }
    memcpy(buf, tmp, sizeof(buf));
    return buf;
}
